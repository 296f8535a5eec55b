/**
 * One walk over a batch's custody: each stay's readings through the unit state machine, once,
 * collected into a `History` that every rule in `table.ts` reads. No rule looks at readings.
 */
import type { Span } from "./cumulative.js";
import { prepareReadings } from "./prepare-readings.js";
import type { RuleProfile, TimeLimits } from "./profiles/types.js";
import { countSpacings, learnIntervalFromCounts, type SpacingCounts } from "./reporting-interval.js";
import { type FaultKind, faultOf, type ProbeTrouble, troubleOf } from "./sensor-fault.js";
import { stuckStretches } from "./stuck-probe.js";
import type {
  BatchInput,
  CustodyEndHow,
  CustodyInterval,
  MilkState,
  StayCheckpoint,
  TempSample,
  UnitKind,
} from "./types.js";
import {
  closeWindow,
  initMachine,
  type MachineAcc,
  type MachineEvent,
  type MachineState,
  milkStateOf,
  pushFault,
  pushReading,
  type RunRule,
} from "./unit-machine.js";

const MIN_MS = 60_000;

export interface RunRecord {
  rule: RunRule;
  fromMs: number;
  toMs: number;
  /** Still going at the end of the stay's window. */
  open: boolean;
  confirmed: boolean;
  peakC: number;
  /** Time beyond the line (or unknown) within the run: what counts toward `forMin`. */
  aboveMs: number;
  /** The milk when the run became an excursion (null if it never did). */
  milk: MilkState | null;
}

export interface GapRecord {
  fromMs: number;
  toMs: number;
  milk: MilkState;
  /** Silence before the first reading, shorter than a gap: unmonitored but not reported. */
  leading: boolean;
  /** Faulty readings arrived during it: the probe failed, and the sensor-fault reason says so. */
  byFault: boolean;
  /** Reaches the end of an open stay. */
  ongoing: boolean;
}

export interface FaultRecord {
  fault: FaultKind;
  trouble: ProbeTrouble;
  count: number;
  firstMs: number;
  lastMs: number;
  exampleC: number;
  /** No valid reading followed (the stay is open and the fault still stands). */
  ongoing: boolean;
}

/** One stay of the batch in one unit, walked. */
export interface Stay {
  index: number;
  unitId: string;
  unitKind: UnitKind;
  profile: RuleProfile;
  fromMs: number;
  endMs: number;
  /** The stay is still going (custody open). */
  open: boolean;
  expectedIntervalMs: number;
  /** True when `expectedIntervalMs` was learned from the readings. */
  intervalLearned: boolean;
  runs: RunRecord[];
  /** Monitored time with the air above `high.aboveC`. */
  aboveSpans: Span[];
  gaps: GapRecord[];
  faults: FaultRecord[];
  thawings: Span[];
  thaw: { atMs: number; by: "estimate" | "air"; startedMs: number | null } | null;
  refreezes: { atMs: number; thawedAtMs: number }[];
  acc: MachineAcc;
  milkAtStart: MilkState;
  milkAtEnd: MilkState;
  /** Last valid air reading, for "is it warm right now". */
  lastTempC: number | null;
}

export interface History {
  batch: BatchInput;
  nowMs: number;
  /** The moment the verdict describes: the custody end, or now. */
  asOfMs: number;
  /** Custody still running at nowMs (clocks run). */
  running: boolean;
  custodyEnd: { atMs: number; how: CustodyEndHow } | null;
  stays: Stay[];
  /** Holes between stays: the batch was out of monitored custody. */
  custodyGaps: { fromMs: number; toMs: number; checkAfterMin: number }[];
  /** The milk at the end. */
  milk: MachineState["milk"];
  state: MilkState;
  /** Softening that had not ended (neither thawed nor frozen again) at the end. */
  thawingOpen: { fromMs: number; unitKind: UnitKind } | null;
  /** When fresh milk first froze. */
  freshEndMs: number | null;
  everFrozen: boolean;
  limitsByPhase: { fresh: TimeLimits[]; frozen: TimeLimits[]; thawed: TimeLimits[] };
  /** Per stay: where a later walk can resume it (null: nowhere safe yet, or a learned interval). */
  checkpoints: (StayCheckpoint | null)[];
}

/** A resume checkpoint that does not fit the stay it was given for. */
export class ResumeMismatchError extends Error {
  override readonly name = "ResumeMismatchError";
}

/** What a stay's walk depends on besides its readings: a checkpoint is only valid for the same. */
function stayKey(iv: CustodyInterval, container: string, milk: MachineState["milk"]): string {
  return JSON.stringify([
    iv.unitId,
    iv.unitKind,
    iv.fromMs,
    iv.expectedIntervalMs,
    container,
    milk,
    iv.profile,
  ]);
}

/** The spacing counts of a checkpoint taken before `readings[stopAt]`. */
function headSpacings(resume: StayCheckpoint | null, readings: readonly TempSample[], stopAt: number) {
  const counts: SpacingCounts = new Map(resume?.spacings ?? []);
  countSpacings(counts, readings, 0, stopAt, resume?.throughMs ?? null);
  return [...counts];
}

/**
 * The index of the first valid reading of the last run of identical valid readings, when an earlier
 * valid reading differs from it; -1 otherwise. Walking stops there for a checkpoint: that run may
 * still grow into a stuck stretch, which would change how its first readings count.
 */
function lastRunStart(readings: readonly TempSample[], sensor: RuleProfile["sensor"]): number {
  let start = -1;
  let value: number | null = null;
  for (let i = readings.length - 1; i >= 0; i--) {
    const r = readings[i] as TempSample;
    if (faultOf(r.tempC, sensor) !== null) continue;
    if (value === null || Object.is(value, r.tempC)) {
      value = r.tempC;
      start = i;
    } else return start;
  }
  return -1;
}

function addOnce(list: TimeLimits[], limits: TimeLimits): void {
  if (!list.includes(limits)) list.push(limits);
}

function initialMilk(batch: BatchInput, firstFromMs: number): MachineState["milk"] {
  if (batch.initialState === "frozen")
    return { tempC: null, phase: "frozen", everThawed: false, thawedAtMs: null };
  if (batch.initialState === "thawed")
    return { tempC: null, phase: "liquid", everThawed: true, thawedAtMs: batch.thawedAtMs ?? firstFromMs };
  return { tempC: null, phase: "liquid", everThawed: false, thawedAtMs: null };
}

/** Walks merged, validated custody. `nowMs` ends an open last stay. */
export function walkCustody(batch: BatchInput, custody: readonly CustodyInterval[], nowMs: number): History {
  const first = custody[0] as CustodyInterval;
  const last = custody[custody.length - 1] as CustodyInterval;
  const custodyEnd = batch.custodyEnd ?? null;
  const asOfMs = custodyEnd?.atMs ?? last.toMs ?? nowMs;
  const container = batch.container ?? "bag";
  const h: History = {
    batch,
    nowMs,
    asOfMs,
    running: last.toMs === null,
    custodyEnd,
    stays: [],
    custodyGaps: [],
    milk: initialMilk(batch, first.fromMs),
    state: batch.initialState,
    thawingOpen: null,
    freshEndMs: null,
    everFrozen: batch.initialState !== "fresh",
    limitsByPhase: { fresh: [], frozen: [], thawed: [] },
    checkpoints: [],
  };

  let prev: Stay | null = null;
  for (const [index, iv] of custody.entries()) {
    const p = iv.profile;
    const endMs = iv.toMs ?? nowMs;
    const open = iv.toMs === null;
    if (prev !== null && iv.fromMs > prev.endMs)
      h.custodyGaps.push({
        fromMs: prev.endMs,
        toMs: iv.fromMs,
        checkAfterMin: Math.min(prev.profile.gap.checkAfterMin, p.gap.checkAfterMin),
      });
    const milkAtStart = milkStateOf(h.milk);
    const phase = milkAtStart === "fresh" ? "fresh" : milkAtStart === "thawed" ? "thawed" : "frozen";
    addOnce(h.limitsByPhase[phase], p.limits);

    const key = stayKey(iv, container, h.milk);
    const resume = iv.resume ?? null;
    if (resume !== null && resume.key !== key)
      throw new ResumeMismatchError(
        `the checkpoint of stay ${index} (unit ${iv.unitId}) was taken for other settings or another milk state on arrival`,
      );
    const newer = resume === null ? iv.readings : iv.readings.filter((r) => r.tsMs > resume.throughMs);
    const readings = prepareReadings(newer, iv.fromMs, endMs, open, p.sensor);
    // A learned interval is the median spacing of all the stay's readings: counted, so that a
    // resumed walk learns the same one (and cannot resume if the new readings change it).
    let spacings: SpacingCounts | null = null;
    let expectedIntervalMs = iv.expectedIntervalMs;
    if (expectedIntervalMs === null) {
      spacings = new Map(resume?.spacings ?? []);
      countSpacings(spacings, readings, 0, readings.length, resume?.throughMs ?? null);
      expectedIntervalMs = learnIntervalFromCounts(spacings);
      if (resume !== null && resume.state.expectedIntervalMs !== expectedIntervalMs)
        throw new ResumeMismatchError(
          `the reporting interval learned for stay ${index} (unit ${iv.unitId}) changed since its checkpoint`,
        );
    }
    const s: MachineState =
      resume !== null
        ? structuredClone(resume.state)
        : initMachine({
            expectedIntervalMs,
            tauMs: p.milkTauMin[container] * MIN_MS,
            startMs: iv.fromMs,
            milkPhase: h.milk.phase,
            everThawed: h.milk.everThawed,
            thawedAtMs: h.milk.thawedAtMs,
            milkC: h.milk.tempC,
          });
    const events: MachineEvent[] = resume === null ? [] : resume.events.slice();
    const stopAt = lastRunStart(readings, p.sensor);
    let checkpoint: StayCheckpoint | null = resume;
    // A stuck stretch is known in hindsight: the whole of it is a fault, from its first reading.
    const stuck = stuckStretches(readings, p.sensor);
    let k = 0;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i] as TempSample;
      if (i === stopAt)
        checkpoint = {
          v: 1,
          key,
          throughMs: (readings[i - 1] as TempSample).tsMs,
          state: structuredClone(s),
          events: events.slice(),
          ...(spacings !== null && { spacings: headSpacings(resume, readings, i) }),
        };
      while (k < stuck.length && (stuck[k]?.toMs as number) < r.tsMs) k++;
      const st = stuck[k];
      if (st !== undefined && r.tsMs >= st.fromMs && Object.is(r.tempC, st.valueC)) {
        pushFault(s, r, "stuck", events, st.fromMs);
        // The value was not seen working across the stretch: a flat count starts afresh after it.
        s.flat = null;
      } else pushReading(s, p, r, events);
    }
    closeWindow(s, p, endMs, events);

    const stay: Stay = {
      index,
      unitId: iv.unitId,
      unitKind: iv.unitKind,
      profile: p,
      fromMs: iv.fromMs,
      endMs,
      open,
      expectedIntervalMs,
      intervalLearned: iv.expectedIntervalMs === null,
      runs: [],
      aboveSpans: [],
      gaps: [],
      faults: [],
      thawings: [],
      thaw: null,
      refreezes: [],
      acc: s.acc,
      milkAtStart,
      milkAtEnd: milkStateOf(s.milk),
      lastTempC: s.lastTempC,
    };
    collect(h, stay, events, s, p);
    h.stays.push(stay);
    h.checkpoints.push(checkpoint);
    h.milk = s.milk;
    prev = stay;
  }
  h.state = milkStateOf(h.milk);
  return h;
}

function collect(h: History, stay: Stay, events: readonly MachineEvent[], s: MachineState, p: RuleProfile) {
  const milkAtConfirm = new Map<string, MilkState>();
  const faults = new Map<string, FaultRecord>();
  for (const e of events) {
    switch (e.kind) {
      case "excursion-started":
        milkAtConfirm.set(`${e.rule}:${e.fromMs}`, e.milk);
        break;
      case "run":
        stay.runs.push({
          rule: e.rule,
          fromMs: e.fromMs,
          toMs: e.toMs,
          open: e.open,
          confirmed: e.confirmed,
          peakC: e.peakC,
          aboveMs: e.aboveMs,
          milk: milkAtConfirm.get(`${e.rule}:${e.fromMs}`) ?? null,
        });
        break;
      case "above":
        stay.aboveSpans.push({ fromMs: e.fromMs, toMs: e.toMs });
        break;
      case "gap": {
        const toMs = e.toMs ?? stay.endMs;
        stay.gaps.push({
          fromMs: e.fromMs,
          toMs,
          milk: e.milk,
          leading: e.short,
          byFault: e.byFault,
          ongoing: toMs === stay.endMs && stay.open,
        });
        break;
      }
      case "sensor-fault": {
        const trouble = troubleOf(e.fault, e.tempC, p.sensor);
        const key = `${e.fault}:${trouble}`;
        const fromMs = e.fromMs ?? e.tsMs;
        const f = faults.get(key);
        if (f === undefined)
          faults.set(key, {
            fault: e.fault,
            trouble,
            count: 1,
            firstMs: fromMs,
            lastMs: e.tsMs,
            exampleC: e.tempC,
            ongoing: false,
          });
        else {
          f.count++;
          f.firstMs = Math.min(f.firstMs, fromMs);
          f.lastMs = e.tsMs;
        }
        break;
      }
      case "thawing":
        h.thawingOpen ??= { fromMs: e.atMs, unitKind: stay.unitKind };
        break;
      case "thawing-ended":
        stay.thawings.push({ fromMs: h.thawingOpen?.fromMs ?? e.atMs, toMs: e.atMs });
        h.thawingOpen = null;
        break;
      case "probable-thaw":
        stay.thaw = { atMs: e.atMs, by: e.by, startedMs: h.thawingOpen?.fromMs ?? null };
        h.thawingOpen = null;
        addOnce(h.limitsByPhase.thawed, p.limits);
        break;
      case "froze":
        addOnce(h.limitsByPhase.frozen, p.limits);
        if (e.refreeze) stay.refreezes.push({ atMs: e.atMs, thawedAtMs: s.milk.thawedAtMs ?? e.atMs });
        else {
          h.freshEndMs ??= e.atMs;
          h.everFrozen = true;
        }
        break;
      default:
        break;
    }
  }
  for (const f of faults.values()) {
    f.ongoing = stay.open && (s.lastTsMs === null || s.lastTsMs < f.lastMs);
    stay.faults.push(f);
  }
  stay.faults.sort((a, b) => a.firstMs - b.firstMs);
}
