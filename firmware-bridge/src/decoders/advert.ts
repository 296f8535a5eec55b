/**
 * The shapes every BLE decoder shares: one advertisement in, one reading (or a reason) out.
 */

/** The formats coldtrail decodes; each id names one decoder and is stable (logs, captures, CLI output). */
export type FormatId =
  | "bthome-v2"
  | "pvvx"
  | "atc1441"
  | "ruuvi-5"
  | "ruuvi-3"
  | "govee-h5075"
  | "govee-h5074"
  | "inkbird-ibs-th";

/** One received advertisement, as a scanner or a gateway (OpenMQTTGateway, Theengs) reports it. */
export interface BleAdvert {
  /** Device address `AA:BB:CC:DD:EE:FF`; BTHome encryption needs it (it is part of the nonce). */
  mac?: string;
  /** Local name, e.g. `ATC_8D18B2`, `GVH5075_2762`, `sps`. */
  name?: string;
  /** Service data by 16-bit UUID as 4 lowercase hex digits (`fcd2`), without the UUID bytes. */
  serviceData: Record<string, Uint8Array>;
  /** Manufacturer-specific data by company id, without the 2-byte company id. */
  manufacturerData: Record<number, Uint8Array>;
  /** Per-device key (32 hex digits) for encrypted formats. Configured, never sent over the air. */
  bindkey?: string;
}

/** What one advertisement says. `null` means the format has the field but the device marked it "not available". */
export interface BleReading {
  format: FormatId;
  /** `null` when the packet is well-formed but carries no usable temperature. */
  tempC: number | null;
  humidityPct?: number | null;
  batteryPct?: number;
  batteryMv?: number | null;
  /** A rolling measurement/packet counter from the device, for de-duplication. */
  packetId?: number;
  /** BTHome encryption counter; a receiver should require it to increase (replay protection). */
  counter?: number;
  /** Inkbird IBS-TH: the temperature comes from the external probe on a cable. */
  externalProbe?: boolean;
}

export type DecodeResult = ({ ok: true } & BleReading) | { ok: false; reason: string };

export interface BleDecoder {
  /** Stable id; used in logs, capture files and CLI output. */
  id: FormatId;
  /** Whether this format can be encrypted; with a bindkey configured only such formats are accepted. */
  encrypted: boolean;
  /** Cheap check on UUIDs, company ids and names; no parsing. */
  matches(ad: BleAdvert): boolean;
  /** Pure: same bytes in, same result out. Never throws. */
  decode(ad: BleAdvert): DecodeResult;
}

/** Values to put into an advertisement (for simulators and round-trip tests). */
export interface EncodeValues {
  tempC: number;
  humidityPct?: number;
  batteryPct?: number;
  batteryMv?: number;
  packetId?: number;
}

export interface EncodeOptions {
  /** Needed by formats that carry the MAC (pvvx, atc1441, ruuvi-5) and by BTHome encryption. */
  mac?: string;
  /** BTHome: encrypt with this key (32 hex digits). */
  bindkey?: string;
  /** BTHome: encryption counter (uint32); default 0. */
  counter?: number;
  /** Inkbird: the reading comes from the external probe. */
  externalProbe?: boolean;
}

export type EncodeResult = { ok: true; advert: BleAdvert } | { ok: false; reason: string };

export interface BleEncoder {
  id: FormatId;
  encode(values: EncodeValues, options?: EncodeOptions): EncodeResult;
}

export function fail(format: FormatId, reason: string): { ok: false; reason: string } {
  return { ok: false, reason: `${format}: ${reason}` };
}

const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

/** `AA:BB:CC:DD:EE:FF` (or dashes, or 12 bare hex digits) → 6 bytes, most significant first. */
export function macToBytes(mac: string): Uint8Array | undefined {
  const m = mac.trim().replace(/-/g, ":");
  const colon = /^[0-9a-f]{12}$/i.test(m) ? m.replace(/(..)(?!$)/g, "$1:") : m;
  if (!MAC_RE.test(colon)) return undefined;
  return Uint8Array.from(colon.split(":").map((h) => Number.parseInt(h, 16)));
}

export function bytesToMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** Accepts `fcd2`, `0xFCD2`, `FCD2` or the 128-bit Bluetooth base form `0000fcd2-0000-1000-8000-00805f9b34fb`. */
export function normaliseUuid16(uuid: string): string | undefined {
  const u = uuid.trim().toLowerCase();
  const base = /^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$/.exec(u);
  if (base) return base[1];
  const short = /^(?:0x)?([0-9a-f]{4})$/.exec(u);
  return short ? short[1] : undefined;
}

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * pvvx and atc1441 carry the sender's MAC in the payload. When the receiver knows the address, the two
 * must agree: it catches a truncated 15-byte pvvx packet that would otherwise parse as 13-byte atc1441,
 * and packets replayed under another address.
 */
export function checkEmbeddedMac(
  format: FormatId,
  mac: string | undefined,
  embedded: Uint8Array,
  leastSignificantFirst: boolean,
): { ok: false; reason: string } | undefined {
  if (mac === undefined) return undefined;
  const sender = macToBytes(mac);
  if (!sender) return fail(format, `MAC must look like AA:BB:CC:DD:EE:FF, got "${mac}"`);
  const inPayload = leastSignificantFirst ? embedded.slice().reverse() : embedded;
  if (bytesToMac(inPayload) !== bytesToMac(sender)) {
    return fail(
      format,
      `MAC in the payload is ${bytesToMac(inPayload)}, the sender is ${bytesToMac(sender)}`,
    );
  }
  return undefined;
}

/** Encoders refuse NaN/Infinity up front: `Math.round(NaN)` slips through every range check. */
export function nonFinite(format: FormatId, values: EncodeValues): { ok: false; reason: string } | undefined {
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined && !Number.isFinite(v)) return fail(format, `${k} must be a finite number, got ${v}`);
  }
  if (values.tempC === undefined) return fail(format, "tempC is required");
  return undefined;
}
