import { describe, expect, it } from "vitest";
import { formatAge, formatDuration, formatLocal, formatSpan, isStale } from "./time.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe("formatDuration", () => {
  it.each([
    [0, "less than a minute"],
    [59_999, "less than a minute"],
    [MIN, "1 min"],
    [59 * MIN, "59 min"],
    [HOUR, "1 h"],
    [2 * HOUR + 15 * MIN, "2 h 15 min"],
    [47 * HOUR + 59 * MIN, "47 h 59 min"],
    [2 * DAY, "2 days"],
    [3 * DAY + 4 * HOUR, "3 days 4 h"],
    [59 * DAY, "59 days"],
    [183 * DAY, "about 6 months"],
    [-5 * MIN, "less than a minute"],
  ])("%d ms is %s", (ms, words) => expect(formatDuration(ms)).toBe(words));
});

describe("formatAge", () => {
  const now = Date.UTC(2026, 4, 3, 14, 0);
  it.each([
    [now - 5_000, "just now"],
    [now - 42_000, "42 s ago"],
    [now - 5 * MIN, "5 min ago"],
    [now - 3 * HOUR, "3 h ago"],
    [now - 3 * DAY, "3 days ago"],
    [now + 5 * MIN, "in 5 min"],
  ])("%d is %s", (ts, words) => expect(formatAge(ts, now)).toBe(words));
});

describe("local times", () => {
  it("uses the given time zone", () => {
    const ms = Date.UTC(2026, 4, 3, 14, 0);
    expect(formatLocal(ms, "Europe/Berlin")).toMatch(/16:00|4:00/);
    expect(formatLocal(ms, "America/New_York")).toMatch(/10:00/);
    expect(formatLocal("not a time")).toBe("not a time");
  });

  it("spans say how long, and open spans say ongoing", () => {
    const from = "2026-05-03T14:00:00Z";
    expect(formatSpan(from, "2026-05-04T02:00:00Z", 0, "UTC")).toMatch(
      /^from .*(14:00|2:00 PM).* to .*(02:00|2:00 AM).* \(12 h\)$/,
    );
    expect(formatSpan(from, null, Date.parse(from) + 90 * MIN, "UTC")).toMatch(
      /^since .* \(ongoing, 1 h 30 min so far\)$/,
    );
  });

  it("stale means more than 15 minutes old", () => {
    expect(isStale(15 * 60)).toBe(false);
    expect(isStale(15 * 60 + 1)).toBe(true);
  });
});
