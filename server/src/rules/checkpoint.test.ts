/**
 * Resuming a stay from a checkpoint gives exactly the verdict of walking every reading again:
 * checked on generated histories (flat runs long enough to become stuck stretches, faults,
 * silences, excursions, thaws), split at any moment, resumed once or twice, over one or two stays.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeVerdict } from "./engine.js";
import { PROFILES } from "./profiles/registry.js";
import type { ProfileId } from "./profiles/types.js";
import { MINUTE_MS } from "./synthetic-readings.js";
import type { BatchInput, CustodyInterval, StayCheckpoint, TempSample, Verdict } from "./types.js";

const T0 = Date.UTC(2026, 4, 1);

const anyLevel = fc.constantFrom(
  -25,
  -20,
  -18.1,
  -17.9,
  -15,
  -10,
  -5,
  -1.2,
  -0.2,
  2,
  3.7,
  4.2,
  9,
  16,
  30,
  85,
  -127,
);
const anySegment = fc.record({
  levelC: anyLevel,
  // Up to 7 h: two segments at one level make a flat stretch past the 6 h stuck-probe line.
  minutes: fc.integer({ min: 1, max: 420 }),
  everyMin: fc.constantFrom(1, 1, 2, 5),
  silent: fc.nat(9).map((n) => n < 2),
});
const anyCase = fc.record({
  profileId: fc.constantFrom<ProfileId>("home-freezer", "milk-bank-freezer", "fridge", "cool-bag"),
  initialState: fc.constantFrom<BatchInput["initialState"]>("fresh", "frozen", "thawed"),
  segments: fc.array(anySegment, { minLength: 1, maxLength: 14 }),
  /** Where the first and second earlier verdicts were asked for, as fractions of the history. */
  splits: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 2 }),
  /** The batch moved to a second unit at this fraction (≥ 1: it stayed in one). */
  moveAt: fc.double({ min: 0.2, max: 1.6, noNaN: true }),
  /** null: the probe never said, and the interval is learned from the readings' spacing. */
  intervalMs: fc.constantFrom<number | null>(MINUTE_MS, null),
});
type Case = typeof anyCase extends fc.Arbitrary<infer C> ? C : never;

function readingsOf(c: Case): { readings: TempSample[]; lastMs: number } {
  const readings: TempSample[] = [];
  let t = T0;
  for (const s of c.segments) {
    const end = t + s.minutes * MINUTE_MS;
    if (!s.silent) for (; t < end; t += s.everyMin * MINUTE_MS) readings.push({ tsMs: t, tempC: s.levelC });
    t = end;
  }
  return { readings, lastMs: t };
}

/** The batch as it stood at `nowMs`: readings up to then, custody cut there. */
function batchAt(c: Case, all: readonly TempSample[], endMs: number, nowMs: number): BatchInput {
  const p = PROFILES[c.profileId];
  const moveMs = c.moveAt < 1 ? Math.round(T0 + (endMs - T0) * c.moveAt) : null;
  const seen = all.filter((r) => r.tsMs <= nowMs);
  const stay = (unitId: string, fromMs: number, toMs: number | null): CustodyInterval => ({
    unitId,
    unitKind: p.kind,
    profile: p,
    fromMs,
    toMs,
    readings: seen.filter((r) => r.tsMs >= fromMs && (toMs === null || r.tsMs < toMs)),
    expectedIntervalMs: c.intervalMs,
  });
  const custody =
    moveMs === null || moveMs >= nowMs
      ? [stay("u1", T0, null)]
      : [stay("u1", T0, moveMs), stay("u2", moveMs, null)];
  return { expressedAtMs: T0 - 60 * MINUTE_MS, initialState: c.initialState, custody };
}

function run(batch: BatchInput, nowMs: number): { verdict: Verdict; checkpoints: (StayCheckpoint | null)[] } {
  const r = computeVerdict(batch, nowMs);
  if (!r.ok) throw new Error(r.reason);
  return r;
}

/** Gives each interval the checkpoint an earlier verdict left for the same stay. */
function withResume(batch: BatchInput, earlier: BatchInput, cps: (StayCheckpoint | null)[]): BatchInput {
  return {
    ...batch,
    custody: batch.custody.map((iv, i) => {
      const before = earlier.custody[i];
      const cp = cps[i] ?? null;
      return before !== undefined && before.fromMs === iv.fromMs && cp !== null
        ? { ...iv, resume: cp, readings: iv.readings.filter((r) => r.tsMs > cp.throughMs) }
        : iv;
    }),
  };
}

/** As the server does: resume where it can; a learned interval that moved means walking it all. */
function resumed(batch: BatchInput, earlier: BatchInput, cps: (StayCheckpoint | null)[], nowMs: number) {
  const r = computeVerdict(withResume(batch, earlier, cps), nowMs);
  if (r.ok) return r;
  expect(r.reason).toMatch(/interval learned/);
  return run(batch, nowMs);
}

describe("resuming a stay from a checkpoint", () => {
  it("gives the same verdict as walking every reading again", () => {
    fc.assert(
      fc.property(anyCase, (c) => {
        const { readings, lastMs } = readingsOf(c);
        const nowMs = lastMs + 10 * MINUTE_MS;
        const full = run(batchAt(c, readings, lastMs, nowMs), nowMs).verdict;
        let earlier: BatchInput | null = null;
        let cps: (StayCheckpoint | null)[] = [];
        for (const f of [...c.splits].sort((a, b) => a - b)) {
          const at = Math.round(T0 + (lastMs - T0) * f) + 1;
          const b = batchAt(c, readings, lastMs, at);
          const r = earlier === null ? run(b, at) : resumed(b, earlier, cps, at);
          expect(r.verdict).toEqual(run(b, at).verdict);
          earlier = b;
          cps = r.checkpoints;
        }
        const last = batchAt(c, readings, lastMs, nowMs);
        expect(resumed(last, earlier as BatchInput, cps, nowMs).verdict).toEqual(full);
      }),
      { numRuns: 300 },
    );
  });

  it("takes a checkpoint only behind the last run of identical readings", () => {
    const p = PROFILES["home-freezer"];
    const readings: TempSample[] = [];
    for (let i = 0; i < 600; i++)
      readings.push({ tsMs: T0 + i * MINUTE_MS, tempC: i < 500 ? -20 + (i % 3) / 10 : -19 });
    const batch: BatchInput = {
      expressedAtMs: T0,
      initialState: "frozen",
      custody: [
        {
          unitId: "u",
          unitKind: "freezer",
          profile: p,
          fromMs: T0,
          toMs: null,
          readings,
          expectedIntervalMs: MINUTE_MS,
        },
      ],
    };
    const cp = run(batch, T0 + 600 * MINUTE_MS).checkpoints[0];
    // The flat run at −19 °C from minute 500 on may still become a stuck stretch: the walk stops before it.
    expect(cp?.throughMs).toBe(T0 + 499 * MINUTE_MS);
  });

  it("refuses a checkpoint that does not fit, or whose learned interval the new readings change", () => {
    const p = PROFILES["home-freezer"];
    const readings = Array.from({ length: 100 }, (_, i) => ({
      tsMs: T0 + i * MINUTE_MS,
      tempC: -20 + (i % 4) / 10,
    }));
    const iv: CustodyInterval = {
      unitId: "u",
      unitKind: "freezer",
      profile: p,
      fromMs: T0,
      toMs: null,
      readings,
      expectedIntervalMs: null,
    };
    const nowMs = T0 + 100 * MINUTE_MS;
    const learned = run({ expressedAtMs: T0, initialState: "frozen", custody: [iv] }, nowMs);
    const cp = learned.checkpoints[0] as StayCheckpoint;
    expect(cp.spacings).toEqual([[MINUTE_MS, 98]]);
    // Readings every 5 minutes for longer than the whole first stretch: the median spacing moves.
    const later = Array.from({ length: 150 }, (_, i) => ({
      tsMs: T0 + 100 * MINUTE_MS + i * 5 * MINUTE_MS,
      tempC: -20 + (i % 4) / 10,
    }));
    const lateNow = T0 + 900 * MINUTE_MS;
    const moved = computeVerdict(
      { expressedAtMs: T0, initialState: "frozen", custody: [{ ...iv, readings: later, resume: cp }] },
      lateNow,
    );
    expect(moved).toEqual({ ok: false, reason: expect.stringMatching(/interval learned for stay 0/) });
    const declared = computeVerdict(
      {
        expressedAtMs: T0,
        initialState: "frozen",
        custody: [{ ...iv, expectedIntervalMs: 5 * MINUTE_MS, resume: cp }],
      },
      nowMs,
    );
    expect(declared).toEqual({ ok: false, reason: expect.stringMatching(/checkpoint of stay 0/) });
    const fresh = computeVerdict(
      { expressedAtMs: T0, initialState: "fresh", custody: [{ ...iv, resume: cp }] },
      nowMs,
    );
    expect(fresh.ok).toBe(false);
  });
});
