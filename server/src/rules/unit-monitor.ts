/**
 * The live, incremental monitor of one unit, for ingest: push readings as they arrive, tick the
 * clock, get events to turn into alerts. It runs the same state machine as the batch verdict,
 * so on the same readings in order it finds the same excursions. Its state is plain JSON: save
 * `state()` and pass it to `createUnitMonitor` on another instance to take the unit over.
 */

import { prepareReadings } from "./prepare-readings.js";
import type { RuleProfile } from "./profiles/types.js";
import type { FaultKind } from "./sensor-fault.js";
import type { MilkState, TempSample } from "./types.js";
import {
  initMachine,
  type MachineEvent,
  type MachineState,
  type MilkPhase,
  milkStateOf,
  pushReading,
  type RunRule,
  tick,
} from "./unit-machine.js";

/** What a live monitor reports. */
export type MonitorEvent =
  | { kind: "excursion-started"; rule: RunRule; fromMs: number; atMs: number }
  | { kind: "excursion-ended"; rule: RunRule; fromMs: number; toMs: number; peakC: number }
  /** The milk the monitor assumes (profile.monitorMilk) probably thawed (RULES.md §4). */
  | { kind: "probable-thaw"; atMs: number; by: "estimate" | "air" }
  /** The estimate entered −2…−0.5 °C: the outside of the milk may be softening. */
  | { kind: "thawing"; atMs: number }
  /** Milk that had thawed froze again (RF-1). */
  | { kind: "refreeze"; atMs: number }
  /**
   * A faulty reading. fault "stuck": the same value for `sensor.stuckMin` or longer (RULES.md §3);
   * the first such event carries `fromMs`, when the flat value first appeared, and every later
   * identical reading is a fault too until the value changes.
   */
  | { kind: "sensor-fault"; tsMs: number; tempC: number; fault: FaultKind; fromMs?: number }
  /** Silence longer than the gap rule; toMs null while still silent (reported once, by `tick`). */
  | { kind: "gap"; fromMs: number; toMs: number | null }
  /** Readings at or before the watermark that differ from what was processed: recompute from the store. */
  | { kind: "late"; readings: TempSample[]; watermarkMs: number };

export interface UnitMonitorInit {
  /** How often the unit's probe reports. Default 60 000 ms. */
  expectedIntervalMs?: number;
  /** Start of monitoring: silence from here to the first reading counts as a gap. */
  startMs?: number | null;
  /** What the unit holds; default: the profile's `monitorMilk`. */
  milk?: "frozen" | "liquid";
}

export type UnitMonitorState = MachineState;

export interface UnitMonitor {
  readonly profile: RuleProfile;
  /** Readings in any order; returns the events they cause, in time order. */
  push(readings: readonly TempSample[]): MonitorEvent[];
  /** The clock reached nowMs: confirms excursions that are now long enough, reports silence. */
  tick(nowMs: number): MonitorEvent[];
  /** A JSON-serialisable snapshot to hand over to another instance. */
  state(): UnitMonitorState;
  /** The newest reading time processed, or null. */
  watermarkMs(): number | null;
  /** The milk the monitor currently assumes, by its estimate. */
  milk(): { state: MilkState; estimateC: number | null };
}

/** Design: a probe that reports once a minute, as the firmware does by default. */
const DEFAULT_EXPECTED_INTERVAL_MS = 60_000;

function isState(x: UnitMonitorInit | UnitMonitorState | undefined): x is UnitMonitorState {
  return x !== undefined && (x as UnitMonitorState).v === 1;
}

function publicEvents(events: readonly MachineEvent[]): MonitorEvent[] {
  const out: MonitorEvent[] = [];
  for (const e of events) {
    switch (e.kind) {
      case "excursion-started":
        out.push({ kind: e.kind, rule: e.rule, fromMs: e.fromMs, atMs: e.atMs });
        break;
      case "excursion-ended":
        out.push({ kind: e.kind, rule: e.rule, fromMs: e.fromMs, toMs: e.toMs, peakC: e.peakC });
        break;
      case "probable-thaw":
        out.push({ kind: e.kind, atMs: e.atMs, by: e.by });
        break;
      case "thawing":
        out.push({ kind: e.kind, atMs: e.atMs });
        break;
      case "froze":
        if (e.refreeze) out.push({ kind: "refreeze", atMs: e.atMs });
        break;
      case "sensor-fault":
        out.push({
          kind: e.kind,
          tsMs: e.tsMs,
          tempC: e.tempC,
          fault: e.fault,
          ...(e.fromMs === undefined ? {} : { fromMs: e.fromMs }),
        });
        break;
      case "gap":
        if (!e.short) out.push({ kind: e.kind, fromMs: e.fromMs, toMs: e.toMs });
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * States saved before runs counted time above the line: an open run's time so far counts as
 * above (what the old state meant), so a saved excursion is not delayed by the upgrade.
 */
function upgrade(s: MachineState): MachineState {
  const since = s.lastTsMs ?? s.startMs;
  for (const run of [s.high, s.low, s.floor])
    if (run !== null && run.aboveMs === undefined)
      run.aboveMs = Math.max(0, (since ?? run.startMs) - run.startMs);
  return s;
}

export function createUnitMonitor(
  profile: RuleProfile,
  initial?: UnitMonitorInit | UnitMonitorState,
): UnitMonitor {
  let s: MachineState;
  if (isState(initial)) {
    s = upgrade(structuredClone(initial));
  } else {
    const milk: MilkPhase = (initial?.milk ?? profile.monitorMilk) === "frozen" ? "frozen" : "liquid";
    s = initMachine({
      expectedIntervalMs: initial?.expectedIntervalMs ?? DEFAULT_EXPECTED_INTERVAL_MS,
      tauMs: profile.milkTauMin.bag * 60_000,
      startMs: initial?.startMs ?? null,
      milkPhase: milk,
    });
  }

  return {
    profile,
    push(readings) {
      const sorted = prepareReadings(
        readings,
        Number.NEGATIVE_INFINITY,
        Number.POSITIVE_INFINITY,
        true,
        profile.sensor,
      );
      const events: MachineEvent[] = [];
      const late: TempSample[] = [];
      for (const r of sorted) {
        if (s.watermarkMs !== null && r.tsMs <= s.watermarkMs) {
          // The same reading again (a QoS 1 redelivery) changes nothing.
          if (!(r.tsMs === s.watermarkMs && Object.is(r.tempC, s.watermarkTempC))) late.push(r);
          continue;
        }
        pushReading(s, profile, r, events);
      }
      const out = publicEvents(events);
      if (late.length > 0) out.push({ kind: "late", readings: late, watermarkMs: s.watermarkMs as number });
      return out;
    },
    tick(nowMs) {
      const events: MachineEvent[] = [];
      tick(s, profile, nowMs, events);
      return publicEvents(events);
    },
    state: () => structuredClone(s),
    watermarkMs: () => s.watermarkMs,
    milk: () => ({
      state: milkStateOf(s.milk),
      estimateC: s.milk.tempC,
    }),
  };
}
