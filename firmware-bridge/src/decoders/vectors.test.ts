/**
 * Every shared BLE vector (/work/shared/vectors/ble.json; CI puts shared/ beside the repository
 * clone) through the registry and through its own decoder, every expected field compared.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { BleAdvert, BleReading } from "./advert.js";
import { decodeAdvert, decoderFor, isFormatId } from "./registry.js";

interface Vector {
  id: string;
  format: string;
  mac: string | null;
  bindkey: string | null;
  service_uuid: string | null;
  manufacturer_id: number | null;
  name: string | null;
  data: string;
  expect?: Record<string, number | boolean | null>;
  absent?: string[];
  error?: boolean;
}

const VECTORS_URL = new URL("../../../../shared/vectors/ble.json", import.meta.url);
const vectors = JSON.parse(readFileSync(VECTORS_URL, "utf8")) as Vector[];

const FIELD: Record<string, keyof BleReading> = {
  temp_c: "tempC",
  humidity_pct: "humidityPct",
  battery_pct: "batteryPct",
  battery_mv: "batteryMv",
  packet_id: "packetId",
  external_probe: "externalProbe",
};

function advertOf(v: Vector): BleAdvert {
  const data = Uint8Array.from(Buffer.from(v.data, "hex"));
  return {
    ...(v.mac !== null && { mac: v.mac }),
    ...(v.name !== null && { name: v.name }),
    ...(v.bindkey !== null && { bindkey: v.bindkey }),
    serviceData: v.service_uuid !== null ? { [v.service_uuid]: data } : {},
    manufacturerData: v.manufacturer_id !== null ? { [v.manufacturer_id]: data } : {},
  };
}

describe("shared BLE vectors", () => {
  it("are all there and name known formats", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(45);
    for (const v of vectors) expect(isFormatId(v.format), `${v.id}: format ${v.format}`).toBe(true);
  });

  for (const v of vectors) {
    it(`${v.id} (${v.format}) ${v.error ? "is refused" : "decodes"}`, () => {
      const ad = advertOf(v);
      const viaRegistry = decodeAdvert(ad);
      const format = v.format;
      if (!isFormatId(format)) throw new Error(`unknown format ${format}`);
      const decoder = decoderFor(format);
      expect(decoder.matches(ad), `${v.id}: ${format} should match`).toBe(true);
      const direct = decoder.decode(ad);
      if (v.error) {
        expect(direct.ok, `${v.id}: ${JSON.stringify(direct)}`).toBe(false);
        expect(viaRegistry.ok).toBe(false);
        if (!direct.ok) expect(direct.reason).toMatch(new RegExp(`^${format}: .{10,}`));
      } else {
        expect(viaRegistry, `${v.id}: ${JSON.stringify(viaRegistry)}`).toEqual(direct);
        if (!direct.ok) throw new Error(`${v.id}: ${direct.reason}`);
        expect(direct.format).toBe(format);
        for (const [key, want] of Object.entries(v.expect ?? {})) {
          const field = FIELD[key];
          if (!field) throw new Error(`${v.id}: the test does not know expected field ${key}`);
          expect(direct[field], `${v.id}.${key}`).toBe(want);
        }
      }
      for (const key of v.absent ?? []) {
        const field = FIELD[key];
        if (!field) throw new Error(`${v.id}: the test does not know absent field ${key}`);
        if (direct.ok) expect(direct[field] ?? null, `${v.id}.${key} must be absent`).toBeNull();
      }
    });
  }
});
