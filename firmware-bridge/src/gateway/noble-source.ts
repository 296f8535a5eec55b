/**
 * `--source noble`: the host's Bluetooth adapter through `@abandonware/noble`, an optional
 * dependency (it needs BlueZ, HCI permissions and a native build, so it is not installed by default).
 * Not testable without a radio; `advertFromNoble` (pure) is tested, the rest is a thin adapter.
 */
import { bytesToMac, macToBytes, normaliseUuid16 } from "../decoders/advert.js";
import { type AdvertSource, createPushSource, type ScannedAdvert } from "./advert-source.js";

/** The parts of noble's peripheral the gateway reads (noble's README, "Peripheral discovered"). */
export interface NoblePeripheral {
  address?: string;
  id?: string;
  rssi?: number;
  advertisement?: {
    localName?: string;
    serviceData?: { uuid: string; data: Uint8Array }[];
    /** Starts with the 2-byte company id, little-endian, as on the air. */
    manufacturerData?: Uint8Array;
  };
}

interface NobleLike {
  state?: string;
  on(event: "stateChange", listener: (state: string) => void): unknown;
  on(event: "discover", listener: (p: NoblePeripheral) => void): unknown;
  removeAllListeners(event?: string): unknown;
  startScanningAsync(uuids?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

export const NOBLE_PACKAGE = "@abandonware/noble";

export class NobleMissingError extends Error {
  override readonly name = "NobleMissingError";
  readonly code = "CT_ERR_NOBLE_MISSING";
}

/** Pure: noble's peripheral → `ScannedAdvert`, or null when it has no usable address. */
export function advertFromNoble(p: NoblePeripheral, atMs: number): ScannedAdvert | null {
  // noble reports the address as lowercase aa:bb:…; on macOS it is empty (CoreBluetooth hides it).
  const mac = p.address ? macToBytes(p.address) : undefined;
  if (!mac) return null;
  const advert: ScannedAdvert = {
    mac: bytesToMac(mac),
    rssi: typeof p.rssi === "number" && Number.isFinite(p.rssi) ? Math.round(p.rssi) : null,
    name: p.advertisement?.localName ?? null,
    atMs,
    serviceData: {},
    manufacturerData: {},
  };
  for (const sd of p.advertisement?.serviceData ?? []) {
    const uuid = normaliseUuid16(sd.uuid);
    if (uuid) advert.serviceData[uuid] = new Uint8Array(sd.data);
  }
  const m = p.advertisement?.manufacturerData;
  if (m && m.length >= 2) {
    advert.manufacturerData[(m[0] as number) | ((m[1] as number) << 8)] = new Uint8Array(m.subarray(2));
  }
  return advert;
}

export async function loadNoble(): Promise<NobleLike> {
  // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
  const specifier: string = NOBLE_PACKAGE;
  try {
    const mod = (await import(specifier)) as { default?: NobleLike } & NobleLike;
    return mod.default ?? mod;
  } catch (e) {
    throw new NobleMissingError(
      `--source noble needs the optional package ${NOBLE_PACKAGE}, which could not be loaded (${(e as Error).message}). ` +
        `Install it on the gateway host: npm install ${NOBLE_PACKAGE} (Linux: apt-get install bluetooth bluez libbluetooth-dev libudev-dev; ` +
        "then run as root or grant cap_net_raw to node), or use --source replay:<file>.",
    );
  }
}

export async function createNobleSource(now: () => number = Date.now): Promise<AdvertSource> {
  const noble = await loadNoble();
  const push = createPushSource("noble");
  const start = (state: string) => {
    // allowDuplicates: sensors repeat one advertisement with new values; without it noble reports a device once.
    if (state === "poweredOn") void noble.startScanningAsync([], true).catch(() => push.end());
  };
  noble.on("stateChange", start);
  noble.on("discover", (p) => {
    const a = advertFromNoble(p, now());
    if (a) push.push(a);
  });
  if (noble.state === "poweredOn") start("poweredOn");
  return {
    name: "noble",
    adverts: () => push.adverts(),
    async close() {
      noble.removeAllListeners("discover");
      noble.removeAllListeners("stateChange");
      await noble.stopScanningAsync().catch(() => undefined);
      push.end();
    },
  };
}
