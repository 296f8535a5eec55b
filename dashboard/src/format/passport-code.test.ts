import { describe, expect, it } from "vitest";
import { groupCode, normaliseCodePrefix, normalisePassportCode, retryDelayS } from "./passport-code.js";

describe("normalisePassportCode", () => {
  it("takes the code as printed", () => {
    expect(normalisePassportCode("7K2M01ABCDEFG")).toEqual({ ok: true, code: "7K2M01ABCDEFG" });
  });
  it("drops spaces, dashes and dots and upper-cases", () => {
    expect(normalisePassportCode(" 7k-2m 01ab.cdef-g ")).toEqual({ ok: true, code: "7K2M01ABCDEFG" });
  });
  it("reads O as 0 and I and L as 1 (Crockford look-alikes)", () => {
    expect(normalisePassportCode("7k2m oi abcd efl")).toEqual({ ok: true, code: "7K2M01ABCDEF1" });
  });
  it("says what is wrong with an empty, short, long or odd code", () => {
    expect(normalisePassportCode("  ")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("Type the code"),
    });
    expect(normalisePassportCode("7K2M")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("4 characters"),
    });
    expect(normalisePassportCode("A".repeat(33))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("33"),
    });
    expect(normalisePassportCode("7K2M01AB#DEF")).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"#"'),
    });
  });
});

describe("groupCode and retryDelayS", () => {
  it("groups a code in fours", () => {
    expect(groupCode("7K2M01ABCDEFG")).toBe("7K2M-01AB-CDEF-G");
    expect(normalisePassportCode(groupCode("7K2M01ABCDEFG"))).toEqual({ ok: true, code: "7K2M01ABCDEFG" });
  });
  it("doubles the wait up to a minute", () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(retryDelayS)).toEqual([2, 4, 8, 16, 32, 60, 60]);
  });
});

describe("normaliseCodePrefix", () => {
  it("reads the start of a code as a whole code is read, with no length rule", () => {
    expect(normaliseCodePrefix(" 7k-2m o")).toEqual({ ok: true, code: "7K2M0" });
    expect(normaliseCodePrefix("il")).toEqual({ ok: true, code: "11" });
    expect(normaliseCodePrefix("")).toEqual({ ok: true, code: "" });
    const bad = normaliseCodePrefix("7K*2");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toContain('"*" is not one of them');
  });
});
