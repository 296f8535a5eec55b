/**
 * Properties of the verdict and the live monitor, checked with fast-check on generated histories.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeVerdict } from "./engine.js";
import { PROFILES } from "./profiles/registry.js";
import type { ProfileId } from "./profiles/types.js";
import { MINUTE_MS } from "./synthetic-readings.js";
import type { Band, BatchInput, CustodyInterval, TempSample, Verdict } from "./types.js";
import { analyseUnit, excursionsOf } from "./unit-analysis.js";
import type { MachineEvent } from "./unit-machine.js";
import { createUnitMonitor, type MonitorEvent } from "./unit-monitor.js";

const T0 = Date.UTC(2026, 4, 1);
const RANK: Record<Band, number> = { safe: 0, check: 1, "do-not-use": 2 };

/** A small deterministic PRNG, so shuffles and masks come from a fast-check seed and shrink. */
function random(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  const rnd = random(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

interface Segment {
  levelC: number;
  minutes: number;
  everyMin: number;
  silent: boolean;
}

/** Readings from segments: each a level held for some minutes at some cadence, or silence. */
function build(segments: readonly Segment[]): { readings: TempSample[]; lastMs: number } {
  const readings: TempSample[] = [];
  let t = T0;
  for (const s of segments) {
    const end = t + s.minutes * MINUTE_MS;
    if (!s.silent) for (; t < end; t += s.everyMin * MINUTE_MS) readings.push({ tsMs: t, tempC: s.levelC });
    t = end;
  }
  return { readings, lastMs: t };
}

/** Every kind of level: normal, at the limits, thawing, room, hot, and sensor faults. */
const anyLevel = fc.constantFrom(
  -25,
  -20,
  -18.3,
  -18.1,
  -17.9,
  -15,
  -10,
  -5,
  -2.5,
  -1.8,
  -1.2,
  -0.8,
  -0.2,
  0.2,
  2,
  3.7,
  4.2,
  6,
  9,
  12,
  16,
  30,
  85,
  6553.5,
  -127,
);
const anySegment = fc.record({
  levelC: anyLevel,
  minutes: fc.integer({ min: 1, max: 240 }),
  everyMin: fc.constantFrom(1, 1, 1, 2, 5),
  silent: fc.nat(9).map((n) => n < 2),
});
const anyHistory = fc.record({
  profileId: fc.constantFrom<ProfileId>("home-freezer", "milk-bank-freezer", "fridge", "cool-bag"),
  initialState: fc.constantFrom<BatchInput["initialState"]>("fresh", "frozen", "thawed"),
  segments: fc.array(anySegment, { minLength: 1, maxLength: 16 }),
  tailMin: fc.integer({ min: 0, max: 120 }),
  open: fc.boolean(),
  ageMin: fc.integer({ min: 0, max: 400 * 24 * 60 }),
  seed: fc.integer(),
});
type History = typeof anyHistory extends fc.Arbitrary<infer H> ? H : never;

function batchOf(
  h: History,
  readings: readonly TempSample[],
  lastMs: number,
): { batch: BatchInput; nowMs: number } {
  const p = PROFILES[h.profileId];
  const endMs = lastMs + h.tailMin * MINUTE_MS;
  const custody: CustodyInterval[] = [
    {
      unitId: "u1",
      unitKind: p.kind,
      profile: p,
      fromMs: T0,
      toMs: h.open ? null : endMs,
      readings,
      expectedIntervalMs: MINUTE_MS,
    },
  ];
  return {
    batch: { expressedAtMs: T0 - h.ageMin * MINUTE_MS, initialState: h.initialState, custody },
    nowMs: h.open ? endMs : endMs + 5 * MINUTE_MS,
  };
}

/** The longest run of consecutive levels at one temperature, in minutes (a flat line of readings). */
function longestFlatMin(levels: readonly { levelC: number; minutes: number }[]): number {
  let longest = 0;
  let run = 0;
  for (const [i, l] of levels.entries()) {
    run = i > 0 && levels[i - 1]?.levelC === l.levelC ? run + l.minutes : l.minutes;
    longest = Math.max(longest, run);
  }
  return longest;
}

function verdict(batch: BatchInput, nowMs: number): Verdict {
  const r = computeVerdict(batch, nowMs);
  if (!r.ok) throw new Error(r.reason);
  return r.verdict;
}

describe("verdict properties", () => {
  it("the order of readings does not change the verdict", () => {
    fc.assert(
      fc.property(anyHistory, (h) => {
        const { readings, lastMs } = build(h.segments);
        const a = batchOf(h, readings, lastMs);
        const b = batchOf(h, shuffled(readings, h.seed), lastMs);
        expect(verdict(b.batch, b.nowMs)).toEqual(verdict(a.batch, a.nowMs));
      }),
      { numRuns: 150 },
    );
  });

  it("duplicated readings do not change the verdict", () => {
    fc.assert(
      fc.property(anyHistory, (h) => {
        const { readings, lastMs } = build(h.segments);
        const rnd = random(h.seed);
        const doubled = readings.flatMap((r) => (rnd() < 0.4 ? [r, { ...r }, { ...r }] : [r]));
        const a = batchOf(h, readings, lastMs);
        const b = batchOf(h, shuffled(doubled, h.seed + 1), lastMs);
        expect(verdict(b.batch, b.nowMs)).toEqual(verdict(a.batch, a.nowMs));
      }),
      { numRuns: 150 },
    );
  });

  it("splitting a stay into several touching intervals at the same unit does not change the verdict", () => {
    fc.assert(
      fc.property(
        anyHistory,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        (h, cuts) => {
          const { readings, lastMs } = build(h.segments);
          const whole = batchOf(h, readings, lastMs);
          const iv = whole.batch.custody[0] as CustodyInterval;
          const endMs = iv.toMs ?? whole.nowMs;
          const points = [...new Set(cuts.map((c) => T0 + Math.floor(c * (endMs - T0))))]
            .filter((c) => c > T0 && c < endMs)
            .sort((x, y) => x - y);
          const bounds = [T0, ...points, endMs];
          const parts: CustodyInterval[] = [];
          for (let i = 0; i + 1 < bounds.length; i++) {
            const from = bounds[i] as number;
            const to = bounds[i + 1] as number;
            const last = i + 2 === bounds.length;
            parts.push({
              ...iv,
              fromMs: from,
              toMs: last ? iv.toMs : to,
              readings: readings.filter((r) => r.tsMs >= from && (last ? true : r.tsMs < to)),
            });
          }
          const split = { ...whole.batch, custody: parts };
          expect(verdict(split, whole.nowMs)).toEqual(verdict(whole.batch, whole.nowMs));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("after custody ended, the verdict no longer depends on the clock", () => {
    fc.assert(
      fc.property(anyHistory, fc.integer({ min: 1, max: 60 * 24 * 400 }), (h, laterMin) => {
        const { readings, lastMs } = build(h.segments);
        const { batch, nowMs } = batchOf({ ...h, open: false }, readings, lastMs);
        const iv = batch.custody[0] as CustodyInterval;
        const ended = { ...batch, custodyEnd: { atMs: iv.toMs as number, how: "handed-over" as const } };
        const now = verdict(ended, nowMs);
        expect(verdict(ended, nowMs + laterMin * MINUTE_MS)).toEqual(now);
        expect(now.budgets.every((b) => b.untilMs === null)).toBe(true);
        expect(now.reasons.some((r) => r.code === "custody-ended")).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  /**
   * Removing readings (making gaps) never makes the verdict safer. A gap cannot prove a thaw, so
   * this holds for histories whose worst reasons are excursions, gaps and coverage: steady
   * levels clear of the hysteresis bands, readings on an exact cadence (so any removal makes a
   * gap), no faults, frozen milk in a freezer or fresh milk in a fridge younger than FR-2's 3 days,
   * and no flat stretch as long as the stuck-probe line (`sensor.stuckMin`): a removal that
   * shortens such a stretch below the line turns "stuck, unmonitored" into monitored time.
   */
  it("removing readings never makes a verdict safer", () => {
    const freezerLevels = fc.constantFrom(-25, -20, -15, -10, -5);
    const fridgeLevels = fc.constantFrom(-1, 2, 3, 6, 8);
    // Durations near the 30 min single-event and 120 min cumulative limits, where one reading matters.
    const minutes = fc.oneof(fc.integer({ min: 28, max: 33 }), fc.integer({ min: 1, max: 200 }));
    const history = fc.oneof(
      fc.record({
        profileId: fc.constantFrom<ProfileId>("home-freezer", "milk-bank-freezer"),
        levels: fc.array(fc.record({ levelC: freezerLevels, minutes }), { minLength: 1, maxLength: 14 }),
      }),
      fc.record({
        profileId: fc.constant<ProfileId>("fridge"),
        levels: fc.array(fc.record({ levelC: fridgeLevels, minutes }), { minLength: 1, maxLength: 14 }),
      }),
    );
    // Either a few chosen readings, or a random share of them.
    const removal = fc.oneof(
      fc.array(fc.nat(), { minLength: 1, maxLength: 3 }).map((idx) => ({ idx, share: 0 })),
      fc.double({ min: 0.001, max: 0.9, noNaN: true }).map((share) => ({ idx: [] as number[], share })),
    );
    fc.assert(
      fc.property(history, fc.integer(), removal, fc.boolean(), (h, seed, remove, open) => {
        fc.pre(longestFlatMin(h.levels) < PROFILES[h.profileId].sensor.stuckMin);
        const { readings, lastMs } = build(h.levels.map((l) => ({ ...l, everyMin: 1, silent: false })));
        const rnd = random(seed);
        const dropIdx = new Set(remove.idx.map((i) => i % readings.length));
        let kept = readings.filter((_, i) => !dropIdx.has(i) && rnd() >= remove.share);
        if (kept.length === readings.length) kept = readings.slice(1);
        const base: History = {
          profileId: h.profileId,
          initialState: h.profileId === "fridge" ? "fresh" : "frozen",
          segments: [],
          tailMin: 1,
          open,
          ageMin: 60,
          seed,
        };
        const before = batchOf(base, readings, lastMs);
        const after = batchOf(base, kept, lastMs);
        const vBefore = verdict(before.batch, before.nowMs);
        const vAfter = verdict(after.batch, after.nowMs);
        expect(RANK[vAfter.verdict]).toBeGreaterThanOrEqual(RANK[vBefore.verdict]);
        expect(vAfter.stats.monitoredPct).toBeLessThanOrEqual(vBefore.stats.monitoredPct);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("the live monitor agrees with the batch computation", () => {
  it("same excursions, faults and gaps whatever the chunking, ticks and hand-overs", () => {
    fc.assert(
      fc.property(
        anyHistory,
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: -1, max: 30 }),
        (h, chunkSizes, handOverAt) => {
          const { readings, lastMs } = build(h.segments);
          const profile = PROFILES[h.profileId];
          const endMs = lastMs + (h.tailMin + 1) * MINUTE_MS;
          const batch = analyseUnit(profile, readings, {
            fromMs: T0,
            endMs,
            open: false,
            expectedIntervalMs: MINUTE_MS,
          });

          let monitor = createUnitMonitor(profile, { expectedIntervalMs: MINUTE_MS, startMs: T0 });
          const live: MonitorEvent[] = [];
          let i = 0;
          let chunk = 0;
          while (i < readings.length) {
            const size = chunkSizes[chunk % chunkSizes.length] as number;
            const part = readings.slice(i, i + size);
            i += size;
            live.push(...monitor.push(shuffled(part, chunk)));
            // The clock moves on between deliveries, but never past the next reading.
            const next = readings[i];
            if (next !== undefined) live.push(...monitor.tick(next.tsMs));
            if (chunk === handOverAt) {
              const saved = JSON.parse(JSON.stringify(monitor.state()));
              monitor = createUnitMonitor(profile, saved);
            }
            chunk++;
          }
          live.push(...monitor.tick(endMs));

          expect(live.filter((e) => e.kind === "late")).toEqual([]);
          expect(excursionsOf(live)).toEqual(excursionsOf(batch.events));
          type AnyEvent = MonitorEvent | MachineEvent;
          const faults = (events: readonly AnyEvent[]) =>
            events.flatMap((e) => (e.kind === "sensor-fault" ? [e.tsMs] : []));
          expect(faults(live)).toEqual(faults(batch.events));
          const closedGaps = (events: readonly AnyEvent[]) =>
            events.flatMap((e) =>
              e.kind === "gap" && e.toMs !== null && e.toMs < endMs && !("short" in e && e.short)
                ? [[e.fromMs, e.toMs]]
                : [],
            );
          expect(closedGaps(live)).toEqual(closedGaps(batch.events));
        },
      ),
      { numRuns: 200 },
    );
  });
});
