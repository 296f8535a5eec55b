/**
 * One message of a BLE gateway people already run, as published to their own broker:
 * - OpenMQTTGateway: `home/<gateway name>/BTtoMQTT/<MAC without colons>` (OpenMQTTGateway docs,
 *   "BLE gateway"), e.g. `{"id":"A4:C1:38:…","mac_type":0,"adv_type":0,"name":"ATC_…","rssi":-71,
 *   "servicedata":"…","servicedatauuid":"0x181a","brand":"Xiaomi","model":"LYWSD03MMC",
 *   "model_id":"LYWSD03MMC_ATC","type":"THB","tempc":21.6,"tempf":70.88,"hum":48,"batt":87,"volt":2.93}`;
 *   the raw `servicedata`/`manufacturerdata` only with `pubadvdata` on.
 * - Theengs Gateway: `home/TheengsGateway/BTtoMQTT/<MAC without colons>` (its default publish topic),
 *   the same decoded keys; raw data only with `--publish_advdata 1`, and for advertisements it could
 *   not decode (`servicedatauuid` then without `0x`, e.g. `"fcd2"`; TheengsGateway/ble_gateway.py).
 * Values came as strings in old OpenMQTTGateway releases (`{"hum":"52.6","tempc":"19.2"}`, same docs).
 *
 * Pure: JSON in, `{ mac, reading }` or a counted reason out. Raw bytes are decoded with
 * firmware-bridge's registry (so bindkeys and BTHome counters apply); decoded values are the fallback.
 */
import {
  advertFromGatewayJson,
  bytesToMac,
  decodeAdvert,
  macToBytes,
} from "@coldtrail/firmware-bridge/decoders";

export type IgnoreReason =
  /** Not UTF-8 JSON, or not a JSON object. */
  | "not_json"
  /** No MAC in `id`/`mac` nor in the topic. */
  | "no_mac"
  /** A device not mapped to any probe (most BLE traffic: phones, headsets, other sensors). */
  | "unknown_mac"
  /** Raw data no decoder accepts, and no decoded temperature either. */
  | "undecodable"
  /** A well-formed message without a temperature (presence, battery-only, a button). */
  | "no_temperature"
  /** BTHome counter did not rise. */
  | "replayed"
  /** A retained message: old, and its arrival time is not its time. */
  | "retained";

export interface GatewayReading {
  tempC: number;
  batteryPct?: number;
  batteryMv?: number;
  rssi?: number;
  /** BTHome encryption counter, for the caller's replay check. */
  counter?: number;
  /** Where the value came from: our decoder (`bthome-v2`, `pvvx`…) or the gateway's own decoding. */
  source: string;
}

export type ParsedMessage =
  | { ok: true; mac: string; reading: GatewayReading }
  | { ok: false; reason: IgnoreReason; mac?: string; detail?: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A number, or a numeric string as old OpenMQTTGateway releases sent. */
function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

function normalMac(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const b = macToBytes(v);
  return b ? bytesToMac(b) : undefined;
}

/** The MAC: Theengs' own rule is `mac` before `id` (`id` can be an iBeacon UUID); then the topic's last level. */
export function macOf(obj: Record<string, unknown>, topic: string): string | undefined {
  return normalMac(obj.mac) ?? normalMac(obj.id) ?? normalMac(topic.split("/").at(-1));
}

export function parseGatewayMessage(
  topic: string,
  payload: Uint8Array,
  bindkeyOf: (mac: string) => string | undefined = () => undefined,
  isKnown: (mac: string) => boolean = () => true,
): ParsedMessage {
  let obj: unknown;
  try {
    obj = JSON.parse(utf8.decode(payload));
  } catch {
    return { ok: false, reason: "not_json" };
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return { ok: false, reason: "not_json" };
  const o = obj as Record<string, unknown>;
  const mac = macOf(o, topic);
  if (!mac) return { ok: false, reason: "no_mac" };
  if (!isKnown(mac)) return { ok: false, reason: "unknown_mac", mac };

  const rssi = num(o.rssi);
  const common = rssi !== undefined ? { rssi: Math.round(rssi) } : {};
  let rawReason: string | undefined;
  if (o.servicedata !== undefined || o.manufacturerdata !== undefined) {
    const bindkey = bindkeyOf(mac);
    const advert = advertFromGatewayJson(
      { id: mac, ...pick(o, ["name", "servicedata", "servicedatauuid", "manufacturerdata"]) },
      bindkey === undefined ? {} : { bindkey },
    );
    if (advert.ok) {
      const d = decodeAdvert(advert.advert);
      if (d.ok && d.tempC !== null) {
        return {
          ok: true,
          mac,
          reading: {
            tempC: d.tempC,
            ...(d.batteryPct !== undefined && { batteryPct: d.batteryPct }),
            ...(d.batteryMv !== undefined && d.batteryMv !== null && { batteryMv: d.batteryMv }),
            ...(d.counter !== undefined && { counter: d.counter }),
            ...common,
            source: d.format,
          },
        };
      }
      rawReason = d.ok ? "no temperature in the advertisement" : d.reason;
      // With a bindkey, only our own decryption counts: a plaintext look-alike must not pass as decoded values.
      if (bindkey !== undefined) return { ok: false, reason: "undecodable", mac, detail: rawReason };
    } else {
      rawReason = advert.reason;
    }
  }
  const tempC = num(o.tempc);
  if (tempC === undefined) {
    return rawReason === undefined
      ? { ok: false, reason: "no_temperature", mac }
      : { ok: false, reason: "undecodable", mac, detail: rawReason };
  }
  const batt = num(o.batt);
  const volt = num(o.volt);
  return {
    ok: true,
    mac,
    reading: {
      tempC,
      ...(batt !== undefined && batt >= 0 && batt <= 100 && { batteryPct: batt }),
      // The gateways report volts (e.g. 2.93); the wire protocol carries millivolts.
      ...(volt !== undefined && volt > 0 && volt < 20 && { batteryMv: Math.round(volt * 1000) }),
      ...common,
      source: typeof o.model_id === "string" ? `gateway:${o.model_id.slice(0, 40)}` : "gateway",
    },
  };
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => typeof o[k] === "string").map((k) => [k, o[k]]));
}
