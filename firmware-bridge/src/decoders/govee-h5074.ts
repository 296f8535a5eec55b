/**
 * Govee H5074, manufacturer data of company 0xEC88, 7 bytes (Bluetooth-Devices/govee-ble parser;
 * theengs/decoder H5074 device file): byte 0 unused, temperature int16 LE × 0.01 °C,
 * humidity uint16 LE × 0.01 %, battery %, byte 6 unused (0x02 in captures).
 */
import {
  type BleDecoder,
  type BleEncoder,
  type DecodeResult,
  type EncodeResult,
  fail,
  nonFinite,
  view,
} from "./advert.js";
import { GOVEE_COMPANY_ID, GOVEE_PLAUSIBLE_C } from "./govee-h5075.js";

const ID = "govee-h5074" as const;
const LENGTH = 7;

export const goveeH5074: BleDecoder = {
  id: ID,
  encrypted: false,
  matches: (ad) => GOVEE_COMPANY_ID in ad.manufacturerData,
  decode(ad): DecodeResult {
    const b = ad.manufacturerData[GOVEE_COMPANY_ID];
    if (!b) return fail(ID, "no manufacturer data for company 0xec88");
    if (b.length !== LENGTH) return fail(ID, `needs ${LENGTH} bytes of manufacturer data, got ${b.length}`);
    const v = view(b);
    const tempC = v.getInt16(1, true) / 100;
    const humidityPct = v.getUint16(3, true) / 100;
    const batteryPct = v.getUint8(5);
    if (tempC < GOVEE_PLAUSIBLE_C.min || tempC > GOVEE_PLAUSIBLE_C.max) {
      return fail(
        ID,
        `temperature ${tempC} °C is outside the plausible ${GOVEE_PLAUSIBLE_C.min}…${GOVEE_PLAUSIBLE_C.max} °C: corrupt packet`,
      );
    }
    if (humidityPct > 100) return fail(ID, `humidity ${humidityPct} % is above 100: corrupt packet`);
    if (batteryPct > 100) return fail(ID, `battery byte is ${batteryPct}, must be 0-100: corrupt packet`);
    return { ok: true, format: ID, tempC, humidityPct, batteryPct };
  },
};

export const goveeH5074Encoder: BleEncoder = {
  id: ID,
  encode(values): EncodeResult {
    const bad = nonFinite(ID, values);
    if (bad) return bad;
    const t = Math.round(values.tempC * 100);
    const h = Math.round((values.humidityPct ?? 50) * 100);
    const pct = Math.round(values.batteryPct ?? 100);
    if (t / 100 < GOVEE_PLAUSIBLE_C.min || t / 100 > GOVEE_PLAUSIBLE_C.max) {
      return fail(ID, `tempC must be ${GOVEE_PLAUSIBLE_C.min}…${GOVEE_PLAUSIBLE_C.max}, got ${values.tempC}`);
    }
    if (h < 0 || h > 10000) return fail(ID, `humidityPct must be 0-100, got ${values.humidityPct}`);
    if (pct < 0 || pct > 100) return fail(ID, `batteryPct must be 0-100, got ${values.batteryPct}`);
    const b = new Uint8Array(LENGTH);
    const v = view(b);
    v.setInt16(1, t, true);
    v.setUint16(3, h, true);
    v.setUint8(5, pct);
    v.setUint8(6, 0x02);
    return {
      ok: true,
      advert: { name: "Govee_H5074_0000", serviceData: {}, manufacturerData: { [GOVEE_COMPANY_ID]: b } },
    };
  },
};
