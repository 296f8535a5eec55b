import { describe, expect, it } from "vitest";
import type { ProfileNumbers } from "../api/types.js";
import { chartColumns, custodyLimits, gapThresholdMs, parseEveryMs, timeTicks } from "./chart-data.js";

const T0 = Date.UTC(2026, 4, 3, 12, 0);
const MIN = 60_000;
const at = (min: number) => new Date(T0 + min * MIN).toISOString();

describe("chartColumns", () => {
  it("sorts, drops duplicate times and breaks the line at a silence", () => {
    const cols = chartColumns({
      points: [
        { ts: at(2), temp_c: -19 },
        { ts: at(0), temp_c: -19.5 },
        { ts: at(1), temp_c: -19.25 },
        { ts: at(1), temp_c: -1 },
        { ts: at(30), temp_c: -18 },
      ],
      limits: [{ fromMs: T0, toMs: T0 + 60 * MIN, minC: null, maxC: -18 }],
      gapMs: 5 * MIN,
    });
    expect(cols[0]).toEqual([0, 1, 2, 16, 30].map((m) => (T0 + m * MIN) / 1000));
    expect(cols[1]).toEqual([-19.5, -19.25, -19, null, -18]);
    expect(cols[4]).toEqual([-18, -18, -18, -18, -18]);
    expect(cols[5]).toEqual([null, null, null, null, null]);
  });

  it("keeps bucket min and max, and no limit outside every span", () => {
    const cols = chartColumns({
      points: [
        { ts: at(0), temp_c: 3, min_c: 2, max_c: 5 },
        { ts: at(90), temp_c: 4 },
      ],
      limits: [{ fromMs: T0, toMs: T0 + 60 * MIN, minC: 0, maxC: 4 }],
      gapMs: 120 * MIN,
    });
    expect(cols[2]).toEqual([2, null]);
    expect(cols[3]).toEqual([5, null]);
    expect(cols[4]).toEqual([4, null]);
    expect(cols[5]).toEqual([0, null]);
  });

  it("ignores unparseable points", () => {
    const cols = chartColumns({
      points: [
        { ts: "nope", temp_c: 1 },
        { ts: at(0), temp_c: Number.NaN },
      ],
      limits: [],
      gapMs: MIN,
    });
    expect(cols[0]).toEqual([]);
  });
});

describe("gap threshold", () => {
  it("is two buckets when bucketed, else three median steps, at least two minutes", () => {
    expect(gapThresholdMs([], 300_000)).toBe(600_000);
    expect(
      gapThresholdMs(
        [
          { ts: at(0), temp_c: 0 },
          { ts: at(1), temp_c: 0 },
          { ts: at(2), temp_c: 0 },
        ],
        null,
      ),
    ).toBe(180_000);
    expect(
      gapThresholdMs(
        [
          { ts: at(0), temp_c: 0 },
          { ts: new Date(T0 + 10_000).toISOString(), temp_c: 0 },
        ],
        null,
      ),
    ).toBe(120_000);
    expect(parseEveryMs("300s")).toBe(300_000);
    expect(parseEveryMs(null)).toBeNull();
    expect(parseEveryMs("5m")).toBeNull();
  });
});

describe("custodyLimits", () => {
  const profile = (
    id: string,
    maxC: number,
    frozenMaxC: number,
    minC: number | null = null,
  ): ProfileNumbers => ({
    id,
    kind: "freezer",
    label: id,
    safe: { minC, maxC, frozenMaxC },
  });
  it("pairs profiles with monitored stays in order and skips out-of-custody stays", () => {
    const spans = custodyLimits(
      [
        { kind: "freezer", from: at(0), to: at(60) },
        { kind: "out-of-custody", from: at(60), to: at(70) },
        { kind: "cool-bag", from: at(70), to: null },
      ],
      [profile("home-freezer", -18, -18), profile("cool-bag", 4, -1)],
      true,
      T0 + 100 * MIN,
    );
    expect(spans).toEqual([
      { fromMs: T0, toMs: T0 + 60 * MIN, minC: null, maxC: -18 },
      { fromMs: T0 + 70 * MIN, toMs: T0 + 100 * MIN + 1, minC: null, maxC: -1 },
    ]);
  });

  it("uses the liquid-milk limit once milk is not frozen, and stops when profiles run out", () => {
    const spans = custodyLimits(
      [
        { kind: "cool-bag", from: at(0), to: at(60) },
        { kind: "fridge", from: at(60), to: null },
      ],
      [profile("cool-bag", 4, -1)],
      false,
      T0,
    );
    expect(spans).toEqual([{ fromMs: T0, toMs: T0 + 60 * MIN, minC: null, maxC: 4 }]);
  });
});

describe("timeTicks", () => {
  const local = (d: number, h: number) => new Date(2026, 4, d, h, 0).getTime() / 1000;
  it("shows the time of day, with the date where the day changes", () => {
    const labels = timeTicks([local(3, 12), local(3, 18), local(4, 0), local(4, 6)]);
    expect(labels).toHaveLength(4);
    expect(labels[0]).toMatch(/\n.*3/);
    expect(labels[1]).not.toContain("\n");
    expect(labels[2]).toMatch(/\n.*4/);
    expect(labels[3]).not.toContain("\n");
  });

  it("shows only dates when every tick is at midnight", () => {
    const labels = timeTicks([local(3, 0), local(5, 0), local(7, 0)]);
    expect(labels.every((l) => !l.includes("\n") && /\d/.test(l))).toBe(true);
    expect(new Set(labels).size).toBe(3);
  });
});
