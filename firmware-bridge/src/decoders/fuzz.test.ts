/** Property: for any bytes, names, MACs and keys, no decoder throws and every result is well-formed. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BleAdvert, DecodeResult } from "./advert.js";
import { DECODERS, decodeAdvert } from "./registry.js";

const SPEC_KEY = "231d39c1d7cc1ab1aee224cd096db932";

const arbAdvert: fc.Arbitrary<BleAdvert> = fc.record(
  {
    mac: fc.oneof(
      fc.constant("54:48:E6:8F:80:A5"),
      fc.constant("A4:C1:38:CF:01:56"),
      fc.string({ maxLength: 20 }),
    ),
    name: fc.oneof(
      fc.constantFrom("sps", "tps", "ATC_8D18B2", "GVH5075_2762", "Govee_H5074_1"),
      fc.string({ maxLength: 12 }),
    ),
    bindkey: fc.oneof(fc.constant(SPEC_KEY), fc.string({ maxLength: 40 })),
    serviceData: fc.dictionary(
      fc.oneof(fc.constantFrom("fcd2", "181a"), fc.string({ maxLength: 6 })),
      fc.oneof(
        fc.uint8Array({ maxLength: 40 }),
        // Valid-looking BTHome headers, plain and encrypted, so the object walker and AES-CCM paths run.
        fc
          .tuple(fc.constantFrom(0x40, 0x41, 0x44, 0x45), fc.uint8Array({ maxLength: 30 }))
          .map(([h, r]) => Uint8Array.of(h, ...r)),
      ),
      { maxKeys: 3 },
    ),
    manufacturerData: fc.dictionary(
      fc.oneof(
        fc.constantFrom("1177", "60552", "2204", "63646"),
        fc.integer({ min: 0, max: 0xffff }).map(String),
      ),
      fc.oneof(
        fc.uint8Array({ maxLength: 30 }),
        fc
          .tuple(fc.constantFrom(0x03, 0x05), fc.uint8Array({ minLength: 12, maxLength: 24 }))
          .map(([h, r]) => Uint8Array.of(h, ...r)),
      ),
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: ["serviceData", "manufacturerData"] },
) as fc.Arbitrary<BleAdvert>;

function assertWellFormed(r: DecodeResult, expectedFormat?: string): void {
  if (!r.ok) {
    expect(typeof r.reason).toBe("string");
    expect(r.reason.length).toBeGreaterThan(5);
    expect(r.reason).not.toMatch(/\n/);
    if (expectedFormat) expect(r.reason.startsWith(`${expectedFormat}: `)).toBe(true);
    return;
  }
  if (expectedFormat) expect(r.format).toBe(expectedFormat);
  expect(r.tempC === null || Number.isFinite(r.tempC)).toBe(true);
  for (const v of [r.humidityPct, r.batteryPct, r.batteryMv, r.packetId, r.counter]) {
    expect(v === undefined || v === null || Number.isFinite(v)).toBe(true);
  }
  if (r.batteryPct !== undefined) expect(r.batteryPct).toBeGreaterThanOrEqual(0);
}

describe("decode never throws", () => {
  for (const d of DECODERS) {
    it(`${d.id}: any advertisement → a well-formed result`, () => {
      fc.assert(
        fc.property(arbAdvert, (ad) => {
          d.matches(ad);
          assertWellFormed(d.decode(ad), d.id);
        }),
        { numRuns: 1500 },
      );
    });
  }

  it("registry: any advertisement → a well-formed result", () => {
    fc.assert(
      fc.property(arbAdvert, (ad) => {
        assertWellFormed(decodeAdvert(ad));
      }),
      { numRuns: 3000 },
    );
  });

  it("registry: any bytes under each known key", () => {
    const keys: Array<(b: Uint8Array) => BleAdvert> = [
      (b) => ({ serviceData: { fcd2: b }, manufacturerData: {} }),
      (b) => ({ serviceData: { "181a": b }, manufacturerData: {} }),
      (b) => ({ serviceData: {}, manufacturerData: { 1177: b } }),
      (b) => ({ serviceData: {}, manufacturerData: { 60552: b } }),
      (b) => ({ name: "sps", serviceData: {}, manufacturerData: { 4660: b } }),
    ];
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 0, max: keys.length - 1 }),
        (bytes, k) => {
          assertWellFormed(decodeAdvert((keys[k] as (b: Uint8Array) => BleAdvert)(bytes)));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
