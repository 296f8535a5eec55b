/**
 * Govee H5075 (also H5072), manufacturer data of company 0xEC88, 6 bytes
 * (Bluetooth-Devices/govee-ble parser; Thrilleratplay/GoveeWatcher issue #2):
 * byte 0 unused, bytes 1-3 one packed big-endian number, byte 4 battery %, byte 5 unused.
 * Packed: bit 23 = temperature is negative; the remaining 23 bits = |temp| in 0.1 °C × 1000
 * + humidity in 0.1 %. So −7.3 °C / 48.1 % is 0x800000 | 73481 (not −7.3481 °C).
 */
import {
  type BleDecoder,
  type BleEncoder,
  type DecodeResult,
  type EncodeResult,
  fail,
  nonFinite,
} from "./advert.js";

export const GOVEE_COMPANY_ID = 0xec88;
const ID = "govee-h5075" as const;
const LENGTH = 6;
const NEGATIVE = 0x800000;

/**
 * The packed format has no "not available" marker and no checksum, so corrupt packets show up as absurd
 * values; readings outside −40…100 °C are refused, as govee-ble does (see shared vector h5075-06).
 */
export const GOVEE_PLAUSIBLE_C = { min: -40, max: 100 } as const;

export const goveeH5075: BleDecoder = {
  id: ID,
  encrypted: false,
  matches: (ad) => GOVEE_COMPANY_ID in ad.manufacturerData,
  decode(ad): DecodeResult {
    const b = ad.manufacturerData[GOVEE_COMPANY_ID];
    if (!b) return fail(ID, "no manufacturer data for company 0xec88");
    if (b.length !== LENGTH) return fail(ID, `needs ${LENGTH} bytes of manufacturer data, got ${b.length}`);
    const packed = ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number);
    const magnitude = packed & ~NEGATIVE;
    const tenths = Math.floor(magnitude / 1000);
    const tempC = tenths === 0 ? 0 : ((packed & NEGATIVE ? -1 : 1) * tenths) / 10;
    const humidityPct = (magnitude % 1000) / 10;
    const batteryPct = b[4] as number;
    if (tempC < GOVEE_PLAUSIBLE_C.min || tempC > GOVEE_PLAUSIBLE_C.max) {
      return fail(
        ID,
        `temperature ${tempC} °C is outside the plausible ${GOVEE_PLAUSIBLE_C.min}…${GOVEE_PLAUSIBLE_C.max} °C: corrupt packet`,
      );
    }
    if (batteryPct > 100) return fail(ID, `battery byte is ${batteryPct}, must be 0-100: corrupt packet`);
    return { ok: true, format: ID, tempC, humidityPct, batteryPct };
  },
};

export const goveeH5075Encoder: BleEncoder = {
  id: ID,
  encode(values): EncodeResult {
    const bad = nonFinite(ID, values);
    if (bad) return bad;
    const tenths = Math.round(Math.abs(values.tempC) * 10);
    const h = Math.round((values.humidityPct ?? 50) * 10);
    const pct = Math.round(values.batteryPct ?? 100);
    const tempC = (Math.sign(values.tempC) * tenths) / 10;
    if (tempC < GOVEE_PLAUSIBLE_C.min || tempC > GOVEE_PLAUSIBLE_C.max) {
      return fail(ID, `tempC must be ${GOVEE_PLAUSIBLE_C.min}…${GOVEE_PLAUSIBLE_C.max}, got ${values.tempC}`);
    }
    // Humidity takes the last three decimal digits, so 100.0 % cannot be sent.
    if (h < 0 || h > 999) return fail(ID, `humidityPct must be 0-99.9, got ${values.humidityPct}`);
    if (pct < 0 || pct > 100) return fail(ID, `batteryPct must be 0-100, got ${values.batteryPct}`);
    const packed = (tenths * 1000 + h) | (values.tempC < 0 && tenths > 0 ? NEGATIVE : 0);
    const b = Uint8Array.of(0x00, (packed >> 16) & 0xff, (packed >> 8) & 0xff, packed & 0xff, pct, 0x00);
    return {
      ok: true,
      advert: { name: "GVH5075_0000", serviceData: {}, manufacturerData: { [GOVEE_COMPANY_ID]: b } },
    };
  },
};
