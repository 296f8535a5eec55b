/**
 * ATC1441 format, service data UUID 0x181A, 13 bytes, big-endian (atc1441/ATC_MiThermometer README;
 * pvvx README "atc1441 format"): MAC[6] (most significant byte first), temperature int16 × 0.1 °C,
 * humidity uint8 %, battery %, battery mV uint16, frame counter.
 */
import {
  type BleDecoder,
  type BleEncoder,
  checkEmbeddedMac,
  type DecodeResult,
  type EncodeResult,
  fail,
  macToBytes,
  nonFinite,
  view,
} from "./advert.js";
import { ENV_SENSING_UUID } from "./pvvx.js";

const ID = "atc1441" as const;
const LENGTH = 13;

export const atc1441: BleDecoder = {
  id: ID,
  encrypted: false,
  matches: (ad) => ENV_SENSING_UUID in ad.serviceData,
  decode(ad): DecodeResult {
    const b = ad.serviceData[ENV_SENSING_UUID];
    if (!b) return fail(ID, "no service data under UUID 181a");
    if (b.length !== LENGTH) return fail(ID, `needs ${LENGTH} bytes of service data, got ${b.length}`);
    const mismatch = checkEmbeddedMac(ID, ad.mac, b.subarray(0, 6), false);
    if (mismatch) return mismatch;
    const v = view(b);
    return {
      ok: true,
      format: ID,
      tempC: v.getInt16(6) / 10,
      humidityPct: v.getUint8(8),
      batteryPct: v.getUint8(9),
      batteryMv: v.getUint16(10),
      packetId: v.getUint8(12),
    };
  },
};

export const atc1441Encoder: BleEncoder = {
  id: ID,
  encode(values, options = {}): EncodeResult {
    const bad = nonFinite(ID, values);
    if (bad) return bad;
    const mac = options.mac === undefined ? undefined : macToBytes(options.mac);
    if (!mac) return fail(ID, "needs the device MAC (AA:BB:CC:DD:EE:FF): the format carries it");
    const t = Math.round(values.tempC * 10);
    const h = Math.round(values.humidityPct ?? 0);
    const mv = Math.round(values.batteryMv ?? 3000);
    const pct = Math.round(values.batteryPct ?? 100);
    if (t < -32768 || t > 32767) return fail(ID, `tempC must be -3276.8…3276.7, got ${values.tempC}`);
    if (h < 0 || h > 100) return fail(ID, `humidityPct must be 0-100, got ${values.humidityPct}`);
    if (mv < 0 || mv > 65535) return fail(ID, `batteryMv must be 0-65535, got ${values.batteryMv}`);
    if (pct < 0 || pct > 100) return fail(ID, `batteryPct must be 0-100, got ${values.batteryPct}`);
    const b = new Uint8Array(LENGTH);
    b.set(mac, 0);
    const v = view(b);
    v.setInt16(6, t);
    v.setUint8(8, h);
    v.setUint8(9, pct);
    v.setUint16(10, mv);
    v.setUint8(12, (values.packetId ?? 0) & 0xff);
    return {
      ok: true,
      advert: { mac: options.mac, serviceData: { [ENV_SENSING_UUID]: b }, manufacturerData: {} },
    };
  },
};
