/**
 * A virtual off-the-shelf BLE thermometer (Xiaomi with pvvx/ATC firmware, BTHome, Ruuvi, Govee,
 * Inkbird): it measures the air with its own offset and noise and broadcasts the value in its
 * format's bytes, built by firmware-bridge's encoders, so what the gateway decodes is exactly what
 * such a sensor would send. Pure: state in, state and one advertisement out.
 */
import { encodeAdvert, type FormatId } from "@coldtrail/firmware-bridge/decoders";
import { nextUniform } from "../prng.js";

/** One advertisement as a scanner hears it; the shape of firmware-bridge's gateway `ScannedAdvert`. */
export interface SimulatedAdvert {
  mac: string;
  rssi: number | null;
  serviceData: Record<string, Uint8Array>;
  manufacturerData: Record<number, Uint8Array>;
  name: string | null;
  atMs: number;
}

export interface BleThermometerConfig {
  mac: string;
  format: FormatId;
  seed: number;
  /** Local name; default: what the real firmware calls itself (ATC_xxxxxx, GVH5075_xxxx, sps). */
  name?: string | null;
  /** BTHome only: encrypt with this key (32 hex digits). */
  bindkey?: string;
  /**
   * Time between advertisements. pvvx firmware defaults to 2.5 s; 10 s keeps long simulations cheap
   * and still gives the gateway several samples per one-minute window.
   */
  advertiseEveryMs?: number;
  /** Fixed calibration error, °C (default 0). */
  offsetC?: number;
  /** Standard deviation of measurement noise, °C (default 0.05, an estimate for these sensors). */
  noiseSdC?: number;
  rssiDbm?: number;
  batteryPct?: number;
  /** BTHome encryption counter of the first advertisement (default 1). */
  firstCounter?: number;
}

export interface BleThermometerState {
  readonly config: Required<Omit<BleThermometerConfig, "bindkey" | "name">> & {
    bindkey: string | undefined;
    name: string | null;
  };
  rng: number;
  counter: number;
  packetId: number;
}

export type AdvertiseResult =
  | { ok: true; state: BleThermometerState; advert: SimulatedAdvert }
  /** The value is outside what the format can carry (e.g. below a Govee's range); the sensor stays silent. */
  | { ok: false; state: BleThermometerState; reason: string };

function defaultName(format: FormatId, mac: string): string | null {
  const tail = mac.replace(/:/g, "").toUpperCase();
  if (format === "pvvx" || format === "atc1441") return `ATC_${tail.slice(-6)}`;
  if (format === "govee-h5075") return `GVH5075_${tail.slice(-4)}`;
  if (format === "govee-h5074") return `Govee_H5074_${tail.slice(-4)}`;
  if (format === "inkbird-ibs-th") return "sps";
  return null;
}

export function createBleThermometer(config: BleThermometerConfig): BleThermometerState {
  return {
    config: {
      mac: config.mac.toUpperCase(),
      format: config.format,
      seed: config.seed,
      name: config.name === undefined ? defaultName(config.format, config.mac) : config.name,
      bindkey: config.bindkey,
      advertiseEveryMs: config.advertiseEveryMs ?? 10_000,
      offsetC: config.offsetC ?? 0,
      noiseSdC: config.noiseSdC ?? 0.05,
      rssiDbm: config.rssiDbm ?? -70,
      batteryPct: config.batteryPct ?? 100,
      firstCounter: config.firstCounter ?? 1,
    },
    rng: config.seed >>> 0,
    counter: config.firstCounter ?? 1,
    packetId: 0,
  };
}

function gaussian(rng: number): { value: number; rng: number } {
  const a = nextUniform(rng);
  const b = nextUniform(a.state);
  return { value: Math.sqrt(-2 * Math.log(1 - a.value)) * Math.cos(2 * Math.PI * b.value), rng: b.state };
}

/** One advertisement at `atMs` of a sensor in air at `airC`. */
export function advertise(state: BleThermometerState, atMs: number, airC: number): AdvertiseResult {
  const c = state.config;
  const n = gaussian(state.rng);
  const r = gaussian(n.rng);
  const tempC = airC + c.offsetC + n.value * c.noiseSdC;
  const next: BleThermometerState = {
    ...state,
    rng: r.rng,
    counter: state.counter + 1,
    packetId: (state.packetId + 1) & 0xff,
  };
  const encoded = encodeAdvert(
    c.format,
    {
      tempC,
      humidityPct: 40,
      batteryPct: c.batteryPct,
      batteryMv: 3000,
      packetId: state.packetId,
    },
    { mac: c.mac, ...(c.bindkey !== undefined && { bindkey: c.bindkey, counter: state.counter }) },
  );
  if (!encoded.ok) return { ok: false, state: next, reason: encoded.reason };
  return {
    ok: true,
    state: next,
    advert: {
      mac: c.mac,
      rssi: Math.round(c.rssiDbm + r.value * 3),
      serviceData: encoded.advert.serviceData,
      manufacturerData: encoded.advert.manufacturerData,
      // Inkbird's encoder names the advert itself ("sps" with humidity): keep what it chose.
      name: encoded.advert.name ?? c.name,
      atMs,
    },
  };
}
