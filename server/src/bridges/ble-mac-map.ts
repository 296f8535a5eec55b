/**
 * Where the MAC → probe map lives: two columns on the registry's `probe` table, set at registration
 * (`POST /probes {bleMac, bleBindkey?}`; migration 4 in `db/migrations.ts`). This module holds the
 * lookup the bridge uses, cached briefly because every BLE message asks.
 *
 * `ble_bindkey` is stored in clear because the bridge must decrypt with it (unlike the MQTT secret,
 * which is only compared and so stored hashed); it is never returned by the API after registration.
 */
import { bytesToMac, macToBytes } from "@coldtrail/firmware-bridge/decoders";
import type { Db } from "../db/open.js";

/** `a4-c1-38-…`, `A4C138…` or `a4:c1:…` → `A4:C1:38:…`, or undefined when it is not a MAC. */
export function normaliseBleMac(value: string): string | undefined {
  const b = macToBytes(value);
  return b ? bytesToMac(b) : undefined;
}

interface Cached {
  probeId: string | null;
  bindkey: string | undefined;
  atMs: number;
}

/**
 * Lookups cached for `ttlMs` (default 10 s): a probe registered with a MAC is picked up within that,
 * and a busy household (hundreds of BLE messages a minute, mostly unknown devices) costs one query per
 * device per TTL. Unknown MACs are cached too, bounded by `maxEntries`.
 */
export function createBleMacMap(
  db: Db,
  opts: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
) {
  const ttlMs = opts.ttlMs ?? 10_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const now = opts.now ?? Date.now;
  const select = db.prepare("SELECT id, ble_bindkey FROM probe WHERE ble_mac = ?");
  const cache = new Map<string, Cached>();

  function lookup(mac: string): Cached {
    const t = now();
    const hit = cache.get(mac);
    if (hit && t - hit.atMs < ttlMs) return hit;
    const row = select.get(mac) as { id: string; ble_bindkey: string | null } | undefined;
    const entry: Cached = { probeId: row?.id ?? null, bindkey: row?.ble_bindkey ?? undefined, atMs: t };
    if (cache.size >= maxEntries) cache.clear();
    cache.set(mac, entry);
    return entry;
  }

  return {
    macToProbe: (mac: string): string | null => lookup(mac).probeId,
    bindkeyOf: (mac: string): string | undefined => lookup(mac).bindkey,
    /** After a registration change, so it applies at once. */
    forget(mac?: string): void {
      if (mac === undefined) cache.clear();
      else cache.delete(mac);
    },
  };
}
export type BleMacMap = ReturnType<typeof createBleMacMap>;
