/**
 * Table-driven scenarios: a batch's custody and readings in, the verdict band and reason codes out.
 */
import { describe, expect, it } from "vitest";
import { computeVerdict } from "./engine.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, noise, piecewise, ramp, series } from "./synthetic-readings.js";
import { stay, verdictOf } from "./test-stays.js";
import type { Band, BatchInput, ReasonCode, Verdict } from "./types.js";

const T0 = Date.UTC(2026, 4, 1); // 1 May 2026, 00:00 UTC

/** Codes of the reasons that count (band above "safe"). */
function concerns(v: Verdict): ReasonCode[] {
  return [...new Set(v.reasons.filter((r) => r.band !== "safe").map((r) => r.code))].sort();
}

/**
 * A unit holding about `c`: real freezers and fridges cycle, so the probe steps between c and one
 * DS18B20 step (1/16 °C) below it every 7 min. A value that never changes for 6 h is a stuck probe.
 */
const steady = (c: number) => (t: number) => c - 0.0625 * (Math.floor(t / (7 * MINUTE_MS)) % 2);

interface Scenario {
  name: string;
  batch: BatchInput;
  nowMs: number;
  verdict: Band;
  /** Exactly these reason codes above "safe". */
  codes: ReasonCode[];
  state?: Verdict["state"];
  extra?: (v: Verdict) => void;
}

const week = 7 * DAY_MS;
const doorOpenings = (t: number) => ((t - T0) % (3 * HOUR_MS) < 3 * MINUTE_MS ? -5 : -20 + noise(t, 0.3));

const powerCutStart = T0 + DAY_MS;
const powerCut = piecewise(
  [
    {
      fromMs: powerCutStart,
      toMs: powerCutStart + 10 * HOUR_MS,
      tempAt: ramp(powerCutStart, powerCutStart + 10 * HOUR_MS, -20, 5),
    },
    { fromMs: powerCutStart + 10 * HOUR_MS, toMs: powerCutStart + 18 * HOUR_MS, tempAt: steady(5) },
    {
      fromMs: powerCutStart + 18 * HOUR_MS,
      toMs: powerCutStart + 20 * HOUR_MS,
      tempAt: ramp(powerCutStart + 18 * HOUR_MS, powerCutStart + 20 * HOUR_MS, 5, -20),
    },
  ],
  steady(-20),
);

const doorAjar = piecewise(
  [{ fromMs: T0 + 5 * HOUR_MS, toMs: T0 + 5 * HOUR_MS + 50 * MINUTE_MS, tempAt: steady(-10) }],
  steady(-20),
);

const withGap = series(T0, T0 + 3 * DAY_MS, MINUTE_MS, steady(-20)).filter(
  (r) => r.tsMs < T0 + DAY_MS || r.tsMs >= T0 + DAY_MS + 12 * HOUR_MS,
);

const fridgeWarm = piecewise(
  [{ fromMs: T0 + 6 * HOUR_MS, toMs: T0 + 8 * HOUR_MS, tempAt: steady(6) }],
  steady(3),
);
const fridgeFreezing = piecewise(
  [{ fromMs: T0 + 6 * HOUR_MS, toMs: T0 + 8 * HOUR_MS, tempAt: steady(-1.5) }],
  steady(3),
);

const wobble = piecewise(
  [
    {
      fromMs: T0 + 2 * HOUR_MS,
      toMs: T0 + 4 * HOUR_MS,
      tempAt: (t) => ((t / MINUTE_MS) % 2 === 0 ? -17.9 : -18.2),
    },
  ],
  steady(-20),
);
/** Ten 20-minute creeps above −18 °C a day: no single event reaches 30 min. */
const creeping = (t: number) => ((t - T0) % (144 * MINUTE_MS) < 20 * MINUTE_MS ? -17 : -20);

const withFaults = series(T0, T0 + 2 * DAY_MS, MINUTE_MS, steady(-20)).map((r, i) =>
  i === 600 ? { ...r, tempC: 6553.5 } : i === 900 || i === 901 ? { ...r, tempC: 85 } : r,
);

const scenarios: Scenario[] = [
  {
    name: "a week of door openings (air to −5 °C for 3 min every 3 h) is safe",
    batch: {
      expressedAtMs: T0 - 2 * DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, series(T0, T0 + week, MINUTE_MS, doorOpenings))],
    },
    nowMs: T0 + week,
    verdict: "safe",
    codes: [],
    state: "frozen",
    extra: (v) => {
      expect(v.stats.maxC).toBe(-5);
      expect(v.stats.monitoredPct).toBe(100);
      expect(v.stats.minutesOutOfRange).toBeGreaterThan(7 * 8 * 3 - 1);
    },
  },
  {
    name: "a power cut that thaws and refreezes the milk is do-not-use (RF-1)",
    batch: {
      expressedAtMs: T0 - 10 * DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, series(T0, T0 + 3 * DAY_MS, MINUTE_MS, powerCut))],
    },
    nowMs: T0 + 3 * DAY_MS,
    verdict: "do-not-use",
    // No thawed-limit once refrozen: RF-1 says it all (was expected before; wrong by the brief).
    codes: ["cumulative-excursion", "excursion", "probable-thaw", "refrozen"],
    state: "frozen",
    extra: (v) => {
      expect(v.everThawed).toBe(true);
      const thaw = v.reasons.find((r) => r.code === "probable-thaw");
      // The air passes −0.5 °C after 7.8 h; the estimate lags by about τ = 20 min.
      expect(thaw?.fromMs).toBeGreaterThan(powerCutStart + 7.8 * HOUR_MS);
      expect(thaw?.fromMs).toBeLessThan(powerCutStart + 9 * HOUR_MS);
      expect(v.reasons.find((r) => r.code === "refrozen")?.rule).toBe("RF-1");
    },
  },
  {
    name: "door ajar 50 min with air at −10 °C: check, milk still frozen",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, series(T0, T0 + DAY_MS, MINUTE_MS, doorAjar))],
    },
    nowMs: T0 + DAY_MS,
    verdict: "check",
    codes: ["excursion"],
    state: "frozen",
    extra: (v) => {
      const x = v.reasons.find((r) => r.code === "excursion");
      expect(x?.values?.minutes).toBe(50);
      expect(x?.message).toBe(
        "The freezer was warmer than −18 °C for 50 minutes from 1 May 2026, 05:00 UTC (up to −10 °C).",
      );
    },
  },
  {
    name: "a 12-hour data gap is check, never safe",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, withGap)],
    },
    nowMs: T0 + 3 * DAY_MS,
    verdict: "check",
    codes: ["cumulative-excursion", "gap", "low-coverage"],
    extra: (v) => {
      const gap = v.reasons.find((r) => r.code === "gap");
      expect(gap?.values?.minutes).toBe(12 * 60 + 1);
      expect(v.stats.monitoredPct).toBeCloseTo(100 - ((12 * 60 + 1) / (3 * 24 * 60)) * 100, 1);
    },
  },
  {
    name: "fresh milk 5 days in a fridge is do-not-use (FR-1)",
    batch: {
      expressedAtMs: T0 - HOUR_MS,
      initialState: "fresh",
      custody: [stay("fridge", T0, null, series(T0, T0 + 5 * DAY_MS, MINUTE_MS, steady(3)))],
    },
    nowMs: T0 + 5 * DAY_MS,
    verdict: "do-not-use",
    codes: ["fresh-limit"],
    state: "fresh",
    extra: (v) => expect(v.reasons.find((r) => r.code === "fresh-limit")?.rule).toBe("FR-1"),
  },
  {
    name: "fresh milk 5 days in a fridge under abm-clean limits is check",
    batch: {
      expressedAtMs: T0 - HOUR_MS,
      initialState: "fresh",
      custody: [
        stay("fridge", T0, null, series(T0, T0 + 5 * DAY_MS, MINUTE_MS, steady(3)), {
          overrides: { limits: "abm-clean" },
        }),
      ],
    },
    nowMs: T0 + 5 * DAY_MS,
    verdict: "check",
    codes: ["fresh-limit"],
    extra: (v) => expect(v.reasons.find((r) => r.code === "fresh-limit")?.values?.limits).toBe("abm-clean"),
  },
  {
    name: "fresh milk 5 days in a fridge under uk-nhs limits is safe",
    batch: {
      expressedAtMs: T0 - HOUR_MS,
      initialState: "fresh",
      custody: [
        stay("fridge", T0, null, series(T0, T0 + 5 * DAY_MS, MINUTE_MS, steady(3)), {
          overrides: { limits: "uk-nhs" },
        }),
      ],
    },
    nowMs: T0 + 5 * DAY_MS,
    verdict: "safe",
    codes: [],
    extra: (v) => expect(v.profiles[0]?.profile.limits.id).toBe("uk-nhs"),
  },
  {
    name: "donor freezer → cool bag 3 h → recipient freezer is safe",
    batch: {
      expressedAtMs: T0 - 20 * DAY_MS,
      initialState: "frozen",
      custody: [
        stay("home-freezer", T0, T0 + DAY_MS, series(T0, T0 + DAY_MS, MINUTE_MS, steady(-20)), {
          unitId: "donor",
        }),
        stay(
          "cool-bag",
          T0 + DAY_MS,
          T0 + DAY_MS + 3 * HOUR_MS,
          series(
            T0 + DAY_MS,
            T0 + DAY_MS + 3 * HOUR_MS,
            MINUTE_MS,
            ramp(T0 + DAY_MS, T0 + DAY_MS + 3 * HOUR_MS, -8, -3),
          ),
          { unitId: "bag" },
        ),
        stay(
          "home-freezer",
          T0 + DAY_MS + 3 * HOUR_MS,
          null,
          series(T0 + DAY_MS + 3 * HOUR_MS, T0 + 3 * DAY_MS, MINUTE_MS, steady(-19)),
          { unitId: "recipient" },
        ),
      ],
    },
    nowMs: T0 + 3 * DAY_MS,
    verdict: "safe",
    codes: [],
    state: "frozen",
    extra: (v) => {
      expect(v.profiles.map((p) => p.unitId)).toEqual(["donor", "bag", "recipient"]);
      // Frozen milk in a bag is under TR-1, and no bag budget shows once the milk left the bag.
      expect(v.budgets.filter((b) => b.limit === "CB-1" || b.limit === "TR-1")).toEqual([]);
      expect(v.budgets.find((b) => b.limit === "FZ-1" && b.band === "check")?.untilMs).toBe(
        T0 - 20 * DAY_MS + 182 * DAY_MS,
      );
    },
  },
  {
    // RULES.md §3: a fridge above 4 °C for 30 min applies FR-2; that alone is a note, not check.
    name: "fridge at 6 °C for 2 h: a note, and the fresh limit drops to FR-2's 3 days",
    batch: {
      expressedAtMs: T0 - HOUR_MS,
      initialState: "fresh",
      custody: [stay("fridge", T0, null, series(T0, T0 + DAY_MS, MINUTE_MS, fridgeWarm))],
    },
    nowMs: T0 + DAY_MS,
    verdict: "safe",
    codes: [],
    extra: (v) => {
      expect(v.reasons.find((r) => r.code === "excursion")).toMatchObject({ rule: "FR-2", band: "safe" });
      expect(v.budgets).toContainEqual({
        limit: "FR-2",
        band: "do-not-use",
        untilMs: T0 - HOUR_MS + 3 * DAY_MS,
        remainingMs: 2 * DAY_MS - HOUR_MS,
      });
    },
  },
  {
    name: "fresh milk 3.5 days in a fridge that was once at 6 °C for 2 h is do-not-use (FR-2)",
    batch: {
      expressedAtMs: T0,
      initialState: "fresh",
      custody: [stay("fridge", T0, null, series(T0, T0 + 3.5 * DAY_MS, MINUTE_MS, fridgeWarm))],
    },
    nowMs: T0 + 3.5 * DAY_MS,
    verdict: "do-not-use",
    codes: ["fresh-limit"],
    extra: (v) => expect(v.reasons.find((r) => r.code === "fresh-limit")?.rule).toBe("FR-2"),
  },
  {
    name: "a fridge below 0 °C for 2 h is check (freezing in a fridge)",
    batch: {
      expressedAtMs: T0 - HOUR_MS,
      initialState: "fresh",
      custody: [stay("fridge", T0, null, series(T0, T0 + DAY_MS, MINUTE_MS, fridgeFreezing))],
    },
    nowMs: T0 + DAY_MS,
    verdict: "check",
    codes: ["fridge-freezing"],
    state: "fresh",
  },
  {
    name: "thawed milk 30 h in a fridge is do-not-use (TH-1)",
    batch: {
      expressedAtMs: T0 - 30 * DAY_MS,
      initialState: "thawed",
      custody: [stay("fridge", T0, null, series(T0, T0 + 30 * HOUR_MS, MINUTE_MS, steady(3)))],
    },
    nowMs: T0 + 30 * HOUR_MS,
    verdict: "do-not-use",
    codes: ["thawed-limit"],
    state: "thawed",
  },
  {
    name: "thawed milk 18 h in a fridge is check (TH-1, between 12 and 24 h)",
    batch: {
      expressedAtMs: T0 - 30 * DAY_MS,
      initialState: "thawed",
      custody: [stay("fridge", T0, null, series(T0, T0 + 18 * HOUR_MS, MINUTE_MS, steady(3)))],
    },
    nowMs: T0 + 18 * HOUR_MS,
    verdict: "check",
    codes: ["thawed-limit"],
    extra: (v) =>
      expect(v.budgets).toEqual([
        { limit: "TH-1", band: "do-not-use", untilMs: T0 + 24 * HOUR_MS, remainingMs: 6 * HOUR_MS },
      ]),
  },
  {
    name: "frozen milk expressed 8 months ago is check (FZ-1)",
    batch: {
      expressedAtMs: T0 - 243 * DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, series(T0, T0 + DAY_MS, MINUTE_MS, steady(-20)))],
    },
    nowMs: T0 + DAY_MS,
    verdict: "check",
    codes: ["frozen-limit"],
  },
  {
    name: "frozen milk expressed 13 months ago is do-not-use (FZ-1)",
    batch: {
      expressedAtMs: T0 - 396 * DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, series(T0, T0 + DAY_MS, MINUTE_MS, steady(-20)))],
    },
    nowMs: T0 + DAY_MS,
    verdict: "do-not-use",
    codes: ["frozen-limit"],
  },
  {
    name: "readings wobbling around −18 °C for 2 h make one excursion, not many",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, series(T0, T0 + DAY_MS, MINUTE_MS, wobble))],
    },
    nowMs: T0 + DAY_MS,
    verdict: "check",
    codes: ["excursion"],
    extra: (v) => {
      const xs = v.reasons.filter((r) => r.code === "excursion");
      expect(xs).toHaveLength(1);
      expect(xs[0]?.fromMs).toBe(T0 + 2 * HOUR_MS);
      expect(xs[0]?.toMs).toBe(T0 + 4 * HOUR_MS);
    },
  },
  {
    name: "a freezer creeping above −18 °C for 20 min ten times a day is check (cumulative)",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, series(T0, T0 + 2 * DAY_MS, MINUTE_MS, creeping))],
    },
    nowMs: T0 + 2 * DAY_MS,
    verdict: "check",
    codes: ["cumulative-excursion"],
    extra: (v) => {
      const c = v.reasons.find((r) => r.code === "cumulative-excursion");
      expect(c?.values?.minutes).toBe(200);
      expect(c?.values?.unmonitoredMinutes).toBe(0);
    },
  },
  {
    name: "a probe sending 6553.5 and 85.0: unmonitored moments, not excursions",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, withFaults)],
    },
    nowMs: T0 + 2 * DAY_MS,
    verdict: "check",
    codes: ["sensor-fault"],
    extra: (v) => {
      expect(v.stats.maxC).toBe(-20);
      expect(
        v.reasons.filter((r) => r.code === "sensor-fault").map((r) => [r.values?.fault, r.values?.count]),
      ).toEqual([
        ["out-of-range", 1],
        ["sentinel", 2],
      ]);
      // The moments are unmonitored, and reported once: as sensor faults, not also as short breaks.
      expect(v.reasons.find((r) => r.code === "short-gaps")).toBeUndefined();
      expect(v.stats.monitoredPct).toBeLessThan(100);
    },
  },
  {
    name: "a single impossible jump (−20 → +30 °C in a minute) is a fault, not an excursion",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [
        stay(
          "home-freezer",
          T0,
          null,
          series(T0, T0 + DAY_MS, MINUTE_MS, (t) => (t === T0 + 5 * HOUR_MS ? 30 : steady(-20)(t))),
        ),
      ],
    },
    nowMs: T0 + DAY_MS,
    verdict: "check",
    codes: ["sensor-fault"],
    extra: (v) => expect(v.reasons.find((r) => r.code === "sensor-fault")?.values?.fault).toBe("jump"),
  },
  {
    name: "fresh milk in a fridge at 12 °C for 5 h is do-not-use (RT-1)",
    batch: {
      expressedAtMs: T0,
      initialState: "fresh",
      custody: [
        stay(
          "fridge",
          T0,
          null,
          series(
            T0,
            T0 + DAY_MS,
            MINUTE_MS,
            piecewise([{ fromMs: T0 + HOUR_MS, toMs: T0 + 6 * HOUR_MS, tempAt: steady(12) }], steady(3)),
          ),
        ),
      ],
    },
    nowMs: T0 + DAY_MS,
    verdict: "do-not-use",
    codes: ["room-temperature"],
  },
  {
    // TR-1: frozen milk that stays frozen in a bag is never do-not-use for time alone (was CB-1).
    name: "frozen milk 26 h in a cool bag, still frozen, is check (TR-1), not do-not-use",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [stay("cool-bag", T0, null, series(T0, T0 + 26 * HOUR_MS, MINUTE_MS, steady(-6)))],
    },
    nowMs: T0 + 26 * HOUR_MS,
    verdict: "check",
    codes: ["transport-limit"],
    state: "frozen",
    extra: (v) => {
      const r = v.reasons.find((x) => x.code === "transport-limit");
      expect(r?.rule).toBe("TR-1");
      expect(r?.message).toContain("judge the journey against their bank's transport limit");
    },
  },
  {
    name: "cool bag air above −1 °C for 70 min thaws frozen milk even with a slow estimate (the floor rule)",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [
        stay(
          "cool-bag",
          T0,
          null,
          series(
            T0,
            T0 + 3 * HOUR_MS,
            MINUTE_MS,
            piecewise(
              [{ fromMs: T0 + HOUR_MS, toMs: T0 + 2 * HOUR_MS + 10 * MINUTE_MS, tempAt: steady(0) }],
              steady(-8),
            ),
          ),
          { overrides: { "milkTauMin.bag": 600 } },
        ),
      ],
    },
    nowMs: T0 + 3 * HOUR_MS,
    verdict: "check",
    codes: ["probable-thaw"],
    state: "thawed",
    extra: (v) => {
      expect(v.thawedAtMs).toBe(T0 + 2 * HOUR_MS);
      expect(v.reasons.find((r) => r.code === "probable-thaw")?.values?.by).toBe("air");
    },
  },
  {
    name: "frozen milk moved to a fridge thaws there: a note, with the TH-1 clock running",
    batch: {
      expressedAtMs: T0 - 10 * DAY_MS,
      initialState: "frozen",
      custody: [
        stay("home-freezer", T0, T0 + DAY_MS, series(T0, T0 + DAY_MS, MINUTE_MS, steady(-20))),
        stay(
          "fridge",
          T0 + DAY_MS,
          null,
          series(T0 + DAY_MS, T0 + DAY_MS + 10 * HOUR_MS, MINUTE_MS, steady(4)),
        ),
      ],
    },
    nowMs: T0 + DAY_MS + 10 * HOUR_MS,
    verdict: "safe",
    codes: [],
    state: "thawed",
    extra: (v) => {
      expect(v.reasons.find((r) => r.code === "probable-thaw")?.band).toBe("safe");
      expect(v.budgets.map((b) => [b.limit, b.band])).toEqual([
        ["TH-1", "check"],
        ["TH-1", "do-not-use"],
      ]);
    },
  },
  {
    name: "custody with a hole (nobody recorded where the milk was) is check",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [
        stay("home-freezer", T0, T0 + DAY_MS, series(T0, T0 + DAY_MS, MINUTE_MS, steady(-20)), {
          unitId: "a",
        }),
        stay(
          "home-freezer",
          T0 + DAY_MS + 2 * HOUR_MS,
          null,
          series(T0 + DAY_MS + 2 * HOUR_MS, T0 + 3 * DAY_MS, MINUTE_MS, steady(-20)),
          {
            unitId: "b",
          },
        ),
      ],
    },
    nowMs: T0 + 3 * DAY_MS,
    verdict: "check",
    codes: ["custody-gap"],
  },
  {
    name: "a probe that stopped reporting: the open gap up to now is check",
    batch: {
      expressedAtMs: T0 - DAY_MS,
      initialState: "frozen",
      custody: [stay("home-freezer", T0, null, series(T0, T0 + 20 * HOUR_MS, MINUTE_MS, steady(-20)))],
    },
    nowMs: T0 + 21 * HOUR_MS,
    verdict: "check",
    codes: ["gap"],
    extra: (v) => expect(v.reasons.find((r) => r.code === "gap")?.toMs).toBeNull(),
  },
];

describe("computeVerdict scenarios", () => {
  it.each(scenarios)("$name", (s) => {
    const v = verdictOf(s.batch, s.nowMs);
    expect({ verdict: v.verdict, codes: concerns(v) }).toEqual({
      verdict: s.verdict,
      codes: [...s.codes].sort(),
    });
    if (s.state !== undefined) expect(v.state).toBe(s.state);
    s.extra?.(v);
  });
});

describe("computeVerdict refuses impossible custody", () => {
  const ok = stay("home-freezer", T0, T0 + DAY_MS, []);
  const cases: [string, BatchInput, number, RegExp][] = [
    ["empty custody", { expressedAtMs: T0, initialState: "frozen", custody: [] }, T0, /custody is empty/],
    [
      "overlapping intervals",
      { expressedAtMs: T0, initialState: "frozen", custody: [ok, stay("fridge", T0 + HOUR_MS, null, [])] },
      T0 + 2 * DAY_MS,
      /overlaps the previous interval/,
    ],
    [
      "custody before expression",
      { expressedAtMs: T0 + HOUR_MS, initialState: "frozen", custody: [ok] },
      T0 + 2 * DAY_MS,
      /before expressedAtMs/,
    ],
    [
      "custody in the future",
      { expressedAtMs: T0, initialState: "frozen", custody: [ok] },
      T0 + HOUR_MS,
      /in the future/,
    ],
    [
      "an open interval followed by another",
      {
        expressedAtMs: T0,
        initialState: "frozen",
        custody: [stay("fridge", T0, null, []), stay("fridge", T0 + DAY_MS, null, [])],
      },
      T0 + 2 * DAY_MS,
      /toMs is null but later intervals follow/,
    ],
  ];
  it.each(cases)("%s", (_name, batch, nowMs, reason) => {
    const r = computeVerdict(batch, nowMs);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe("computeVerdict reports what it used", () => {
  it("names each unit's profile and the overrides applied", () => {
    const v = verdictOf(
      {
        expressedAtMs: T0,
        initialState: "frozen",
        custody: [
          stay("home-freezer", T0, null, series(T0, T0 + HOUR_MS, MINUTE_MS, steady(-20)), {
            overrides: { "high.forMin": 45 },
          }),
        ],
      },
      T0 + HOUR_MS,
    );
    expect(v.profiles).toHaveLength(1);
    expect(v.profiles[0]?.profile.id).toBe("home-freezer");
    expect(v.profiles[0]?.profile.high.forMin).toBe(45);
    expect(v.profiles[0]?.profile.overrides).toEqual({ "high.forMin": 45 });
  });

  it("a batch with no readings yet is check, not safe", () => {
    const v = verdictOf(
      { expressedAtMs: T0, initialState: "frozen", custody: [stay("home-freezer", T0, null, [])] },
      T0 + 30_000,
    );
    expect(v.verdict).toBe("check");
    expect(concerns(v)).toEqual(["low-coverage"]);
    expect(v.stats).toEqual({
      minC: null,
      maxC: null,
      meanC: null,
      mktC: null,
      minutesOutOfRange: 0,
      monitoredPct: 0,
    });
  });

  it("computes mean and mean kinetic temperature over monitored time", () => {
    // 12 h at −20 °C, 12 h at −10 °C: mean −15 °C; MKT leans to the warm half.
    const v = verdictOf(
      {
        expressedAtMs: T0,
        initialState: "frozen",
        custody: [
          stay(
            "home-freezer",
            T0,
            T0 + DAY_MS,
            series(T0, T0 + DAY_MS, MINUTE_MS, (t) => (t < T0 + 12 * HOUR_MS ? -20 : -10)),
            // Two flat 12 h halves would be a stuck probe; this test is about the arithmetic.
            { overrides: { "sensor.stuckMin": 24 * 60 } },
          ),
        ],
      },
      T0 + DAY_MS,
    );
    expect(v.stats.meanC).toBeCloseTo(-15, 6);
    // Closed form: ΔH/R / −ln((e^(−ΔH/R/253.15) + e^(−ΔH/R/263.15)) / 2) − 273.15.
    const h = 83_144 / 8.3144;
    const expected = h / -Math.log((Math.exp(-h / 253.15) + Math.exp(-h / 263.15)) / 2) - 273.15;
    expect(v.stats.mktC).toBeCloseTo(expected, 6);
    expect(v.stats.mktC).toBeGreaterThan(-15);
  });
});
