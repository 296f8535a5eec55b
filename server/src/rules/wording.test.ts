import { describe, expect, it } from "vitest";
import { formatDuration, formatTempC, formatTime } from "./wording.js";

describe("wording", () => {
  it.each([
    [0, "0 minutes"],
    [60_000, "1 minute"],
    [52 * 60_000, "52 minutes"],
    [60 * 60_000, "1 hour"],
    [200 * 60_000, "3 hours 20 minutes"],
    [5 * 24 * 3_600_000 + 2 * 3_600_000, "5 days 2 hours"],
    [243 * 24 * 3_600_000, "243 days (about 8 months)"],
  ])("formatDuration(%d) = %s", (ms, text) => expect(formatDuration(ms)).toBe(text));

  it("formats temperatures with a real minus sign", () => {
    expect(formatTempC(-18)).toBe("\u221218 °C");
    expect(formatTempC(4.44)).toBe("4.4 °C");
    expect(formatTempC(-0.04)).toBe("0 °C");
  });

  it("formats times in UTC, naming the zone", () => {
    expect(formatTime(Date.UTC(2026, 4, 3, 14, 5))).toBe("3 May 2026, 14:05 UTC");
  });
});
