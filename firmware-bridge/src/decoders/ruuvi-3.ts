/**
 * RuuviTag data format 3 ("RAWv1"), manufacturer data of company 0x0499, 14 bytes, big-endian
 * (ruuvi/ruuvi-sensor-protocols dataformat_03.md): format byte 0x03, humidity uint8 × 0.5 %,
 * temperature as sign-and-magnitude (byte: sign bit + whole degrees, next byte: hundredths 0-99),
 * pressure uint16 + 50000 Pa, acceleration x/y/z int16 mG, battery uint16 mV.
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
import { RUUVI_COMPANY_ID } from "./ruuvi-5.js";

const ID = "ruuvi-3" as const;
const LENGTH = 14;

export const ruuvi3: BleDecoder = {
  id: ID,
  encrypted: false,
  matches: (ad) => RUUVI_COMPANY_ID in ad.manufacturerData,
  decode(ad): DecodeResult {
    const b = ad.manufacturerData[RUUVI_COMPANY_ID];
    if (!b || b.length === 0) return fail(ID, "no manufacturer data for company 0x0499");
    if (b[0] !== 0x03)
      return fail(
        ID,
        `data format byte is 0x${(b[0] as number).toString(16).padStart(2, "0")}, expected 0x03`,
      );
    if (b.length !== LENGTH) return fail(ID, `needs ${LENGTH} bytes of manufacturer data, got ${b.length}`);
    const v = view(b);
    const whole = v.getUint8(2);
    const hundredths = v.getUint8(3);
    if (hundredths > 99)
      return fail(ID, `temperature fraction byte is ${hundredths}, must be 0-99 (corrupt packet)`);
    const magnitude = (whole & 0x7f) * 100 + hundredths;
    const tempC = (whole & 0x80 ? -magnitude : magnitude) / 100;
    return {
      ok: true,
      format: ID,
      tempC: tempC === 0 ? 0 : tempC, // no -0
      humidityPct: v.getUint8(1) / 2,
      batteryMv: v.getUint16(12),
    };
  },
};

export const ruuvi3Encoder: BleEncoder = {
  id: ID,
  encode(values): EncodeResult {
    const bad = nonFinite(ID, values);
    if (bad) return bad;
    const magnitude = Math.round(Math.abs(values.tempC) * 100);
    if (magnitude > 12799) return fail(ID, `tempC must be -127.99…127.99, got ${values.tempC}`);
    const h = Math.round((values.humidityPct ?? 50) * 2);
    if (h < 0 || h > 200) return fail(ID, `humidityPct must be 0-100, got ${values.humidityPct}`);
    const mv = Math.round(values.batteryMv ?? 3000);
    if (mv < 0 || mv > 65535) return fail(ID, `batteryMv must be 0-65535, got ${values.batteryMv}`);
    const b = new Uint8Array(LENGTH);
    const v = view(b);
    v.setUint8(0, 0x03);
    v.setUint8(1, h);
    v.setUint8(2, Math.floor(magnitude / 100) | (values.tempC < 0 && magnitude > 0 ? 0x80 : 0));
    v.setUint8(3, magnitude % 100);
    v.setUint16(4, 101325 - 50000); // pressure: standard atmosphere
    v.setInt16(10, 1000); // acceleration: lying flat, 1 g on z
    v.setUint16(12, mv);
    return { ok: true, advert: { serviceData: {}, manufacturerData: { [RUUVI_COMPANY_ID]: b } } };
  },
};
