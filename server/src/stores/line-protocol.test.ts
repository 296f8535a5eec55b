import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Reading } from "../reading.js";
import { encodeReadings, encodeTagValue, formatFloat, formatMs } from "./line-protocol.js";

function reading(probeId: string, tsMs: number, tempC: number, seq: number | null = null): Reading {
  return { probeId, tsMs, tempC, seq, serverTimed: false };
}

describe("encodeTagValue", () => {
  it.each([
    ["freezer-01", "freezer-01"],
    ["esp32_A1B2C3", "esp32_A1B2C3"],
    ["AA:BB:CC:DD:EE:FF", "AA:BB:CC:DD:EE:FF"],
    ["a b", "a\\ b"],
    ["a,b=c", "a\\,b\\=c"],
    ["x' OR '1'='1", "x'\\ OR\\ '1'\\='1"],
    ['a"b', 'a"b'],
    ["=", "\\="],
    [" ", "\\ "],
    ["a\tb", "a\tb"],
    ["v\u00edctim-\u{1F9CA}", "v\u00edctim-\u{1F9CA}"],
    ["reading,probe_id=x temp_c=1 1", "reading\\,probe_id\\=x\\ temp_c\\=1\\ 1"],
  ])("writes %j as %j", (id, text) => {
    expect(encodeTagValue(id)).toEqual({ ok: true, text });
  });

  it.each([
    ["", /empty/],
    ["a\\", /backslash, line break or NUL/],
    ["a\\b", /backslash, line break or NUL/],
    ["a\nb", /backslash, line break or NUL/],
    ["a\rb", /backslash, line break or NUL/],
    ["a\u0000b", /backslash, line break or NUL/],
    ["a\uD800b", /lone surrogate/],
    ["a\uDC00", /lone surrogate/],
  ])("refuses %j", (id, reason) => {
    const result = encodeTagValue(id);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it("never leaves an unescaped space, comma or equals sign, and never a backslash, line break or NUL", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (id) => {
        const result = encodeTagValue(id);
        if (!result.ok) return;
        // Remove the escapes; what is left may not contain a separator.
        expect(result.text.replace(/\\[, =]/g, "")).not.toMatch(/[, =\\\n\r\0]/);
        expect(result.text.replace(/\\([, =])/g, "$1")).toBe(id);
      }),
    );
  });
});

describe("encodeReadings", () => {
  it("writes the schema of DESIGN.md: measurement reading, tag probe_id, temp_c float, seq integer, ms time", () => {
    const batch = [
      reading("freezer-01", 1777816800000, -19.4375, 42),
      reading("freezer-01", 1777816860000, -18, null),
      reading("fridge 2", 1777816800000, 4.5, 0),
      reading("fridge 2", 1777816800001, 1e-7, 4294967295),
      reading("x", -1000, 1e21, null),
      reading("x", 0, -0, null),
    ];
    expect(encodeReadings(batch)).toEqual({
      ok: true,
      body: [
        "reading,probe_id=freezer-01 temp_c=-19.4375,seq=42i 1777816800000",
        "reading,probe_id=freezer-01 temp_c=-18 1777816860000",
        "reading,probe_id=fridge\\ 2 temp_c=4.5,seq=0i 1777816800000",
        "reading,probe_id=fridge\\ 2 temp_c=1e-7,seq=4294967295i 1777816800001",
        "reading,probe_id=x temp_c=1e+21 -1000",
        "reading,probe_id=x temp_c=0 0",
      ].join("\n"),
    });
  });

  it("writes an empty batch as an empty body", () => {
    expect(encodeReadings([])).toEqual({ ok: true, body: "" });
  });

  it.each([
    [reading("p", 1000, Number.NaN), /reading 1 of probe "p": tempC must be a finite number, got NaN/],
    [reading("p", 1000, Number.POSITIVE_INFINITY), /tempC must be a finite number, got Infinity/],
    [reading("p", 1000.5, -18), /tsMs must be a whole number of ms, got 1000.5/],
    [reading("p", 2 ** 53, -18), /tsMs must be a whole number/],
    [reading("p", 1000, -18, 1.5), /seq must be an integer or null, got 1.5/],
    [reading("a\nb", 1000, -18), /reading 1: probe id "a\\nb" contains a backslash, line break or NUL/],
  ])("refuses the whole batch when one reading cannot be written exactly (%#)", (bad, reason) => {
    const result = encodeReadings([reading("p", 0, -18), bad]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it("writes any finite float so that JavaScript reads back the same number", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (tempC) => {
        const result = encodeReadings([reading("p", 0, tempC)]);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        const field = /temp_c=(\S+) 0$/.exec(result.body)?.[1];
        expect(field).toMatch(/^-?\d+(\.\d+)?(e[+-]\d+)?$/);
        expect(Number(field)).toBe(tempC === 0 ? 0 : tempC);
      }),
    );
  });

  it("escapes each probe id in a batch that mixes probes", () => {
    const result = encodeReadings([
      reading("a b", 1, 1),
      reading("a b", 2, 2),
      reading("c", 3, 3),
      reading("a b", 4, 4),
    ]);
    expect(result).toEqual({
      ok: true,
      body: [
        "reading,probe_id=a\\ b temp_c=1 1",
        "reading,probe_id=a\\ b temp_c=2 2",
        "reading,probe_id=c temp_c=3 3",
        "reading,probe_id=a\\ b temp_c=4 4",
      ].join("\n"),
    });
  });
});

describe("number texts", () => {
  it("formatMs writes every whole number of ms as String does, near 2^53 and around each million too", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.maxSafeInteger(),
          fc.integer({ min: 0, max: 9_007_199_254 }).map((m) => m * 1_000_000),
          fc.integer({ min: 1, max: 9_007_199_254 }).map((m) => m * 1_000_000 - 1),
          fc.integer({ min: Number.MAX_SAFE_INTEGER - 5_000_000, max: Number.MAX_SAFE_INTEGER }),
          fc.integer({ min: 1_780_000_000_000, max: 1_780_000_000_000 + 86_400_000 }),
        ),
        (ms) => {
          expect(formatMs(ms)).toBe(String(ms));
        },
      ),
      { numRuns: 5000 },
    );
    for (const ms of [0, 999_999, 1_000_000, 1_000_001, 1_780_000_000_099, 1_780_000_100_000, -1000]) {
      expect(formatMs(ms)).toBe(String(ms));
    }
  });

  it("formatFloat writes a float as String does, -0 as 0, also once more values went by than it keeps", () => {
    const seen = Array.from({ length: 10_000 }, (_, i) => -60 + i / 16);
    for (const v of [...seen, ...seen]) expect(formatFloat(v)).toBe(String(v));
    expect(formatFloat(-0)).toBe("0");
    expect(formatFloat(0)).toBe("0");
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(formatFloat(v)).toBe(v === 0 ? "0" : String(v));
      }),
    );
  });
});
