/**
 * pvvx "custom" format, service data UUID 0x181A, 15 bytes, all little-endian
 * (pvvx/ATC_MiThermometer README, "Custom format"): MAC[6] (least significant byte first),
 * temperature int16 × 0.01 °C, humidity uint16 × 0.01 %, battery mV uint16, battery %, counter, flags.
 * Sent by Xiaomi LYWSD03MMC-class sensors (also MHO-C401, CGG1) running pvvx firmware.
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

export const ENV_SENSING_UUID = "181a";
const ID = "pvvx" as const;
const LENGTH = 15;

export const pvvx: BleDecoder = {
  id: ID,
  encrypted: false,
  matches: (ad) => ENV_SENSING_UUID in ad.serviceData,
  decode(ad): DecodeResult {
    const b = ad.serviceData[ENV_SENSING_UUID];
    if (!b) return fail(ID, "no service data under UUID 181a");
    if (b.length !== LENGTH) return fail(ID, `needs ${LENGTH} bytes of service data, got ${b.length}`);
    const mismatch = checkEmbeddedMac(ID, ad.mac, b.subarray(0, 6), true);
    if (mismatch) return mismatch;
    const v = view(b);
    return {
      ok: true,
      format: ID,
      tempC: v.getInt16(6, true) / 100,
      humidityPct: v.getUint16(8, true) / 100,
      batteryMv: v.getUint16(10, true),
      batteryPct: v.getUint8(12),
      packetId: v.getUint8(13),
    };
  },
};

export const pvvxEncoder: BleEncoder = {
  id: ID,
  encode(values, options = {}): EncodeResult {
    const bad = nonFinite(ID, values);
    if (bad) return bad;
    const mac = options.mac === undefined ? undefined : macToBytes(options.mac);
    if (!mac) return fail(ID, "needs the device MAC (AA:BB:CC:DD:EE:FF): the format carries it");
    const t = Math.round(values.tempC * 100);
    const h = Math.round((values.humidityPct ?? 0) * 100);
    const mv = Math.round(values.batteryMv ?? 3000);
    const pct = Math.round(values.batteryPct ?? 100);
    if (t < -32768 || t > 32767) return fail(ID, `tempC must be -327.68…327.67, got ${values.tempC}`);
    if (h < 0 || h > 10000) return fail(ID, `humidityPct must be 0-100, got ${values.humidityPct}`);
    if (mv < 0 || mv > 65535) return fail(ID, `batteryMv must be 0-65535, got ${values.batteryMv}`);
    if (pct < 0 || pct > 100) return fail(ID, `batteryPct must be 0-100, got ${values.batteryPct}`);
    const b = new Uint8Array(LENGTH);
    b.set(mac.slice().reverse(), 0);
    const v = view(b);
    v.setInt16(6, t, true);
    v.setUint16(8, h, true);
    v.setUint16(10, mv, true);
    v.setUint8(12, pct);
    v.setUint8(13, (values.packetId ?? 0) & 0xff);
    v.setUint8(14, 0);
    return {
      ok: true,
      advert: { mac: options.mac, serviceData: { [ENV_SENSING_UUID]: b }, manufacturerData: {} },
    };
  },
};
