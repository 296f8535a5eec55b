import { describe, expect, it } from "vitest";
import { checkMoveTime, clock, codeFromScan, localInputValue, moveConfirmation } from "./move.js";

const AT = { timeZone: "Europe/Berlin", locale: "en-GB" };
const NOW = Date.parse("2026-05-03T12:05:00Z"); // 14:05 in Berlin

describe("checkMoveTime", () => {
  const ctx = {
    nowMs: NOW,
    sinceMs: Date.parse("2026-05-03T08:00:00Z"),
    sinceWhere: "Bea's freezer",
    reader: AT,
  };
  it("an empty box means now", () => {
    expect(checkMoveTime("", ctx)).toEqual({ ok: true, atMs: NOW });
  });
  it("takes a time between the last move and now", () => {
    const at = Date.parse("2026-05-03T11:00:00Z");
    expect(checkMoveTime(new Date(at).toISOString(), ctx)).toEqual({ ok: true, atMs: at });
  });
  it("refuses a time still to come, saying what to pick", () => {
    const r = checkMoveTime("2026-05-03T13:00:00Z", ctx);
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("15:00 is still to come") });
    expect(!r.ok && r.reason).toContain("pick a time up to now");
  });
  it("allows a minute of clock skew", () => {
    expect(checkMoveTime(new Date(NOW + 30_000).toISOString(), ctx).ok).toBe(true);
  });
  it("refuses a time before the batch came into its place, naming the place and time", () => {
    const r = checkMoveTime("2026-05-03T07:00:00Z", ctx);
    expect(r).toEqual({
      ok: false,
      reason: "The batch came into Bea's freezer at 10:00; the move must be after that.",
    });
  });
  it("refuses what is not a time", () => {
    expect(checkMoveTime("tomorrow-ish", ctx)).toEqual({
      ok: false,
      reason: expect.stringContaining('"tomorrow-ish"'),
    });
  });
});

describe("moveConfirmation", () => {
  it("names the unit and the time, in plain words", () => {
    expect(moveConfirmation({ unitId: "u_2", unitName: "Bea's cool bag" }, NOW, NOW, AT)).toBe(
      "Moved to Bea's cool bag at 14:05.",
    );
  });
  it("says how the batch left her custody", () => {
    expect(moveConfirmation({ unitId: null, how: "handed-over" }, NOW, NOW, AT)).toBe(
      "Handed to the milk bank courier at 14:05.",
    );
    expect(moveConfirmation({ unitId: null, how: "discarded" }, NOW, NOW, AT)).toBe(
      "Marked as thrown away at 14:05.",
    );
  });
  it("names the day when it is not today", () => {
    expect(clock(Date.parse("2026-05-01T06:30:00Z"), NOW, AT)).toMatch(/^08:30 on 1 May$/);
  });
});

describe("codeFromScan", () => {
  it("reads the code from the passport URL of a label, from any host", () => {
    expect(codeFromScan("https://milk.example.org/p/7K2M01ABCDEFG")).toEqual({
      ok: true,
      code: "7K2M01ABCDEFG",
    });
    expect(codeFromScan("http://127.0.0.1:8080/p/7k2m01abcdefg/")).toEqual({
      ok: true,
      code: "7K2M01ABCDEFG",
    });
  });
  it("takes a bare code as a typed one", () => {
    expect(codeFromScan(" 7k2m-o1ab-cdef-g ")).toEqual({ ok: true, code: "7K2M01ABCDEFG" });
  });
  it("says plainly when the QR code is not a bag label", () => {
    for (const t of ["https://example.org/menu", "WIFI:S:home;T:WPA;P:secret;;", "https://x.org/p/%E0%A4%A"])
      expect(codeFromScan(t)).toEqual({
        ok: false,
        reason: expect.stringContaining("not a coldtrail bag label"),
      });
  });
});

describe("localInputValue", () => {
  it("is the moment in the viewer's zone, to the minute", () => {
    const ms = Date.parse("2026-05-03T12:05:42Z");
    const v = localInputValue(ms);
    expect(v).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(Math.abs(Date.parse(v) - ms)).toBeLessThan(60_000);
  });
});
