/**
 * The verdict of a batch: safe, check or do-not-use, with reasons, from its custody chain, each
 * unit's readings and profile, and its age. Pure: event time only, `nowMs` passed in, no I/O.
 *
 * The verdict is the worst band over all reasons. Reasons with band "safe" are notes. With no
 * reason above "safe" the batch is safe — unless readings cover less than the profile's
 * `coverage.checkBelowPct` of its custody, which is itself a "check" reason.
 */
import { busiestWindow, mergeSpans, type Span } from "./cumulative.js";
import { mktFromSums } from "./mean-kinetic-temperature.js";
import { prepareReadings } from "./prepare-readings.js";
import type { BandedLimit, RuleProfile, TimeLimits } from "./profiles/types.js";
import type {
  Band,
  BatchInput,
  Budget,
  CustodyInterval,
  MilkState,
  ProfileUse,
  Reason,
  UnitKind,
  Verdict,
  VerdictResult,
} from "./types.js";
import {
  closeWindow,
  initMachine,
  type MachineEvent,
  type MachineState,
  milkStateOf,
  pushReading,
} from "./unit-machine.js";
import { formatDuration, formatTempC, formatTime, unitWord } from "./wording.js";

const MIN_MS = 60_000;
const H_MS = 3_600_000;
const BAND_RANK: Record<Band, number> = { safe: 0, check: 1, "do-not-use": 2 };

export function worstBand(bands: Iterable<Band>): Band {
  let worst: Band = "safe";
  for (const b of bands) if (BAND_RANK[b] > BAND_RANK[worst]) worst = b;
  return worst;
}

/** Which band a time `usedMs` reaches against a banded limit. */
export function bandForLimit(limit: BandedLimit, usedMs: number): Band {
  if (usedMs <= limit.safeMaxH * H_MS) return "safe";
  if (usedMs <= limit.checkMaxH * H_MS) return "check";
  return "do-not-use";
}

type LimitKey = Exclude<keyof TimeLimits, "id">;

/** Several units' limits apply to one phase: the strictest number of each wins. */
function strictest(sets: readonly TimeLimits[], key: LimitKey): { limit: BandedLimit; ids: string } {
  const first = sets[0] as TimeLimits;
  let limit = { ...first[key] };
  for (const s of sets) {
    limit = {
      rule: limit.rule,
      safeMaxH: Math.min(limit.safeMaxH, s[key].safeMaxH),
      checkMaxH: Math.min(limit.checkMaxH, s[key].checkMaxH),
    };
  }
  return { limit, ids: [...new Set(sets.map((s) => s.id))].join(", ") };
}

function validate(batch: BatchInput, nowMs: number): string | null {
  if (!Number.isFinite(nowMs)) return `nowMs must be a finite number of ms, got ${nowMs}`;
  if (!Number.isFinite(batch.expressedAtMs))
    return `expressedAtMs must be a finite number, got ${batch.expressedAtMs}`;
  if (batch.custody.length === 0) return "custody is empty: a batch needs at least one interval in a unit";
  let prevTo: number | null = batch.expressedAtMs;
  for (const [i, c] of batch.custody.entries()) {
    const at = `custody[${i}] (unit ${c.unitId})`;
    if (!Number.isFinite(c.fromMs)) return `${at}.fromMs must be a finite number, got ${c.fromMs}`;
    if (c.toMs !== null && !(c.toMs >= c.fromMs))
      return `${at}.toMs (${c.toMs}) must be ≥ fromMs (${c.fromMs})`;
    if (c.toMs === null && i !== batch.custody.length - 1)
      return `${at}.toMs is null but later intervals follow`;
    if ((c.toMs ?? c.fromMs) > nowMs)
      return `${at} ends after nowMs (${nowMs}); custody cannot be in the future`;
    if (prevTo === null || c.fromMs < prevTo)
      return i === 0
        ? `${at}.fromMs (${c.fromMs}) is before expressedAtMs (${batch.expressedAtMs})`
        : `${at}.fromMs (${c.fromMs}) overlaps the previous interval (ends ${prevTo}); sort custody and fix overlaps`;
    if (!(c.expectedIntervalMs > 0))
      return `${at}.expectedIntervalMs must be > 0, got ${c.expectedIntervalMs}`;
    if (c.profile === null || typeof c.profile !== "object")
      return `${at}.profile is missing; use resolveProfile()`;
    prevTo = c.toMs;
  }
  if (batch.thawedAtMs != null && batch.initialState !== "thawed")
    return `thawedAtMs is only for initialState "thawed", got initialState "${batch.initialState}"`;
  return null;
}

/** Touching intervals in the same unit with the same settings are one stay: splitting changes nothing. */
function mergeCustody(custody: readonly CustodyInterval[]): CustodyInterval[] {
  const out: CustodyInterval[] = [];
  for (const c of custody) {
    const last = out[out.length - 1];
    if (
      last !== undefined &&
      last.toMs === c.fromMs &&
      last.unitId === c.unitId &&
      last.unitKind === c.unitKind &&
      last.expectedIntervalMs === c.expectedIntervalMs &&
      JSON.stringify(last.profile) === JSON.stringify(c.profile)
    ) {
      out[out.length - 1] = { ...last, toMs: c.toMs, readings: [...last.readings, ...c.readings] };
    } else {
      out.push(c);
    }
  }
  return out;
}

function overlapMs(spans: readonly Span[], fromMs: number, toMs: number): number {
  let sum = 0;
  for (const s of spans) sum += Math.max(0, Math.min(s.toMs, toMs) - Math.max(s.fromMs, fromMs));
  return sum;
}

interface FaultTally {
  count: number;
  firstMs: number;
  lastMs: number;
  exampleC: number;
}

/** What the custody walk collects across intervals. */
interface Walk {
  reasons: Reason[];
  limitsByPhase: { fresh: TimeLimits[]; frozen: TimeLimits[]; thawed: TimeLimits[] };
  freshWarm: { atMs: number; why: "warm" | "unmonitored" } | null;
  freshEndMs: number | null;
  everFrozen: boolean;
  coolBagMs: number;
  coolBagLimits: TimeLimits[];
  roomFreshLimits: TimeLimits[];
  roomThawedLimits: TimeLimits[];
  thawing: { fromMs: number; unitKind: UnitKind } | null;
  shortGaps: { count: number; totalMs: number };
  coverageThresholdPct: number;
  totals: {
    monitoredMs: number;
    outOfRangeMs: number;
    weightedSumC: number;
    arrheniusSum: number;
    minC: number | null;
    maxC: number | null;
    roomFreshMs: number;
    roomThawedMs: number;
    hotMs: number;
    firstHotMs: number | null;
  };
}

function addOnce(list: TimeLimits[], limits: TimeLimits): void {
  if (!list.includes(limits)) list.push(limits);
}

function phaseList(w: Walk, state: MilkState): TimeLimits[] {
  if (state === "fresh") return w.limitsByPhase.fresh;
  if (state === "thawed") return w.limitsByPhase.thawed;
  return w.limitsByPhase.frozen;
}

function handleEvents(
  w: Walk,
  iv: CustodyInterval,
  endMs: number,
  events: readonly MachineEvent[],
  s: MachineState,
): void {
  const p = iv.profile;
  const unit = unitWord(iv.unitKind);
  const startedMilk = new Map<string, MilkState>();
  const cumulativeSpans: Span[] = [];
  const gapSpans: Span[] = [];
  const faults = new Map<string, FaultTally>();
  const chilledUnit = iv.unitKind === "fridge" || iv.unitKind === "cool-bag";

  for (const e of events) {
    switch (e.kind) {
      case "excursion-started": {
        startedMilk.set(`${e.rule}:${e.fromMs}`, e.milk);
        if (e.rule === "high" && chilledUnit && e.milk === "fresh")
          w.freshWarm ??= { atMs: e.fromMs, why: "warm" };
        break;
      }
      case "run": {
        if (e.rule === "high") cumulativeSpans.push({ fromMs: e.fromMs, toMs: e.toMs });
        if (!e.confirmed) break;
        const ongoing = e.open && iv.toMs === null;
        const durationMs = e.toMs - e.fromMs;
        const values = {
          thresholdC: 0,
          peakC: e.peakC,
          minutes: Math.round(durationMs / MIN_MS),
          unitId: iv.unitId,
        };
        if (e.rule === "high") {
          values.thresholdC = p.high.aboveC;
          w.reasons.push({
            code: "excursion",
            band: "check",
            rule: p.high.rule,
            message: ongoing
              ? `The ${unit} has been warmer than ${formatTempC(p.high.aboveC)} since ${formatTime(e.fromMs)} (${formatDuration(durationMs)} so far, up to ${formatTempC(e.peakC)}).`
              : `The ${unit} was warmer than ${formatTempC(p.high.aboveC)} for ${formatDuration(durationMs)} from ${formatTime(e.fromMs)} (up to ${formatTempC(e.peakC)}).`,
            fromMs: e.fromMs,
            toMs: ongoing ? null : e.toMs,
            values,
          });
        } else if (p.low !== null) {
          values.thresholdC = p.low.belowC;
          w.reasons.push({
            code: "fridge-freezing",
            band: "check",
            rule: p.low.rule,
            message: `The ${unit} was colder than ${formatTempC(p.low.belowC)} for ${formatDuration(durationMs)} from ${formatTime(e.fromMs)} (down to ${formatTempC(e.peakC)}); milk in it may have started to freeze.`,
            fromMs: e.fromMs,
            toMs: ongoing ? null : e.toMs,
            values,
          });
        }
        break;
      }
      case "gap": {
        const toMs = e.toMs ?? endMs;
        const durationMs = toMs - e.fromMs;
        gapSpans.push({ fromMs: e.fromMs, toMs });
        cumulativeSpans.push({ fromMs: e.fromMs, toMs });
        if (e.short) break;
        if (durationMs < p.gap.checkAfterMin * MIN_MS) {
          w.shortGaps.count++;
          w.shortGaps.totalMs += durationMs;
          break;
        }
        if (chilledUnit && e.milk === "fresh") w.freshWarm ??= { atMs: e.fromMs, why: "unmonitored" };
        const ongoing = toMs === endMs && iv.toMs === null;
        w.reasons.push({
          code: "gap",
          band: "check",
          rule: "§3",
          message: ongoing
            ? `No readings from the ${unit} since ${formatTime(e.fromMs)} (${formatDuration(durationMs)}): the milk's temperature since then is unknown.`
            : `No readings from the ${unit} for ${formatDuration(durationMs)}, from ${formatTime(e.fromMs)} to ${formatTime(toMs)}: the milk's temperature in that time is unknown.`,
          fromMs: e.fromMs,
          toMs: ongoing ? null : toMs,
          values: { minutes: Math.round(durationMs / MIN_MS), unitId: iv.unitId },
        });
        break;
      }
      case "sensor-fault": {
        const f = faults.get(e.fault);
        if (f === undefined)
          faults.set(e.fault, { count: 1, firstMs: e.tsMs, lastMs: e.tsMs, exampleC: e.tempC });
        else {
          f.count++;
          f.lastMs = e.tsMs;
        }
        break;
      }
      case "thawing":
        w.thawing ??= { fromMs: e.atMs, unitKind: iv.unitKind };
        break;
      case "thawing-ended": {
        const fromMs = w.thawing?.fromMs ?? e.atMs;
        w.thawing = null;
        w.reasons.push({
          code: "thawing",
          band: "check",
          rule: "§4",
          message: `The milk may have started to soften in the ${unit} for ${formatDuration(e.atMs - fromMs)} from ${formatTime(fromMs)} (estimated milk temperature above ${formatTempC(p.thaw.frozenMaxC)}), then froze solid again.`,
          fromMs,
          toMs: e.atMs,
          values: { estimateAboveC: p.thaw.frozenMaxC, unitId: iv.unitId },
        });
        break;
      }
      case "probable-thaw": {
        w.thawing = null;
        addOnce(w.limitsByPhase.thawed, p.limits);
        const planned = iv.unitKind === "fridge";
        const how =
          e.by === "air"
            ? `the air around it was above ${formatTempC(p.thaw.airAboveC)} for ${formatDuration(p.thaw.airForMin * MIN_MS)} or more`
            : `estimated milk temperature above ${formatTempC(p.thaw.thawAboveC)}`;
        w.reasons.push({
          code: "probable-thaw",
          band: planned ? "safe" : "check",
          rule: planned ? "TH-1" : "§4",
          message: planned
            ? `The milk thawed in the fridge around ${formatTime(e.atMs)} (${how}); thawed milk must not be refrozen.`
            : `The milk probably thawed in the ${unit} around ${formatTime(e.atMs)} (${how}); thawed milk must not be refrozen.`,
          fromMs: e.atMs,
          values: { by: e.by, unitId: iv.unitId },
        });
        break;
      }
      case "froze": {
        addOnce(w.limitsByPhase.frozen, p.limits);
        if (e.refreeze) {
          const thawedAtMs = s.milk.thawedAtMs ?? e.atMs;
          w.reasons.push({
            code: "refrozen",
            band: "do-not-use",
            rule: "RF-1",
            message: `The milk thawed around ${formatTime(thawedAtMs)} and froze again in the ${unit} around ${formatTime(e.atMs)}. Thawed milk must never be refrozen.`,
            fromMs: thawedAtMs,
            toMs: e.atMs,
            values: { unitId: iv.unitId },
          });
        } else {
          w.freshEndMs ??= e.atMs;
          w.everFrozen = true;
        }
        break;
      }
      default:
        break;
    }
  }

  // Cumulative time above the limit (or unmonitored) in a rolling window (§3).
  if (p.cumulative !== null) {
    const windowMs = p.cumulative.windowH * H_MS;
    const busiest = busiestWindow(cumulativeSpans, windowMs);
    if (busiest !== null && busiest.coveredMs > p.cumulative.maxMin * MIN_MS) {
      const unknownMs = overlapMs(mergeSpans(gapSpans), busiest.fromMs, busiest.toMs);
      const what =
        unknownMs === 0
          ? `warmer than ${formatTempC(p.high.aboveC)}`
          : unknownMs >= busiest.coveredMs
            ? "not reporting"
            : `warmer than ${formatTempC(p.high.aboveC)} or not reporting`;
      w.reasons.push({
        code: "cumulative-excursion",
        band: "check",
        rule: "§3",
        message: `Within the ${formatDuration(windowMs)} from ${formatTime(busiest.fromMs)}, the ${unit} was ${what} for ${formatDuration(busiest.coveredMs)} in total (more than ${formatDuration(p.cumulative.maxMin * MIN_MS)}).`,
        fromMs: busiest.fromMs,
        toMs: busiest.toMs,
        values: {
          minutes: Math.round(busiest.coveredMs / MIN_MS),
          unmonitoredMinutes: Math.round(unknownMs / MIN_MS),
          maxMinutes: p.cumulative.maxMin,
          unitId: iv.unitId,
        },
      });
    }
  }

  for (const [fault, f] of faults) {
    w.reasons.push({
      code: "sensor-fault",
      band: "check",
      rule: "§3",
      message: `The ${unit}'s probe sent ${f.count === 1 ? "an impossible reading" : `${f.count} impossible readings`} (such as ${Number.isFinite(f.exampleC) ? formatTempC(f.exampleC) : String(f.exampleC)})${f.count === 1 ? ` at ${formatTime(f.firstMs)}` : ` between ${formatTime(f.firstMs)} and ${formatTime(f.lastMs)}`}; those moments count as unmonitored.`,
      fromMs: f.firstMs,
      toMs: f.lastMs,
      values: {
        fault,
        count: f.count,
        exampleC: Number.isFinite(f.exampleC) ? f.exampleC : null,
        unitId: iv.unitId,
      },
    });
  }
}

function initialMilk(batch: BatchInput, firstFromMs: number): MachineState["milk"] {
  if (batch.initialState === "frozen")
    return { tempC: null, phase: "frozen", everThawed: false, thawedAtMs: null };
  if (batch.initialState === "thawed")
    return { tempC: null, phase: "liquid", everThawed: true, thawedAtMs: batch.thawedAtMs ?? firstFromMs };
  return { tempC: null, phase: "liquid", everThawed: false, thawedAtMs: null };
}

function limitReason(
  code: Reason["code"],
  band: Band,
  limit: BandedLimit,
  ids: string,
  message: string,
  values: Record<string, number | string | null>,
  fromMs?: number,
): Reason {
  return {
    code,
    band,
    rule: limit.rule,
    message,
    ...(fromMs === undefined ? {} : { fromMs }),
    values: { ...values, limits: ids, safeMaxH: limit.safeMaxH, checkMaxH: limit.checkMaxH },
  };
}

function limitWords(limit: BandedLimit, what: string): string {
  const safe = formatDuration(limit.safeMaxH * H_MS);
  if (limit.safeMaxH === limit.checkMaxH) return `${what} within ${safe}`;
  return `${what} within ${safe} at best and ${formatDuration(limit.checkMaxH * H_MS)} at most`;
}

/** Budgets for one limit from `startMs` (a clock) or from `usedMs` so far (cumulative). */
function budgetsFor(limit: BandedLimit, usedMs: number, asOfMs: number, running: boolean): Budget[] {
  const out: Budget[] = [];
  const add = (band: Budget["band"], maxH: number) => {
    const remainingMs = maxH * H_MS - usedMs;
    if (remainingMs > 0)
      out.push({ limit: limit.rule, band, untilMs: running ? asOfMs + remainingMs : null, remainingMs });
  };
  if (limit.checkMaxH > limit.safeMaxH) add("check", limit.safeMaxH);
  add("do-not-use", limit.checkMaxH);
  return out;
}

/**
 * The verdict of one batch as of `nowMs` (or as of the end of its custody, if it has ended).
 * Returns `{ ok: false, reason }` for custody that cannot be right (overlaps, future times).
 */
export function computeVerdict(batch: BatchInput, nowMs: number): VerdictResult {
  const invalid = validate(batch, nowMs);
  if (invalid !== null) return { ok: false, reason: invalid };

  const custody = mergeCustody(batch.custody);
  const first = custody[0] as CustodyInterval;
  const last = custody[custody.length - 1] as CustodyInterval;
  const asOfMs = last.toMs ?? nowMs;
  const container = batch.container ?? "bag";
  const w: Walk = {
    reasons: [],
    limitsByPhase: { fresh: [], frozen: [], thawed: [] },
    freshWarm: null,
    freshEndMs: null,
    everFrozen: batch.initialState !== "fresh",
    coolBagMs: 0,
    coolBagLimits: [],
    roomFreshLimits: [],
    roomThawedLimits: [],
    thawing: null,
    shortGaps: { count: 0, totalMs: 0 },
    coverageThresholdPct: 0,
    totals: {
      monitoredMs: 0,
      outOfRangeMs: 0,
      weightedSumC: 0,
      arrheniusSum: 0,
      minC: null,
      maxC: null,
      roomFreshMs: 0,
      roomThawedMs: 0,
      hotMs: 0,
      firstHotMs: null,
    },
  };

  let milk = initialMilk(batch, first.fromMs);
  let lastState: MachineState | null = null;
  let prevEndMs: number | null = null;
  const profiles: ProfileUse[] = [];

  for (const iv of custody) {
    const p: RuleProfile = iv.profile;
    const endMs = iv.toMs ?? nowMs;
    profiles.push({ unitId: iv.unitId, profile: p });
    w.coverageThresholdPct = Math.max(w.coverageThresholdPct, p.coverage.checkBelowPct);
    if (prevEndMs !== null && iv.fromMs > prevEndMs) {
      w.reasons.push({
        code: "custody-gap",
        band: "check",
        rule: "§3",
        message: `Nobody recorded where the milk was for ${formatDuration(iv.fromMs - prevEndMs)}, from ${formatTime(prevEndMs)} to ${formatTime(iv.fromMs)}.`,
        fromMs: prevEndMs,
        toMs: iv.fromMs,
      });
    }
    addOnce(phaseList(w, milkStateOf(milk)), p.limits);

    const s = initMachine({
      expectedIntervalMs: iv.expectedIntervalMs,
      tauMs: p.milkTauMin[container] * MIN_MS,
      startMs: iv.fromMs,
      milkPhase: milk.phase,
      everThawed: milk.everThawed,
      thawedAtMs: milk.thawedAtMs,
      milkC: milk.tempC,
    });
    const events: MachineEvent[] = [];
    for (const r of prepareReadings(iv.readings, iv.fromMs, endMs, iv.toMs === null, p.sensor))
      pushReading(s, p, r, events);
    closeWindow(s, p, endMs, events);
    handleEvents(w, iv, endMs, events, s);

    const a = s.acc;
    const t = w.totals;
    t.monitoredMs += a.monitoredMs;
    t.outOfRangeMs += a.outOfRangeMs;
    t.weightedSumC += a.weightedSumC;
    t.arrheniusSum += a.arrheniusSum;
    if (a.minC !== null) t.minC = t.minC === null ? a.minC : Math.min(t.minC, a.minC);
    if (a.maxC !== null) t.maxC = t.maxC === null ? a.maxC : Math.max(t.maxC, a.maxC);
    t.roomFreshMs += a.roomFreshMs;
    t.roomThawedMs += a.roomThawedMs;
    t.hotMs += a.hotMs;
    if (a.firstHotMs !== null) t.firstHotMs ??= a.firstHotMs;
    if (a.roomFreshMs > 0) addOnce(w.roomFreshLimits, p.limits);
    if (a.roomThawedMs > 0) addOnce(w.roomThawedLimits, p.limits);
    if (iv.unitKind === "cool-bag") {
      w.coolBagMs += endMs - iv.fromMs;
      addOnce(w.coolBagLimits, p.limits);
    }
    milk = s.milk;
    lastState = s;
    prevEndMs = endMs;
  }

  const state = milkStateOf(milk);
  const lastProfile = last.profile;
  const budgets: Budget[] = [];
  const reasons = w.reasons;
  const t = w.totals;

  // Still softening at the end: a planned thaw in a fridge is a note, anywhere else "check".
  if (w.thawing !== null) {
    const planned = last.unitKind === "fridge";
    reasons.push({
      code: "thawing",
      band: planned ? "safe" : "check",
      rule: "§4",
      message: planned
        ? `The milk has been thawing in the fridge since ${formatTime(w.thawing.fromMs)}.`
        : `The milk may be starting to thaw: its estimated temperature has been above ${formatTempC(lastProfile.thaw.frozenMaxC)} since ${formatTime(w.thawing.fromMs)}.`,
      fromMs: w.thawing.fromMs,
      toMs: null,
    });
  }

  if (w.shortGaps.count > 0) {
    reasons.push({
      code: "short-gaps",
      band: "safe",
      rule: "§3",
      message: `${w.shortGaps.count === 1 ? "One short break" : `${w.shortGaps.count} short breaks`} in the readings, ${formatDuration(w.shortGaps.totalMs)} in total.`,
      values: { count: w.shortGaps.count, minutes: Math.round(w.shortGaps.totalMs / MIN_MS) },
    });
  }

  // Coverage.
  const custodyMs = asOfMs - first.fromMs;
  const monitoredPct = custodyMs > 0 ? Math.min(100, (t.monitoredMs / custodyMs) * 100) : 0;
  if (monitoredPct < w.coverageThresholdPct) {
    reasons.push({
      code: "low-coverage",
      band: "check",
      rule: "§3",
      message:
        t.monitoredMs === 0
          ? "There are no readings for the time the milk has been stored yet; its temperature is unknown."
          : `Readings cover only ${Math.floor(monitoredPct * 10) / 10}% of the time the milk has been stored; the rest is unknown.`,
      values: { monitoredPct: Math.round(monitoredPct * 10) / 10, thresholdPct: w.coverageThresholdPct },
    });
  }

  // Before custody.
  const preMs = first.fromMs - batch.expressedAtMs;
  if (batch.initialState === "fresh" && preMs > 0) {
    const room = strictest([first.profile.limits], "room");
    reasons.push({
      code: "before-custody",
      band: preMs <= room.limit.safeMaxH * H_MS ? "safe" : "check",
      rule: "RT-1",
      message: `The ${formatDuration(preMs)} between expressing and first storage (${formatTime(first.fromMs)}) were not monitored.`,
      fromMs: batch.expressedAtMs,
      toMs: first.fromMs,
    });
  } else if (batch.initialState !== "fresh") {
    reasons.push({
      code: "before-custody",
      band: "safe",
      rule: "§1",
      message: `The milk was recorded as already ${batch.initialState} when first stored (${formatTime(first.fromMs)}); how it was kept before that was not monitored.`,
      fromMs: batch.expressedAtMs,
      toMs: first.fromMs,
    });
  }

  // FR-1 / FR-2: fresh milk, counted from expression until it froze (or now).
  if (batch.initialState === "fresh") {
    const keys: LimitKey[] = w.freshWarm === null ? ["freshCold"] : ["freshCold", "freshWarm"];
    const sets = w.limitsByPhase.fresh.length > 0 ? w.limitsByPhase.fresh : [first.profile.limits];
    const candidates = keys.map((k) => strictest(sets, k));
    const chosen = candidates.reduce((a, b) => (b.limit.checkMaxH < a.limit.checkMaxH ? b : a));
    const endMs = w.freshEndMs ?? (state === "fresh" ? asOfMs : null);
    if (endMs !== null) {
      const usedMs = endMs - batch.expressedAtMs;
      const band = bandForLimit(chosen.limit, usedMs);
      const why =
        w.freshWarm === null
          ? ""
          : w.freshWarm.why === "warm"
            ? ` because it was kept warmer than 4 °C (from ${formatTime(w.freshWarm.atMs)})`
            : ` because its temperature went unmonitored (from ${formatTime(w.freshWarm.atMs)})`;
      if (band !== "safe")
        reasons.push(
          limitReason(
            "fresh-limit",
            band,
            chosen.limit,
            chosen.ids,
            `The milk was kept unfrozen for ${formatDuration(usedMs)} after expressing; ${limitWords(chosen.limit, "fresh milk should be used or frozen")}${why}.`,
            { hours: Math.round((usedMs / H_MS) * 10) / 10 },
            batch.expressedAtMs,
          ),
        );
      if (state === "fresh") budgets.push(...budgetsFor(chosen.limit, usedMs, asOfMs, true));
    }
  }

  // FZ-1: frozen milk, counted from expression until it first thawed (or now).
  if (w.everFrozen) {
    const sets = w.limitsByPhase.frozen.length > 0 ? w.limitsByPhase.frozen : [lastProfile.limits];
    const chosen = strictest(sets, "frozen");
    const endMs = milk.thawedAtMs ?? asOfMs;
    const usedMs = endMs - batch.expressedAtMs;
    const band = bandForLimit(chosen.limit, usedMs);
    if (band !== "safe")
      reasons.push(
        limitReason(
          "frozen-limit",
          band,
          chosen.limit,
          chosen.ids,
          `The milk was expressed ${formatDuration(usedMs)} before ${milk.thawedAtMs !== null ? "it thawed" : "now"}; ${limitWords(chosen.limit, "frozen milk should be used")}.`,
          { days: Math.round((usedMs / (24 * H_MS)) * 10) / 10 },
          batch.expressedAtMs,
        ),
      );
    if (state === "frozen" && !milk.everThawed)
      budgets.push(...budgetsFor(chosen.limit, usedMs, asOfMs, true));
  }

  // TH-1: thawed milk, counted from the first detected thaw.
  if (milk.everThawed && milk.thawedAtMs !== null) {
    const sets = w.limitsByPhase.thawed.length > 0 ? w.limitsByPhase.thawed : [lastProfile.limits];
    const chosen = strictest(sets, "thawedCold");
    const usedMs = asOfMs - milk.thawedAtMs;
    const band = bandForLimit(chosen.limit, usedMs);
    if (band !== "safe")
      reasons.push(
        limitReason(
          "thawed-limit",
          band,
          chosen.limit,
          chosen.ids,
          `The milk thawed ${formatDuration(usedMs)} ago (around ${formatTime(milk.thawedAtMs)}); ${limitWords(chosen.limit, "thawed milk should be used")}.`,
          { hours: Math.round((usedMs / H_MS) * 10) / 10 },
          milk.thawedAtMs,
        ),
      );
    if (state === "thawed") budgets.push(...budgetsFor(chosen.limit, usedMs, asOfMs, true));
  }

  // RT-1 / TH-2: cumulative room temperature while liquid; RT-2: hot.
  const running =
    lastState !== null &&
    last.toMs === null &&
    lastState.milk.phase === "liquid" &&
    lastState.lastTempC !== null &&
    lastState.lastTempC > lastProfile.room.aboveC;
  for (const [usedMs, sets, key, code, what] of [
    [t.roomFreshMs, w.roomFreshLimits, "room", "room-temperature", "fresh milk"],
    [t.roomThawedMs, w.roomThawedLimits, "thawedRoom", "thawed-room-temperature", "thawed milk"],
  ] as const) {
    if (usedMs <= 0) continue;
    const chosen = strictest(sets, key);
    const band = bandForLimit(chosen.limit, usedMs);
    reasons.push(
      limitReason(
        code,
        band,
        chosen.limit,
        chosen.ids,
        `The ${what} was at room temperature (air above ${formatTempC(lastProfile.room.aboveC)}) for ${formatDuration(usedMs)} in total; ${limitWords(chosen.limit, `${what} at room temperature should be used`)}.`,
        { minutes: Math.round(usedMs / MIN_MS) },
      ),
    );
    const isCurrent = key === "room" ? state === "fresh" : state === "thawed";
    if (isCurrent) budgets.push(...budgetsFor(chosen.limit, usedMs, asOfMs, running));
  }
  if (t.hotMs > 0 && t.firstHotMs !== null) {
    reasons.push({
      code: "hot",
      band: "check",
      rule: "RT-2",
      message: `The unfrozen milk was in air above ${formatTempC(lastProfile.room.hotAboveC)} for ${formatDuration(t.hotMs)} (first at ${formatTime(t.firstHotMs)}); no guideline gives a safe time that warm.`,
      fromMs: t.firstHotMs,
      values: { minutes: Math.round(t.hotMs / MIN_MS) },
    });
  }

  // CB-1: time in cool bags.
  if (w.coolBagMs > 0) {
    const chosen = strictest(w.coolBagLimits, "coolBag");
    const band = bandForLimit(chosen.limit, w.coolBagMs);
    if (band !== "safe")
      reasons.push(
        limitReason(
          "cool-bag-limit",
          band,
          chosen.limit,
          chosen.ids,
          `The milk spent ${formatDuration(w.coolBagMs)} in cool bags; ${limitWords(chosen.limit, "milk should leave a cool bag")}.`,
          { hours: Math.round((w.coolBagMs / H_MS) * 10) / 10 },
        ),
      );
    budgets.push(
      ...budgetsFor(chosen.limit, w.coolBagMs, asOfMs, last.unitKind === "cool-bag" && last.toMs === null),
    );
  }

  const verdict: Verdict = {
    verdict: worstBand(reasons.map((r) => r.band)),
    reasons,
    stats: {
      minC: t.minC,
      maxC: t.maxC,
      meanC: t.monitoredMs > 0 ? t.weightedSumC / t.monitoredMs : null,
      mktC: mktFromSums(t.arrheniusSum, t.monitoredMs),
      minutesOutOfRange: Math.round((t.outOfRangeMs / MIN_MS) * 100) / 100,
      monitoredPct: Math.round(monitoredPct * 100) / 100,
    },
    state,
    everThawed: milk.everThawed,
    thawedAtMs: milk.thawedAtMs,
    budgets,
    profiles,
    asOfMs,
  };
  return { ok: true, verdict };
}
