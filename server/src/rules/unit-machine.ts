/**
 * The one incremental state machine behind both the batch verdict and the live unit monitor, so
 * the two cannot disagree. It consumes one unit's readings in time order and emits events.
 *
 * Time model:
 * - A valid reading holds until the next one (sample and hold). Silence longer than
 *   `gap.factor × expectedIntervalMs` is a gap: the whole silence is unmonitored. So is the time
 *   from the window's start to its first reading, however short.
 * - Faulty readings (see `sensor-fault.ts`) are dropped, so they become unmonitored time.
 * - A run (air above a threshold) opens at the first reading above it and closes only at a
 *   reading at or below the clear threshold (hysteresis). A gap does not close a run. When a
 *   run's first reading follows a gap, the run is taken to start at the start of the gap: the
 *   air may have warmed at any moment nobody was looking.
 * - A run becomes an excursion once it has lasted longer than the rule's `forMin`. An excursion
 *   also ends after the rule's `clearAfterMin` without a reading beyond the line (readings
 *   settled in the hysteresis band), dated from the first reading back inside.
 * - The milk-temperature estimate (`milk-temperature.ts`) moves between readings with the air
 *   held at the last reading; phase changes are placed at the exact time the estimate crosses.
 *
 * The state is plain JSON, so another instance can take a unit over from a snapshot.
 */
import { lagStep, msToReach } from "./milk-temperature.js";
import type { RuleProfile } from "./profiles/types.js";
import { type FaultKind, faultOf, isJump } from "./sensor-fault.js";
import type { MilkState, TempSample } from "./types.js";

/** FZ-1: a batch declared frozen is assumed to have been at the home-freezer limit, −18 °C. */
const DECLARED_FROZEN_C = -18;
/** FR-1: a batch declared fresh or thawed is assumed to have been at the fridge limit, 4 °C. */
const DECLARED_LIQUID_C = 4;
/** Kelvin offset and USP <1160>'s default ΔH/R = 83.144 kJ/mol ÷ 8.3144 J/(mol·K) = 10 000 K. */
const KELVIN = 273.15;
export const MKT_DELTA_H_OVER_R_K = 83_144 / 8.3144;

export type MilkPhase = "liquid" | "frozen" | "thawing";
export type RunRule = "high" | "low";

export interface RunState {
  startMs: number;
  confirmed: boolean;
  /** Warmest (high) or coldest (low) reading of the run. */
  peakC: number;
  /**
   * RULES.md §3 "Duration is time above the line": the time the air was actually beyond the
   * threshold (or unknown, in a gap) since the run opened. Hysteresis keeps the run open, but
   * only this time counts toward `forMin`. Missing in states saved before it existed.
   */
  aboveMs?: number;
  /**
   * Since when the readings have stayed inside the line (within the hysteresis band) without a
   * gap: a confirmed run ends after the rule's `clearAfterMin` of that. Unset while beyond.
   */
  insideSinceMs?: number;
}

/** A flat stretch of identical readings (RULES.md §3 "Sensor faults": a stuck probe). */
export interface FlatState {
  sinceMs: number;
  valueC: number;
  /** True once the stretch lasted `sensor.stuckMin`: identical readings are faults from then on. */
  stuck: boolean;
}

export interface MachineAcc {
  monitoredMs: number;
  unknownMs: number;
  outOfRangeMs: number;
  /** Σ tempC × ms over monitored time. */
  weightedSumC: number;
  /** Σ exp(−ΔH/(R·T)) × ms over monitored time, for the mean kinetic temperature. */
  arrheniusSum: number;
  minC: number | null;
  maxC: number | null;
  /** Monitored time with the air above room temperature while the milk was liquid. */
  roomFreshMs: number;
  roomThawedMs: number;
  /** All time (monitored or not) with the milk frozen or thawing / liquid, for TR-1 vs CB-1. */
  frozenMs?: number;
  liquidMs?: number;
  hotMs: number;
  firstHotMs: number | null;
  validReadings: number;
  faultReadings: number;
}

export interface MachineState {
  v: 1;
  expectedIntervalMs: number;
  tauMs: number;
  /** Start of the observed window; silence from here to the first reading counts like any other. */
  startMs: number | null;
  lastTsMs: number | null;
  lastTempC: number | null;
  /** Last in-range reading, faulty or not, for the jump test. */
  refTsMs: number | null;
  refTempC: number | null;
  /** The newest reading time seen (faults included) and its value. */
  watermarkMs: number | null;
  watermarkTempC: number | null;
  high: RunState | null;
  low: RunState | null;
  /** RULES.md §4 floor: air above thaw.airAboveC. */
  floor: RunState | null;
  gapReported: boolean;
  /** The current run of identical valid readings (stuck-probe detection); missing in old states. */
  flat?: FlatState | null;
  /** The open stretch of monitored time with the air above `high.aboveC` (for the cumulative counter). */
  above?: { fromMs: number; toMs: number } | null;
  /** True when a faulty reading arrived since the last valid one (a gap then is the probe's fault). */
  faultSinceValid?: boolean;
  milk: { tempC: number | null; phase: MilkPhase; everThawed: boolean; thawedAtMs: number | null };
  acc: MachineAcc;
}

export type MachineEvent =
  | { kind: "excursion-started"; rule: RunRule; fromMs: number; atMs: number; milk: MilkState }
  | { kind: "excursion-ended"; rule: RunRule; fromMs: number; toMs: number; peakC: number }
  /** Every run, short or long, for cumulative counting; `open` when it outlasted the window. */
  | {
      kind: "run";
      rule: RunRule;
      fromMs: number;
      toMs: number;
      open: boolean;
      confirmed: boolean;
      peakC: number;
      /** Time actually beyond the line (or unknown) within the run. */
      aboveMs: number;
    }
  /** Monitored time with the air above `high.aboveC`, joined where contiguous (cumulative counter). */
  | { kind: "above"; fromMs: number; toMs: number }
  /** `short`: silence before the first reading that is shorter than a gap; unmonitored, not reported. */
  /** `byFault`: faulty readings arrived during the silence (the probe, not the network, failed). */
  | { kind: "gap"; fromMs: number; toMs: number | null; milk: MilkState; short: boolean; byFault: boolean }
  /** For a stuck probe, `fromMs` is when the flat value first appeared. */
  | { kind: "sensor-fault"; tsMs: number; tempC: number; fault: FaultKind; fromMs?: number }
  | { kind: "thawing"; atMs: number }
  | { kind: "thawing-ended"; atMs: number }
  | { kind: "probable-thaw"; atMs: number; by: "estimate" | "air" }
  | { kind: "froze"; atMs: number; refreeze: boolean };

export interface MachineInit {
  expectedIntervalMs: number;
  tauMs: number;
  startMs?: number | null;
  milkPhase: MilkPhase;
  everThawed?: boolean;
  thawedAtMs?: number | null;
  /** Carried over from a previous unit; null = assume from the first reading. */
  milkC?: number | null;
}

export function newAcc(): MachineAcc {
  return {
    monitoredMs: 0,
    unknownMs: 0,
    outOfRangeMs: 0,
    weightedSumC: 0,
    arrheniusSum: 0,
    minC: null,
    maxC: null,
    roomFreshMs: 0,
    roomThawedMs: 0,
    frozenMs: 0,
    liquidMs: 0,
    hotMs: 0,
    firstHotMs: null,
    validReadings: 0,
    faultReadings: 0,
  };
}

export function initMachine(init: MachineInit): MachineState {
  return {
    v: 1,
    expectedIntervalMs: init.expectedIntervalMs,
    tauMs: init.tauMs,
    startMs: init.startMs ?? null,
    lastTsMs: null,
    lastTempC: null,
    refTsMs: null,
    refTempC: null,
    watermarkMs: null,
    watermarkTempC: null,
    high: null,
    low: null,
    floor: null,
    gapReported: false,
    flat: null,
    above: null,
    faultSinceValid: false,
    milk: {
      tempC: init.milkC ?? null,
      phase: init.milkPhase,
      everThawed: init.everThawed ?? false,
      thawedAtMs: init.thawedAtMs ?? null,
    },
    acc: newAcc(),
  };
}

export function milkStateOf(m: MachineState["milk"]): MilkState {
  if (m.phase === "thawing") return "thawing";
  if (m.phase === "frozen") return "frozen";
  return m.everThawed ? "thawed" : "fresh";
}

export function maxGapMs(s: MachineState, p: RuleProfile): number {
  return s.expectedIntervalMs * p.gap.factor;
}

function thawNow(
  s: MachineState,
  p: RuleProfile,
  atMs: number,
  by: "estimate" | "air",
  out: MachineEvent[],
): void {
  const m = s.milk;
  m.phase = "liquid";
  m.everThawed = true;
  m.thawedAtMs ??= atMs;
  // The floor rule overrides the estimate: the milk is now taken to be at its melting point, so
  // that a later refreeze is measured from there rather than from a too-cold estimate.
  if (m.tempC !== null) m.tempC = Math.max(m.tempC, p.thaw.thawAboveC);
  out.push({ kind: "probable-thaw", atMs, by });
}

/** Moves the milk estimate from fromMs to toMs with the air held at airC, placing phase changes. */
function evolveMilk(
  s: MachineState,
  p: RuleProfile,
  fromMs: number,
  toMs: number,
  airC: number,
  out: MachineEvent[],
): void {
  const m = s.milk;
  if (m.tempC === null) return;
  const t = p.thaw;
  const airForMs = t.airForMin * 60_000;
  let now = fromMs;
  // Each pass either ends the step or makes one phase change; with the air constant the estimate
  // moves one way only, so a handful of passes always suffice.
  for (let pass = 0; pass < 8 && now < toMs; pass++) {
    let stepEnd = toMs;
    const floorDueMs = m.phase !== "liquid" && s.floor !== null ? s.floor.startMs + airForMs : null;
    if (floorDueMs !== null && floorDueMs > now && floorDueMs < stepEnd) stepEnd = floorDueMs;

    let targetC: number | null = null;
    if (m.phase === "frozen" && airC > t.frozenMaxC) targetC = t.frozenMaxC;
    else if (m.phase === "thawing" && airC > t.thawAboveC) targetC = t.thawAboveC;
    else if (m.phase === "thawing" && airC <= t.frozenMaxC - t.hysteresisC)
      targetC = t.frozenMaxC - t.hysteresisC;
    else if (m.phase === "liquid" && airC <= t.frozenMaxC) targetC = t.frozenMaxC;

    const dt = targetC === null ? null : msToReach(m.tempC, airC, targetC, s.tauMs);
    if (targetC !== null && dt !== null && now + dt <= stepEnd) {
      now += dt;
      m.tempC = targetC;
      if (m.phase === "frozen") {
        m.phase = "thawing";
        out.push({ kind: "thawing", atMs: now });
      } else if (m.phase === "thawing" && targetC === t.thawAboveC) {
        thawNow(s, p, now, "estimate", out);
      } else if (m.phase === "thawing") {
        m.phase = "frozen";
        out.push({ kind: "thawing-ended", atMs: now });
      } else {
        m.phase = "frozen";
        out.push({ kind: "froze", atMs: now, refreeze: m.everThawed });
      }
      continue;
    }
    m.tempC = lagStep(m.tempC, airC, stepEnd - now, s.tauMs);
    now = stepEnd;
    if (floorDueMs !== null && now === floorDueMs && m.phase !== "liquid") thawNow(s, p, now, "air", out);
  }
}

/** Accounts for [fromMs, toMs) with the air held at airC. */
function advance(
  s: MachineState,
  p: RuleProfile,
  fromMs: number,
  toMs: number,
  airC: number,
  isGap: boolean,
  out: MachineEvent[],
): void {
  const d = toMs - fromMs;
  if (d <= 0) return;
  const a = s.acc;
  if (s.milk.phase === "liquid") a.liquidMs = (a.liquidMs ?? 0) + d;
  else a.frozenMs = (a.frozenMs ?? 0) + d;
  // §3: only time beyond the line (or unknown) counts toward a run's duration.
  if (s.high !== null && (isGap || airC > p.high.aboveC)) s.high.aboveMs = aboveOf(s.high) + d;
  if (s.low !== null && p.low !== null && (isGap || airC < p.low.belowC)) s.low.aboveMs = aboveOf(s.low) + d;
  if (!isGap && airC > p.high.aboveC) {
    if (s.above != null && s.above.toMs === fromMs) s.above.toMs = toMs;
    else {
      flushAbove(s, out);
      s.above = { fromMs, toMs };
    }
  } else flushAbove(s, out);
  if (isGap) {
    a.unknownMs += d;
  } else {
    const liquid = s.milk.phase === "liquid";
    a.monitoredMs += d;
    a.weightedSumC += airC * d;
    a.arrheniusSum += Math.exp(-MKT_DELTA_H_OVER_R_K / (airC + KELVIN)) * d;
    const maxC = liquid ? p.safe.maxC : p.safe.frozenMaxC;
    if (airC > maxC || (p.safe.minC !== null && airC < p.safe.minC)) a.outOfRangeMs += d;
    if (liquid && airC > p.room.aboveC) {
      if (s.milk.everThawed) a.roomThawedMs += d;
      else a.roomFreshMs += d;
    }
    if (liquid && airC > p.room.hotAboveC) {
      a.hotMs += d;
      a.firstHotMs ??= fromMs;
    }
  }
  evolveMilk(s, p, fromMs, toMs, airC, out);
}

/** A run's time beyond the line; states saved before `aboveMs` existed count all elapsed time. */
function aboveOf(run: RunState): number {
  return run.aboveMs ?? 0;
}

function flushAbove(s: MachineState, out: MachineEvent[]): void {
  if (s.above != null) out.push({ kind: "above", fromMs: s.above.fromMs, toMs: s.above.toMs });
  s.above = null;
}

/** `pendingMs`: time after the last reading that already counts (live ticks only). */
function confirmIfDue(
  run: RunState,
  rule: RunRule,
  forMin: number,
  atMs: number,
  s: MachineState,
  out: MachineEvent[],
  pendingMs = 0,
): void {
  if (!run.confirmed && aboveOf(run) + pendingMs > forMin * 60_000) {
    run.confirmed = true;
    out.push({ kind: "excursion-started", rule, fromMs: run.startMs, atMs, milk: milkStateOf(s.milk) });
  }
}

/**
 * Tracks a run's readings inside its line (in the hysteresis band). True when a confirmed run has
 * stayed inside for `clearAfterMin` with no gap: it may end, dated from its first reading inside.
 * An unconfirmed run never ends this way: its time beyond the line keeps adding up.
 */
function settledInside(
  run: RunState,
  inside: boolean,
  afterGap: boolean,
  tsMs: number,
  clearAfterMin: number,
) {
  if (!inside) {
    run.insideSinceMs = undefined;
    return false;
  }
  // Nobody saw the air during a gap: the calm starts again at this reading.
  if (afterGap || run.insideSinceMs === undefined) run.insideSinceMs = tsMs;
  return run.confirmed && tsMs - run.insideSinceMs >= clearAfterMin * 60_000;
}

function closeRun(
  run: RunState,
  rule: RunRule,
  forMin: number,
  atMs: number,
  s: MachineState,
  out: MachineEvent[],
) {
  confirmIfDue(run, rule, forMin, atMs, s, out);
  if (run.confirmed)
    out.push({ kind: "excursion-ended", rule, fromMs: run.startMs, toMs: atMs, peakC: run.peakC });
  out.push({
    kind: "run",
    rule,
    fromMs: run.startMs,
    toMs: atMs,
    open: false,
    confirmed: run.confirmed,
    peakC: run.peakC,
    aboveMs: aboveOf(run),
  });
}

/** Takes one valid reading (strictly after the previous one). */
function acceptReading(
  s: MachineState,
  p: RuleProfile,
  tsMs: number,
  tempC: number,
  out: MachineEvent[],
): void {
  const m = s.milk;
  if (m.tempC === null)
    m.tempC = m.phase === "liquid" ? Math.max(tempC, DECLARED_LIQUID_C) : Math.min(tempC, DECLARED_FROZEN_C);

  const prevMs = s.lastTsMs ?? s.startMs;
  const leading = s.lastTsMs === null;
  let afterGap = false;
  if (prevMs !== null && tsMs > prevMs) {
    const long = tsMs - prevMs > maxGapMs(s, p);
    // Before the first reading nothing was seen at all, so that time is unmonitored however short.
    afterGap = long || leading;
    if (afterGap)
      out.push({
        kind: "gap",
        fromMs: prevMs,
        toMs: tsMs,
        milk: milkStateOf(m),
        short: !long,
        byFault: s.faultSinceValid === true,
      });
    // The estimate needs an air temperature: before the first reading, take the first reading's.
    advance(s, p, prevMs, tsMs, s.lastTempC ?? tempC, afterGap, out);
  }
  const openFromMs = prevMs !== null && afterGap ? prevMs : tsMs;
  // A run opened after a gap is dated from the gap's start, and the unknown time counts.
  const openAboveMs = tsMs - openFromMs;

  // Single-event excursion above the limit.
  const h = p.high;
  if (s.high === null) {
    if (tempC > h.aboveC) {
      s.high = { startMs: openFromMs, confirmed: false, peakC: tempC, aboveMs: openAboveMs };
      confirmIfDue(s.high, "high", h.forMin, tsMs, s, out);
    }
  } else if (tempC <= h.clearC) {
    closeRun(s.high, "high", h.forMin, tsMs, s, out);
    s.high = null;
  } else {
    s.high.peakC = Math.max(s.high.peakC, tempC);
    confirmIfDue(s.high, "high", h.forMin, tsMs, s, out);
    if (settledInside(s.high, tempC <= h.aboveC, afterGap, tsMs, h.clearAfterMin)) {
      closeRun(s.high, "high", h.forMin, s.high.insideSinceMs ?? tsMs, s, out);
      s.high = null;
    }
  }

  // Freezing in a fridge.
  const l = p.low;
  if (l !== null) {
    if (s.low === null) {
      if (tempC < l.belowC) {
        s.low = { startMs: openFromMs, confirmed: false, peakC: tempC, aboveMs: openAboveMs };
        confirmIfDue(s.low, "low", l.forMin, tsMs, s, out);
      }
    } else if (tempC >= l.clearC) {
      closeRun(s.low, "low", l.forMin, tsMs, s, out);
      s.low = null;
    } else {
      s.low.peakC = Math.min(s.low.peakC, tempC);
      confirmIfDue(s.low, "low", l.forMin, tsMs, s, out);
      if (settledInside(s.low, tempC >= l.belowC, afterGap, tsMs, l.clearAfterMin)) {
        closeRun(s.low, "low", l.forMin, s.low.insideSinceMs ?? tsMs, s, out);
        s.low = null;
      }
    }
  }

  // RULES.md §4 floor: air above −1 °C around frozen milk for 60 min or more.
  const t = p.thaw;
  if (s.floor === null) {
    if (tempC > t.airAboveC) s.floor = { startMs: openFromMs, confirmed: false, peakC: tempC };
  } else if (tempC <= t.airClearC) {
    s.floor = null;
  } else {
    s.floor.peakC = Math.max(s.floor.peakC, tempC);
  }
  // A run that opened after a gap may already be due.
  if (s.floor !== null && m.phase !== "liquid" && s.floor.startMs + t.airForMin * 60_000 <= tsMs)
    thawNow(s, p, s.floor.startMs + t.airForMin * 60_000, "air", out);

  const a = s.acc;
  a.validReadings++;
  a.minC = a.minC === null ? tempC : Math.min(a.minC, tempC);
  a.maxC = a.maxC === null ? tempC : Math.max(a.maxC, tempC);
  s.lastTsMs = tsMs;
  s.lastTempC = tempC;
  s.gapReported = false;
  s.faultSinceValid = false;
}

/** Feeds a reading already known to be faulty (e.g. part of a stuck stretch found in hindsight). */
export function pushFault(
  s: MachineState,
  r: TempSample,
  fault: FaultKind,
  out: MachineEvent[],
  fromMs?: number,
): void {
  s.watermarkMs = r.tsMs;
  s.watermarkTempC = r.tempC;
  s.acc.faultReadings++;
  s.faultSinceValid = true;
  out.push({
    kind: "sensor-fault",
    tsMs: r.tsMs,
    tempC: r.tempC,
    fault,
    ...(fromMs === undefined ? {} : { fromMs }),
  });
}

/**
 * Feeds one reading, which must be later than every reading fed before (the caller sorts and
 * drops duplicates). Mutates `s`, appends to `out`.
 */
export function pushReading(s: MachineState, p: RuleProfile, r: TempSample, out: MachineEvent[]): void {
  s.watermarkMs = r.tsMs;
  s.watermarkTempC = r.tempC;
  const staticFault = faultOf(r.tempC, p.sensor);
  if (staticFault !== null) {
    pushFault(s, r, staticFault, out);
    return;
  }
  // A jump is a fault only if it is a jump from both the last in-range reading and the last valid
  // one: a single spike is dropped, but a real level change is accepted from its second reading on.
  const maxStep = p.sensor.maxStepCPerMin;
  const jumpFromRef =
    s.refTsMs !== null && s.refTempC !== null && isJump(s.refTsMs, s.refTempC, r.tsMs, r.tempC, maxStep);
  const jumpFromValid =
    s.lastTsMs !== null && s.lastTempC !== null && isJump(s.lastTsMs, s.lastTempC, r.tsMs, r.tempC, maxStep);
  s.refTsMs = r.tsMs;
  s.refTempC = r.tempC;
  if (jumpFromRef && jumpFromValid) {
    // A spike breaks a flat stretch, as in `stuckStretches`.
    s.flat = null;
    pushFault(s, r, "jump", out);
    return;
  }
  // RULES.md §3: a raw value that has not changed at all for sensor.stuckMin is a stuck probe.
  // Live, it is known only once the stretch is that long; from then on the same value is a fault.
  const flat = s.flat ?? null;
  if (flat !== null && Object.is(flat.valueC, r.tempC)) {
    if (flat.stuck) {
      pushFault(s, r, "stuck", out);
      return;
    }
    if (r.tsMs - flat.sinceMs >= p.sensor.stuckMin * 60_000) {
      flat.stuck = true;
      pushFault(s, r, "stuck", out, flat.sinceMs);
      return;
    }
  } else {
    s.flat = { sinceMs: r.tsMs, valueC: r.tempC, stuck: false };
  }
  acceptReading(s, p, r.tsMs, r.tempC, out);
}

/** Confirms runs that have lasted long enough by `atMs` (used by both `tick` and `closeWindow`). */
function confirmOpenRuns(s: MachineState, p: RuleProfile, atMs: number, out: MachineEvent[]): void {
  // Time since the last reading counts if the air held there is beyond the line, or if the silence
  // is already a gap (unknown time counts, as in `advance`).
  const sinceMs = s.lastTsMs === null ? 0 : Math.max(0, atMs - s.lastTsMs);
  const silentGap = sinceMs > maxGapMs(s, p);
  const held = s.lastTempC;
  if (s.high !== null) {
    const pending = silentGap || (held !== null && held > p.high.aboveC) ? sinceMs : 0;
    confirmIfDue(s.high, "high", p.high.forMin, atMs, s, out, pending);
  }
  if (s.low !== null && p.low !== null) {
    const pending = silentGap || (held !== null && held < p.low.belowC) ? sinceMs : 0;
    confirmIfDue(s.low, "low", p.low.forMin, atMs, s, out, pending);
  }
}

/**
 * Live use: time has reached `nowMs` without further readings. Confirms runs that are now long
 * enough and reports an ongoing gap once. Does not advance the estimate or the accounts, so a
 * later reading is treated exactly as if no tick had happened.
 */
export function tick(s: MachineState, p: RuleProfile, nowMs: number, out: MachineEvent[]): void {
  confirmOpenRuns(s, p, nowMs, out);
  if (s.lastTsMs !== null && !s.gapReported && nowMs - s.lastTsMs > maxGapMs(s, p)) {
    s.gapReported = true;
    out.push({
      kind: "gap",
      fromMs: s.lastTsMs,
      toMs: null,
      milk: milkStateOf(s.milk),
      short: false,
      byFault: s.faultSinceValid === true,
    });
  }
}

/**
 * Batch use: the window ends at `endMs` (the batch left the unit, or now). Accounts for the time
 * after the last reading, confirms runs still open and reports them as open runs. Terminal.
 */
export function closeWindow(s: MachineState, p: RuleProfile, endMs: number, out: MachineEvent[]): void {
  const prevMs = s.lastTsMs ?? s.startMs;
  if (prevMs !== null && endMs > prevMs) {
    const isGap = s.lastTempC === null || endMs - prevMs > maxGapMs(s, p);
    if (isGap)
      out.push({
        kind: "gap",
        fromMs: prevMs,
        toMs: endMs,
        milk: milkStateOf(s.milk),
        short: false,
        byFault: s.faultSinceValid === true,
      });
    if (s.lastTempC === null) {
      s.acc.unknownMs += endMs - prevMs;
      if (s.milk.phase === "liquid") s.acc.liquidMs = (s.acc.liquidMs ?? 0) + endMs - prevMs;
      else s.acc.frozenMs = (s.acc.frozenMs ?? 0) + endMs - prevMs;
    } else advance(s, p, prevMs, endMs, s.lastTempC, isGap, out);
  }
  flushAbove(s, out);
  // Everything up to endMs is accounted for above, so nothing is pending.
  if (s.high !== null) confirmIfDue(s.high, "high", p.high.forMin, endMs, s, out);
  if (s.low !== null && p.low !== null) confirmIfDue(s.low, "low", p.low.forMin, endMs, s, out);
  for (const [rule, run] of [
    ["high", s.high],
    ["low", s.low],
  ] as const) {
    if (run !== null)
      out.push({
        kind: "run",
        rule,
        fromMs: run.startMs,
        toMs: endMs,
        open: true,
        confirmed: run.confirmed,
        peakC: run.peakC,
        aboveMs: aboveOf(run),
      });
  }
}
