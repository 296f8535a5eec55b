/**
 * Where the MAC → probe map lives: two columns on the registry's `probe` table, set at registration
 * (`POST /probes {bleMac, bleBindkey?}`; migration 4 in `db/migrations.ts`). This module holds the
 * lookup the bridge uses; every BLE message asks, so it reads the registry's in-memory index
 * (registry/registry-index.ts), which a registration updates at once.
 *
 * `ble_bindkey` is stored in clear because the bridge must decrypt with it (unlike the MQTT secret,
 * which is only compared and so stored hashed); it is never returned by the API after registration.
 */
import { bytesToMac, macToBytes } from "@coldtrail/firmware-bridge/decoders";
import type { RegistryIndex } from "../registry/registry-index.js";

/** `a4-c1-38-…`, `A4C138…` or `a4:c1:…` → `A4:C1:38:…`, or undefined when it is not a MAC. */
export function normaliseBleMac(value: string): string | undefined {
  const b = macToBytes(value);
  return b ? bytesToMac(b) : undefined;
}

/** A MAC → probe map over the registry's index: the probe's id and its BTHome bindkey, if any. */
export function createBleMacMap(index: Pick<RegistryIndex, "probeOfMac">) {
  return {
    macToProbe: (mac: string): string | null => index.probeOfMac(mac)?.id ?? null,
    bindkeyOf: (mac: string): string | undefined => index.probeOfMac(mac)?.bleBindkey ?? undefined,
  };
}
export type BleMacMap = ReturnType<typeof createBleMacMap>;
