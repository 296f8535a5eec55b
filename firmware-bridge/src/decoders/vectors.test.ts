/**
 * Every BLE capture in captures/<format>.json through the registry and through its own decoder,
 * every expected field compared; every decoder format has a capture file.
 */
import { describe, expect, it } from "vitest";
import type { BleReading } from "./advert.js";
import { advertOf, captureFileNames, loadAllCaptures } from "./captures/load-captures.js";
import { decodeAdvert, decoderFor, FORMAT_IDS } from "./registry.js";

const vectors = loadAllCaptures();

const FIELD: Record<string, keyof BleReading> = {
  temp_c: "tempC",
  humidity_pct: "humidityPct",
  battery_pct: "batteryPct",
  battery_mv: "batteryMv",
  packet_id: "packetId",
  external_probe: "externalProbe",
};

describe("BLE captures", () => {
  it("one file per decoder format, no other, 46 captures with unique ids", () => {
    expect(captureFileNames()).toEqual(FORMAT_IDS.map((f) => `${f}.json`).sort());
    expect(vectors).toHaveLength(46);
    expect(new Set(vectors.map((v) => v.id)).size).toBe(vectors.length);
  });

  it("every format has at least one capture that decodes and one that is refused", () => {
    for (const f of FORMAT_IDS) {
      expect(
        vectors.some((v) => v.format === f && !v.error),
        `${f} decodes`,
      ).toBe(true);
      expect(
        vectors.some((v) => v.format === f && v.error),
        `${f} refused`,
      ).toBe(true);
    }
  });

  for (const v of vectors) {
    it(`${v.id} (${v.format}) ${v.error ? "is refused" : "decodes"}`, () => {
      const ad = advertOf(v);
      const viaRegistry = decodeAdvert(ad);
      const format = v.format;
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
