/**
 * One scenario (or a few) per rule the engine must get right, RULES.md §2–§4: custody and readings
 * in, the verdict, its reasons and its words out.
 */
import { describe, expect, it } from "vitest";
import { computeVerdict } from "./engine.js";
import { parentSummary } from "./parent-summary.js";
import { describeReason } from "./reason-words.js";
import { learnIntervalMs } from "./reporting-interval.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, piecewise, series } from "./synthetic-readings.js";
import { RULES } from "./table.js";
import { stay, verdictOf } from "./test-stays.js";
import type { BatchInput, Reason, ReasonCode, Verdict } from "./types.js";

const T0 = Date.UTC(2026, 4, 1); // 1 May 2026, 00:00 UTC

const concerns = (v: Verdict): ReasonCode[] =>
  [...new Set(v.reasons.filter((r) => r.band !== "safe").map((r) => r.code))].sort();
const reason = (v: Verdict, code: ReasonCode): Reason | undefined => v.reasons.find((r) => r.code === code);

/** A working unit around `c`: one DS18B20 step (1/16 °C) down every other 7 min. */
const cycling = (c: number) => (t: number) => c - 0.0625 * (Math.floor(t / (7 * MINUTE_MS)) % 2);
/** A fridge holding 3.6–4.0 °C, moving every 5 min. */
const fridge36to40 = (t: number) => 3.6 + 0.1 * (Math.floor(t / (5 * MINUTE_MS)) % 5);

describe("1. a stuck probe is a sensor fault, never safe, never an excursion", () => {
  it("14 h of an identical −19.00 °C: check, the whole flat stretch unmonitored", () => {
    const v = verdictOf(
      {
        expressedAtMs: T0 - DAY_MS,
        initialState: "frozen",
        custody: [
          stay(
            "home-freezer",
            T0,
            null,
            series(T0, T0 + 14 * HOUR_MS, MINUTE_MS, () => -19),
          ),
        ],
      },
      T0 + 14 * HOUR_MS,
    );
    expect(v.verdict).toBe("check");
    expect(concerns(v)).toEqual(["low-coverage", "sensor-fault"]);
    const f = reason(v, "sensor-fault");
    expect(f).toMatchObject({ fromMs: T0, toMs: null, values: { fault: "stuck", probe: "stuck" } });
    expect(f?.message).toMatch(/probe read exactly −19 °C without any change since 1 May 2026, 00:00 UTC/);
    expect(f?.message).toMatch(/check the probe/);
    expect(v.stats.monitoredPct).toBe(0);
  });

  it("a flat stretch between working hours: that stretch only, no gap or cumulative reason for it", () => {
    const readings = series(
      T0,
      T0 + DAY_MS,
      MINUTE_MS,
      piecewise([{ fromMs: T0 + 6 * HOUR_MS, toMs: T0 + 14 * HOUR_MS, tempAt: () => -19.5 }], cycling(-20)),
    );
    const v = verdictOf(
      {
        expressedAtMs: T0 - DAY_MS,
        initialState: "frozen",
        custody: [stay("home-freezer", T0, T0 + DAY_MS, readings)],
      },
      T0 + DAY_MS,
    );
    expect(concerns(v)).toEqual(["low-coverage", "sensor-fault"]);
    expect(reason(v, "sensor-fault")).toMatchObject({
      fromMs: T0 + 6 * HOUR_MS,
      toMs: T0 + 14 * HOUR_MS - MINUTE_MS,
      values: { fault: "stuck", count: 8 * 60 },
    });
    expect(v.stats.monitoredPct).toBeCloseTo(100 * (16 / 24), 0);
  });

  it("a unit may lengthen the window (sensor.stuckMin): a very stable milk-bank freezer", () => {
    const v = verdictOf(
      {
        expressedAtMs: T0 - DAY_MS,
        initialState: "frozen",
        custody: [
          stay(
            "milk-bank-freezer",
            T0,
            null,
            series(T0, T0 + 14 * HOUR_MS, MINUTE_MS, () => -25),
            {
              overrides: { "sensor.stuckMin": 24 * 60 },
            },
          ),
        ],
      },
      T0 + 14 * HOUR_MS,
    );
    expect(v.verdict).toBe("safe");
  });
});

describe("2. duration is time above the line, not hysteresis time", () => {
  it("one 4.1 °C reading in a fridge holding 3.6–4.0 °C is one minute and does not start FR-2", () => {
    const readings = series(T0, T0 + 3.5 * DAY_MS, MINUTE_MS, (t) =>
      t === T0 + HOUR_MS ? 4.1 : fridge36to40(t),
    );
    const v = verdictOf(
      { expressedAtMs: T0, initialState: "fresh", custody: [stay("fridge", T0, null, readings)] },
      T0 + 3.5 * DAY_MS,
    );
    // Under FR-2 (3 days) 3.5 days would be do-not-use; under FR-1 (4 days) it is safe.
    expect(v.verdict).toBe("safe");
    expect(reason(v, "excursion")).toBeUndefined();
    expect(v.budgets.map((b) => b.limit)).toEqual(["FR-1"]);
    expect(v.stats.minutesOutOfRange).toBe(1);
  });

  it("one −17.9 °C reading in a freezer at −18.0…−18.4 °C is not an excursion", () => {
    const freezer = (t: number) =>
      t === T0 + HOUR_MS ? -17.9 : -18 - 0.1 * (Math.floor(t / (5 * MINUTE_MS)) % 5);
    const v = verdictOf(
      {
        expressedAtMs: T0 - DAY_MS,
        initialState: "frozen",
        custody: [stay("home-freezer", T0, null, series(T0, T0 + 2 * DAY_MS, MINUTE_MS, freezer))],
      },
      T0 + 2 * DAY_MS,
    );
    expect(v.verdict).toBe("safe");
    expect(concerns(v)).toEqual([]);
  });

  it("a wobble across −18 °C reports its minutes above, and the cumulative counter counts only those", () => {
    // 5 h alternating −17.9 / −18.2 every minute: one run of 5 h, 150 min above the line.
    const wobble = piecewise(
      [
        {
          fromMs: T0 + HOUR_MS,
          toMs: T0 + 6 * HOUR_MS,
          tempAt: (t) => ((t / MINUTE_MS) % 2 === 0 ? -17.9 : -18.2),
        },
      ],
      cycling(-20),
    );
    const v = verdictOf(
      {
        expressedAtMs: T0 - DAY_MS,
        initialState: "frozen",
        custody: [stay("home-freezer", T0, null, series(T0, T0 + DAY_MS, MINUTE_MS, wobble))],
      },
      T0 + DAY_MS,
    );
    expect(concerns(v)).toEqual(["cumulative-excursion", "excursion"]);
    expect(reason(v, "excursion")).toMatchObject({
      fromMs: T0 + HOUR_MS,
      toMs: T0 + 6 * HOUR_MS,
      values: { minutes: 150 },
    });
    expect(reason(v, "cumulative-excursion")?.values).toMatchObject({ minutes: 150, unmonitoredMinutes: 0 });
  });
});

describe("3. a fridge above 4 °C for more than 30 min applies FR-2: a note, not check", () => {
  it("fresh milk, fridge at 6 °C for 45 min: safe, FR-2's 3 days now run", () => {
    const readings = series(
      T0,
      T0 + DAY_MS,
      MINUTE_MS,
      piecewise(
        [{ fromMs: T0 + 2 * HOUR_MS, toMs: T0 + 2 * HOUR_MS + 45 * MINUTE_MS, tempAt: () => 6 }],
        fridge36to40,
      ),
    );
    const v = verdictOf(
      { expressedAtMs: T0, initialState: "fresh", custody: [stay("fridge", T0, null, readings)] },
      T0 + DAY_MS,
    );
    expect(v.verdict).toBe("safe");
    expect(reason(v, "excursion")).toMatchObject({ band: "safe", rule: "FR-2", values: { minutes: 45 } });
    expect(reason(v, "excursion")?.message).toContain(
      "must be used or frozen within 3 days of expressing (FR-2)",
    );
    expect(v.budgets).toEqual([
      { limit: "FR-2", band: "do-not-use", untilMs: T0 + 3 * DAY_MS, remainingMs: 2 * DAY_MS },
    ]);
  });

  it("an excursion whose air came back under the line is over in the words, though hysteresis keeps it open", () => {
    // 3.6–4.0 °C never reaches the 3.5 °C clear line, so the run stays open for the alert.
    const warmTo = T0 + 2 * HOUR_MS + 45 * MINUTE_MS;
    const readings = series(
      T0,
      T0 + DAY_MS,
      MINUTE_MS,
      piecewise([{ fromMs: T0 + 2 * HOUR_MS, toMs: warmTo, tempAt: () => 6 }], fridge36to40),
    );
    const v = verdictOf(
      { expressedAtMs: T0, initialState: "fresh", custody: [stay("fridge", T0, null, readings)] },
      T0 + DAY_MS,
    );
    const x = reason(v, "excursion");
    expect(x).toMatchObject({ fromMs: T0 + 2 * HOUR_MS, toMs: warmTo, values: { ongoing: false } });
    expect(x?.message).not.toMatch(/so far|has been warmer/);
    expect(x?.message).toContain("was warmer than 4 °C for 45 min");
  });

  it("20 min at 6 °C is not enough to apply FR-2", () => {
    const readings = series(
      T0,
      T0 + DAY_MS,
      MINUTE_MS,
      piecewise(
        [{ fromMs: T0 + 2 * HOUR_MS, toMs: T0 + 2 * HOUR_MS + 20 * MINUTE_MS, tempAt: () => 6 }],
        fridge36to40,
      ),
    );
    const v = verdictOf(
      { expressedAtMs: T0, initialState: "fresh", custody: [stay("fridge", T0, null, readings)] },
      T0 + DAY_MS,
    );
    expect(v.budgets.map((b) => b.limit)).toEqual(["FR-1"]);
    expect(reason(v, "excursion")).toBeUndefined();
  });
});

describe("4. cool bags have no 4 °C line; above 15 °C RT-1 applies, in the bag's own numbers", () => {
  it("chilled milk in a bag at 8–12 °C for 6 h: within CB-1, no excursion, no FR-2", () => {
    const v = verdictOf(
      {
        expressedAtMs: T0 - HOUR_MS,
        initialState: "fresh",
        custody: [
          stay(
            "cool-bag",
            T0,
            null,
            series(T0, T0 + 6 * HOUR_MS, MINUTE_MS, (t) => 8 + ((t - T0) / HOUR_MS) * 0.7),
          ),
        ],
      },
      T0 + 6 * HOUR_MS,
    );
    expect(v.verdict).toBe("safe");
    expect(v.reasons.map((r) => r.code)).not.toContain("excursion");
    expect(v.budgets.map((b) => b.limit)).toEqual(["FR-1", "CB-1"]);
  });

  it("fresh milk at 17 °C in a bag for 5 h, then a fridge: RT-1 do-not-use, naming the bag's 15 °C", () => {
    const v = verdictOf(
      {
        expressedAtMs: T0,
        initialState: "fresh",
        custody: [
          stay("cool-bag", T0, T0 + 5 * HOUR_MS, series(T0, T0 + 5 * HOUR_MS, MINUTE_MS, cycling(17))),
          stay(
            "fridge",
            T0 + 5 * HOUR_MS,
            null,
            series(T0 + 5 * HOUR_MS, T0 + DAY_MS, MINUTE_MS, fridge36to40),
          ),
        ],
      },
      T0 + DAY_MS,
    );
    expect(v.verdict).toBe("do-not-use");
    expect(concerns(v)).toEqual(["room-temperature"]);
    const r = reason(v, "room-temperature");
    expect(r?.rule).toBe("RT-1");
    expect(r?.message).toContain("air above 15 °C in the cool bag");
    expect(r?.message).not.toContain("10 °C");
    // The milk is in a fridge now: no cool-bag budget runs.
    expect(v.budgets.some((b) => b.limit === "CB-1")).toBe(false);
  });
});

describe("5. frozen milk that stays frozen in a cool bag is under TR-1, chilled milk under CB-1", () => {
  const frozenTrip = (hours: number) =>
    verdictOf(
      {
        expressedAtMs: T0 - 10 * DAY_MS,
        initialState: "frozen",
        custody: [stay("cool-bag", T0, null, series(T0, T0 + hours * HOUR_MS, MINUTE_MS, cycling(-12)))],
      },
      T0 + hours * HOUR_MS,
    );

  it("past 24 h: check (TR-1) for staff to judge, never do-not-use for time alone", () => {
    for (const hours of [30, 72]) {
      const v = frozenTrip(hours);
      expect(v.verdict).toBe("check");
      expect(concerns(v)).toEqual(["transport-limit"]);
      expect(v.state).toBe("frozen");
    }
    expect(reason(frozenTrip(30), "transport-limit")?.message).toBe(
      "The frozen milk was in cool bags for 30 hours, more than 24 hours; it stayed frozen. Staff should judge the journey against their bank's transport limit (TR-1).",
    );
  });

  it("within 24 h: safe, with the TR-1 budget running while it is in the bag", () => {
    const v = frozenTrip(20);
    expect(v.verdict).toBe("safe");
    expect(v.budgets.filter((b) => b.limit === "TR-1")).toEqual([
      { limit: "TR-1", band: "check", untilMs: T0 + 24 * HOUR_MS, remainingMs: 4 * HOUR_MS },
    ]);
    expect(v.budgets.some((b) => b.limit === "CB-1")).toBe(false);
  });

  it("chilled milk 26 h in a bag at 3 °C is do-not-use (CB-1)", () => {
    const v = verdictOf(
      {
        expressedAtMs: T0 - HOUR_MS,
        initialState: "fresh",
        custody: [stay("cool-bag", T0, null, series(T0, T0 + 26 * HOUR_MS, MINUTE_MS, cycling(3)))],
      },
      T0 + 26 * HOUR_MS,
    );
    expect(v.verdict).toBe("do-not-use");
    expect(concerns(v)).toEqual(["cool-bag-limit"]);
  });
});

describe("6. leaving custody", () => {
  const thawedInFridge = (custodyEnd: BatchInput["custodyEnd"]): BatchInput => ({
    expressedAtMs: T0 - 30 * DAY_MS,
    initialState: "thawed",
    thawedAtMs: T0,
    custody: [stay("fridge", T0, T0 + 6 * HOUR_MS, series(T0, T0 + 6 * HOUR_MS, MINUTE_MS, fridge36to40))],
    custodyEnd,
  });

  it("the verdict is as of the hand-over, budgets stop, and a note says the temperature since is unknown", () => {
    const end = { atMs: T0 + 6 * HOUR_MS, how: "handed-over" as const };
    const soon = verdictOf(thawedInFridge(end), T0 + 7 * HOUR_MS);
    const later = verdictOf(thawedInFridge(end), T0 + 10 * DAY_MS);
    expect(later).toEqual(soon);
    expect(soon.verdict).toBe("safe");
    expect(soon.asOfMs).toBe(T0 + 6 * HOUR_MS);
    expect(reason(soon, "custody-ended")).toMatchObject({
      band: "safe",
      fromMs: T0 + 6 * HOUR_MS,
      values: { how: "handed-over" },
      message: "Monitoring ended at 1 May 2026, 06:00 UTC: since then its temperature is unknown.",
    });
    expect(soon.budgets).toEqual([
      { limit: "TH-1", band: "check", untilMs: null, remainingMs: 6 * HOUR_MS },
      { limit: "TH-1", band: "do-not-use", untilMs: null, remainingMs: 18 * HOUR_MS },
    ]);
  });

  it("custodyEnd must be where the last interval ends", () => {
    const r = computeVerdict(thawedInFridge({ atMs: T0 + 5 * HOUR_MS, how: "fed" }), T0 + DAY_MS);
    expect(r).toEqual({
      ok: false,
      reason: `custodyEnd.atMs (${T0 + 5 * HOUR_MS}) must equal the last interval's toMs (${T0 + 6 * HOUR_MS}); close the last interval where the batch left custody`,
    });
  });

  it("back in custody after 20 min away: a note under the gap rule; after 2 h: check", () => {
    const away = (minutes: number) =>
      verdictOf(
        {
          expressedAtMs: T0 - DAY_MS,
          initialState: "frozen",
          custody: [
            stay("home-freezer", T0, T0 + DAY_MS, series(T0, T0 + DAY_MS, MINUTE_MS, cycling(-20)), {
              unitId: "a",
            }),
            stay(
              "home-freezer",
              T0 + DAY_MS + minutes * MINUTE_MS,
              null,
              series(T0 + DAY_MS + minutes * MINUTE_MS, T0 + 3 * DAY_MS, MINUTE_MS, cycling(-20)),
              { unitId: "b" },
            ),
          ],
        },
        T0 + 3 * DAY_MS,
      );
    expect(reason(away(20), "custody-gap")?.band).toBe("safe");
    expect(away(20).verdict).toBe("safe");
    expect(reason(away(120), "custody-gap")?.band).toBe("check");
  });
});

describe("7. an unknown reporting interval is learned from the readings", () => {
  it("a probe reporting every 10 min: fully monitored, no short breaks, a note", () => {
    const v = verdictOf(
      {
        expressedAtMs: T0 - DAY_MS,
        initialState: "frozen",
        custody: [
          stay("home-freezer", T0, null, series(T0, T0 + 2 * DAY_MS, 10 * MINUTE_MS, cycling(-20)), {
            expectedIntervalMs: null,
          }),
        ],
      },
      T0 + 2 * DAY_MS,
    );
    expect(v.verdict).toBe("safe");
    expect(v.stats.monitoredPct).toBe(100);
    expect(reason(v, "short-gaps")).toBeUndefined();
    expect(reason(v, "interval-learned")).toMatchObject({
      band: "safe",
      values: { intervalMs: 10 * MINUTE_MS },
      message: "Readings arrive about every 10 min (learned from the readings).",
    });
  });

  it("median of distinct spacings, floored at 10 s, 60 s without readings", () => {
    const at = (...s: number[]) => s.map((x) => ({ tsMs: x * 1000, tempC: -20 }));
    expect(learnIntervalMs(at(0, 600, 1200, 1800, 5000))).toBe(600_000);
    expect(learnIntervalMs(at(0, 1, 2, 3))).toBe(10_000);
    expect(learnIntervalMs(at(0))).toBe(60_000);
    expect(learnIntervalMs([])).toBe(60_000);
  });
});

describe("8. a disconnected or restarting probe says so", () => {
  const withFaults = series(T0, T0 + DAY_MS, MINUTE_MS, (t) => {
    if (t >= T0 + 5 * HOUR_MS && t < T0 + 7 * HOUR_MS) return -127;
    if (t === T0 + 10 * HOUR_MS) return 85;
    if (t === T0 + 12 * HOUR_MS) return 6553.5;
    return cycling(-20)(t);
  });
  const v = verdictOf(
    {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, T0 + DAY_MS, withFaults)],
    },
    T0 + DAY_MS,
  );
  const faults = v.reasons.filter((r) => r.code === "sensor-fault");

  it("−127 °C: disconnected; 85 °C: restarted; 6553.5: impossible", () => {
    expect(faults.map((r) => [r.values?.fault, r.values?.probe])).toEqual([
      ["out-of-range", "disconnected"],
      ["sentinel", "restarted"],
      ["out-of-range", "impossible"],
    ]);
    expect(faults[0]?.message).toBe(
      "The probe was disconnected from 1 May 2026, 05:00 UTC to 1 May 2026, 06:59 UTC (it read −127 °C, 120 times): that time is unmonitored; check the probe.",
    );
    expect(faults[1]?.message).toBe(
      "The probe restarted at 1 May 2026, 10:00 UTC (it read 85 °C, its power-on value): that time is unmonitored; check the probe.",
    );
    expect(faults[2]?.message).toMatch(
      /^The freezer's probe sent an impossible reading \(such as 6553.5 °C\) at /,
    );
  });

  it("the disconnected time is a sensor fault, not also a gap or a cumulative excursion", () => {
    expect(concerns(v)).toEqual(["low-coverage", "sensor-fault"]);
  });
});

describe("words", () => {
  const refrozen = verdictOf(
    {
      expressedAtMs: T0 - 10 * DAY_MS,
      initialState: "frozen",
      custody: [
        stay(
          "home-freezer",
          T0,
          null,
          series(
            T0,
            T0 + 2 * DAY_MS,
            MINUTE_MS,
            piecewise(
              [{ fromMs: T0 + 2 * HOUR_MS, toMs: T0 + 14 * HOUR_MS, tempAt: cycling(5) }],
              cycling(-20),
            ),
          ),
          { unitId: "unit-secret-42" },
        ),
      ],
    },
    T0 + 2 * DAY_MS,
    "Europe/London",
  );

  it("times in the reader's zone with its short name, never UTC beside it", () => {
    const text = refrozen.reasons.map((r) => r.message).join("\n");
    expect(text).toContain("BST");
    expect(text).not.toContain("UTC");
    expect(
      computeVerdict({ ...refrozenInput(), custody: [] }, T0, { timeZone: "Nowhere/Land" }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/timeZone "Nowhere\/Land" is not an IANA time zone/),
    });
  });

  it("no contradictions: a refrozen batch quotes no TH-1 limit or budget; the thaw's start is worded as such", () => {
    expect(refrozen.verdict).toBe("do-not-use");
    expect(refrozen.reasons.map((r) => r.code)).not.toContain("thawed-limit");
    expect(refrozen.budgets).toEqual([]);
    expect(reason(refrozen, "probable-thaw")?.message).toMatch(
      /^The milk probably started to thaw around 1 May 2026, \d\d:\d\d BST and had thawed by 1 May 2026, \d\d:\d\d BST in the freezer/,
    );
    expect(reason(refrozen, "thawing")).toBeUndefined();
  });

  it("softening that was still going when custody ended is not worded as going on now", () => {
    const v = verdictOf(
      {
        expressedAtMs: T0 - DAY_MS,
        initialState: "frozen",
        custody: [
          stay("cool-bag", T0, T0 + 3 * HOUR_MS, series(T0, T0 + 3 * HOUR_MS, MINUTE_MS, cycling(-1.5))),
        ],
        custodyEnd: { atMs: T0 + 3 * HOUR_MS, how: "handed-over" },
      },
      T0 + DAY_MS,
    );
    expect(v.state).toBe("thawing");
    const r = reason(v, "thawing");
    expect(r?.message).toMatch(
      /^The milk was softening when monitoring ended: its estimated temperature had been above −2 °C since 1 May 2026, 0\d:\d\d UTC\.$/,
    );
    expect(r?.band).toBe("check");
  });

  it("parent words carry no rule ids, technical terms or unit ids", () => {
    for (const r of refrozen.reasons) {
      const text = describeReason(r, { timeZone: "Europe/London", audience: "parent" });
      expect(text).not.toMatch(/\b(FR|RT|TH|RF|FZ|CB|TR|MB)-\d|§|mean kinetic|unit-secret-42/);
    }
  });

  it("parentSummary: the one date that matters", () => {
    const s = parentSummary(refrozen, { timeZone: "Europe/London", expressedAtMs: T0 - 10 * DAY_MS });
    expect(s.headline).toBe("Do not use: it thawed on 1 May 2026 and was refrozen");
    expect(s.useBy).toBeNull();
    expect(s.lines[0]).toMatch(
      /^Do not use: the milk thawed around .* BST and was frozen again around .* BST/,
    );
    expect(s.lines.join(" ")).not.toMatch(/\b(FR|RT|TH|RF|FZ)-\d|§|mean kinetic|unit-secret-42/);
    // No contradiction: a do-not-use summary does not also ask to check with the bank.
    expect(s.lines.join(" ")).not.toContain("Ask the milk bank");

    const thawed = verdictOf(
      {
        expressedAtMs: T0 - 30 * DAY_MS,
        initialState: "thawed",
        thawedAtMs: T0,
        custody: [stay("fridge", T0, null, series(T0, T0 + 2 * HOUR_MS, MINUTE_MS, fridge36to40))],
      },
      T0 + 2 * HOUR_MS,
    );
    const t = parentSummary(thawed, { timeZone: "Europe/London", expressedAtMs: T0 - 30 * DAY_MS });
    expect(t.headline).toBe("Use by 1 May 2026, 13:00 BST");
    expect(t.useBy).toBe(new Date(T0 + 12 * HOUR_MS).toISOString());
  });
});

describe("every reason code has words for both readers", () => {
  const codes: ReasonCode[] = [
    "excursion",
    "cumulative-excursion",
    "fridge-freezing",
    "thawing",
    "probable-thaw",
    "refrozen",
    "fresh-limit",
    "frozen-limit",
    "thawed-limit",
    "thawed-room-temperature",
    "room-temperature",
    "hot",
    "cool-bag-limit",
    "transport-limit",
    "gap",
    "short-gaps",
    "custody-gap",
    "custody-ended",
    "sensor-fault",
    "low-coverage",
    "interval-learned",
    "before-custody",
  ];
  it.each(codes)("%s", (code) => {
    const r: Reason = {
      code,
      band: "check",
      rule: "FR-1",
      message: "",
      fromMs: T0,
      toMs: T0 + HOUR_MS,
      values: { unitKind: "fridge", unitId: "unit-secret-42" },
    };
    const staff = describeReason(r, { timeZone: "Europe/Berlin" });
    const parent = describeReason(r, { timeZone: "Europe/Berlin", audience: "parent" });
    for (const text of [staff, parent]) {
      expect(text.length).toBeGreaterThan(20);
      expect(text).not.toMatch(/undefined|NaN|UTC|unit-secret-42/);
    }
    expect(parent).not.toMatch(/\b(FR|RT|TH|RF|FZ|CB|TR|MB)-\d|§|mean kinetic/);
  });
});

describe("the rule table", () => {
  it("names every RULES.md row the engine applies, each with what it reads and says", () => {
    const ids = RULES.map((r) => r.id);
    for (const id of ["RT-1", "RT-2", "FR-1 / FR-2", "CB-1", "TR-1", "FZ-1", "TH-1", "TH-2", "RF-1"])
      expect(ids).toContain(id);
    for (const r of RULES) {
      expect(r.reads.length).toBeGreaterThan(5);
      expect(r.says.length).toBeGreaterThan(5);
    }
  });
});

function refrozenInput(): BatchInput {
  return { expressedAtMs: T0, initialState: "frozen", custody: [] };
}
