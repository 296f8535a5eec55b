/**
 * RuuviTag data format 5 ("RAWv2"), manufacturer data of company 0x0499 (Ruuvi Innovations), 24 bytes,
 * big-endian (ruuvi/ruuvi-sensor-protocols dataformat_05.md): format byte 0x05, temperature int16
 * × 0.005 °C, humidity uint16 × 0.0025 %, pressure, acceleration x/y/z, power info (11 bits battery
 * mV above 1600, 5 bits TX power), movement counter, measurement sequence uint16, MAC[6].
 * Each field has a "not available" value (0x8000, 0xFFFF, 2047, 65535), reported here as `null`.
 */
import {
  type BleDecoder,
  type BleEncoder,
  type DecodeResult,
  type EncodeResult,
  fail,
  macToBytes,
  nonFinite,
  view,
} from "./advert.js";

export const RUUVI_COMPANY_ID = 0x0499;
const ID = "ruuvi-5" as const;
const LENGTH = 24;
const TEMP_NA = -32768;
const HUMIDITY_NA = 0xffff;
const BATTERY_NA = 2047;
const SEQUENCE_NA = 0xffff;

export const ruuvi5: BleDecoder = {
  id: ID,
  encrypted: false,
  matches: (ad) => RUUVI_COMPANY_ID in ad.manufacturerData,
  decode(ad): DecodeResult {
    const b = ad.manufacturerData[RUUVI_COMPANY_ID];
    if (!b || b.length === 0) return fail(ID, "no manufacturer data for company 0x0499");
    if (b[0] !== 0x05)
      return fail(
        ID,
        `data format byte is 0x${(b[0] as number).toString(16).padStart(2, "0")}, expected 0x05`,
      );
    if (b.length !== LENGTH) return fail(ID, `needs ${LENGTH} bytes of manufacturer data, got ${b.length}`);
    const v = view(b);
    const t = v.getInt16(1);
    const h = v.getUint16(3);
    const battery = v.getUint16(13) >> 5;
    const sequence = v.getUint16(16);
    return {
      ok: true,
      format: ID,
      tempC: t === TEMP_NA ? null : t / 200,
      humidityPct: h === HUMIDITY_NA ? null : h / 400,
      batteryMv: battery === BATTERY_NA ? null : battery + 1600,
      ...(sequence !== SEQUENCE_NA && { packetId: sequence }),
    };
  },
};

export const ruuvi5Encoder: BleEncoder = {
  id: ID,
  encode(values, options = {}): EncodeResult {
    const bad = nonFinite(ID, values);
    if (bad) return bad;
    const t = Math.round(values.tempC * 200);
    if (t <= TEMP_NA || t > 32767) return fail(ID, `tempC must be -163.835…163.835, got ${values.tempC}`);
    const h = Math.round((values.humidityPct ?? 50) * 400);
    if (h < 0 || h > 40000) return fail(ID, `humidityPct must be 0-100, got ${values.humidityPct}`);
    const mv = Math.round(values.batteryMv ?? 3000);
    if (mv < 1600 || mv > 3646) return fail(ID, `batteryMv must be 1600-3646, got ${values.batteryMv}`);
    const sequence = values.packetId ?? 0;
    if (!Number.isInteger(sequence) || sequence < 0 || sequence >= SEQUENCE_NA) {
      return fail(ID, `packetId must be 0-65534, got ${values.packetId}`);
    }
    const mac =
      options.mac === undefined ? Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff) : macToBytes(options.mac);
    if (!mac) return fail(ID, `MAC must look like AA:BB:CC:DD:EE:FF, got "${options.mac}"`);
    const b = new Uint8Array(LENGTH);
    const v = view(b);
    v.setUint8(0, 0x05);
    v.setInt16(1, t);
    v.setUint16(3, h);
    v.setUint16(5, 101325 - 50000); // pressure: standard atmosphere
    v.setInt16(7, 0);
    v.setInt16(9, 0);
    v.setInt16(11, 1000); // acceleration: lying flat, 1 g on z
    v.setUint16(13, ((mv - 1600) << 5) | ((4 + 40) / 2)); // TX power +4 dBm
    v.setUint8(15, 0);
    v.setUint16(16, sequence);
    b.set(mac, 18);
    return {
      ok: true,
      advert: { mac: options.mac, serviceData: {}, manufacturerData: { [RUUVI_COMPANY_ID]: b } },
    };
  },
};
