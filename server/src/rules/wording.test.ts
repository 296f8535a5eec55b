import { describe, expect, it } from "vitest";
import { checkTimeZone, formatDate, formatDuration, formatTempC, formatTime } from "./wording.js";

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

describe("wording in a time zone", () => {
  it("gives the zone's own short name, never UTC beside local", () => {
    const summer = Date.UTC(2026, 4, 3, 14, 5);
    expect(formatTime(summer, "Europe/London")).toBe("3 May 2026, 15:05 BST");
    expect(formatTime(Date.UTC(2026, 0, 3, 14, 5), "Europe/London")).toBe("3 Jan 2026, 14:05 GMT");
    expect(formatTime(summer, "America/New_York")).toBe("3 May 2026, 10:05 EDT");
    expect(formatTime(summer, "Europe/Berlin")).toBe("3 May 2026, 16:05 CEST");
    expect(formatDate(Date.UTC(2026, 4, 3, 23, 30), "Europe/Berlin")).toBe("4 May 2026");
  });

  it("refuses a zone it does not know, saying what to use", () => {
    expect(checkTimeZone("Europe/London")).toBeNull();
    expect(checkTimeZone("Mars/Olympus")).toMatch(
      /"Mars\/Olympus" is not an IANA time zone.*"Europe\/London"/,
    );
  });
});
