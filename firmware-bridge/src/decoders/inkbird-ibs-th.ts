/**
 * Inkbird IBS-TH1 ("sps") and IBS-TH2 / IBS-P01B ("tps"): local name plus one manufacturer record whose
 * 2-byte "company id" slot is not a company id but the temperature (Bluetooth-Devices/inkbird-ble parser;
 * custom-components/ble_monitor inkbird parser; theengs/decoder IBS_TH1 and IBS_THBP01B device files).
 * Slot: temperature int16 LE × 0.01 °C. Then 7 bytes: humidity uint16 LE × 0.01 % (0x0000 or 0xFFFF when
 * the model has no humidity sensor), probe byte (0 internal sensor, non-zero external probe), CRC-16/MODBUS
 * of the slot and the next 3 bytes (uint16 LE), battery %, a model/type byte.
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
import { crc16Modbus } from "./crc16-modbus.js";

const ID = "inkbird-ibs-th" as const;
const LENGTH = 7;
export const INKBIRD_NAMES = ["sps", "tps"] as const;
const NO_HUMIDITY_SENSOR = new Set([0x0000, 0xffff]);

function nameOf(ad: { name?: string }): string {
  return (ad.name ?? "").trim().toLowerCase();
}

export const inkbirdIbsTh: BleDecoder = {
  id: ID,
  encrypted: false,
  matches: (ad) => (INKBIRD_NAMES as readonly string[]).includes(nameOf(ad)),
  decode(ad): DecodeResult {
    const records = Object.entries(ad.manufacturerData);
    const sized = records.filter(([, b]) => b.length === LENGTH);
    if (sized.length === 0) {
      const seen = records.map(([, b]) => b.length).join(", ") || "none";
      return fail(
        ID,
        `needs a ${LENGTH}-byte manufacturer record after the 2-byte temperature slot, got lengths: ${seen}`,
      );
    }
    let bad = "";
    for (const [slot, b] of sized) {
      const raw = Number(slot);
      if (!Number.isInteger(raw) || raw < 0 || raw > 0xffff) continue;
      const signed = Uint8Array.of(raw & 0xff, raw >> 8, b[0] as number, b[1] as number, b[2] as number);
      const crc = crc16Modbus(signed);
      const sent = view(b).getUint16(3, true);
      if (crc !== sent) {
        bad = `checksum mismatch: computed 0x${crc.toString(16).padStart(4, "0")}, packet has 0x${sent.toString(16).padStart(4, "0")} (corrupt packet)`;
        continue;
      }
      const tempC = (raw >= 0x8000 ? raw - 0x10000 : raw) / 100;
      const h = view(b).getUint16(0, true);
      const batteryPct = b[5] as number;
      if (!NO_HUMIDITY_SENSOR.has(h) && h > 10000)
        return fail(ID, `humidity ${h / 100} % is above 100: corrupt packet`);
      if (batteryPct > 100) return fail(ID, `battery byte is ${batteryPct}, must be 0-100: corrupt packet`);
      return {
        ok: true,
        format: ID,
        tempC,
        ...(!NO_HUMIDITY_SENSOR.has(h) && { humidityPct: h / 100 }),
        batteryPct,
        externalProbe: b[2] !== 0,
      };
    }
    return fail(ID, bad || "no usable manufacturer record");
  },
};

export const inkbirdIbsThEncoder: BleEncoder = {
  id: ID,
  encode(values, options = {}): EncodeResult {
    const bad = nonFinite(ID, values);
    if (bad) return bad;
    const t = Math.round(values.tempC * 100);
    if (t < -32768 || t > 32767) return fail(ID, `tempC must be -327.68…327.67, got ${values.tempC}`);
    const h = values.humidityPct === undefined ? 0 : Math.round(values.humidityPct * 100);
    if (h < 0 || h > 10000) return fail(ID, `humidityPct must be 0-100, got ${values.humidityPct}`);
    if (values.humidityPct !== undefined && h === 0) {
      return fail(ID, "humidityPct 0 cannot be sent: 0x0000 means 'no humidity sensor'");
    }
    const pct = Math.round(values.batteryPct ?? 100);
    if (pct < 0 || pct > 100) return fail(ID, `batteryPct must be 0-100, got ${values.batteryPct}`);
    const slot = t & 0xffff;
    const probe = options.externalProbe ? 1 : 0;
    const crc = crc16Modbus(Uint8Array.of(slot & 0xff, slot >> 8, h & 0xff, h >> 8, probe));
    const b = Uint8Array.of(h & 0xff, h >> 8, probe, crc & 0xff, crc >> 8, pct, 0x08);
    return {
      ok: true,
      advert: {
        name: values.humidityPct === undefined ? "tps" : "sps",
        serviceData: {},
        manufacturerData: { [slot]: b },
      },
    };
  },
};
