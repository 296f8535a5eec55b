/**
 * One unit's readings over one window, run through the state machine in one go: the batch
 * counterpart of `createUnitMonitor`, built on the same machine.
 */

import { prepareReadings } from "./prepare-readings.js";
import type { RuleProfile } from "./profiles/types.js";
import type { TempSample } from "./types.js";
import {
  closeWindow,
  initMachine,
  type MachineEvent,
  type MachineInit,
  type MachineState,
  pushReading,
  type RunRule,
} from "./unit-machine.js";

export interface Excursion {
  /** "high": warmer than the profile's limit; "low": a fridge below 0 °C. */
  rule: RunRule;
  fromMs: number;
  /** null while it is still going on. */
  toMs: number | null;
}

export interface UnitWindow {
  fromMs: number;
  /** The window ends here (the batch left, or now). */
  endMs: number;
  /** True when endMs is "now": a reading at exactly endMs still counts. */
  open: boolean;
  expectedIntervalMs: number;
  /** Milk model settings; defaults: the profile's `monitorMilk`, the bag time constant. */
  milk?: Partial<Omit<MachineInit, "expectedIntervalMs" | "startMs">>;
}

export interface UnitAnalysis {
  events: MachineEvent[];
  state: MachineState;
}

export function analyseUnit(
  profile: RuleProfile,
  readings: readonly TempSample[],
  w: UnitWindow,
): UnitAnalysis {
  const state = initMachine({
    expectedIntervalMs: w.expectedIntervalMs,
    tauMs: w.milk?.tauMs ?? profile.milkTauMin.bag * 60_000,
    startMs: w.fromMs,
    milkPhase: w.milk?.milkPhase ?? (profile.monitorMilk === "frozen" ? "frozen" : "liquid"),
    everThawed: w.milk?.everThawed ?? false,
    thawedAtMs: w.milk?.thawedAtMs ?? null,
    milkC: w.milk?.milkC ?? null,
  });
  const events: MachineEvent[] = [];
  for (const r of prepareReadings(readings, w.fromMs, w.endMs, w.open, profile.sensor))
    pushReading(state, profile, r, events);
  closeWindow(state, profile, w.endMs, events);
  return { events, state };
}

/** The excursions among events, in start order; from a batch run or a live monitor alike. */
export function excursionsOf(events: readonly { kind: string }[]): Excursion[] {
  const byKey = new Map<string, Excursion>();
  for (const e of events as MachineEvent[]) {
    if (e.kind === "excursion-started")
      byKey.set(`${e.rule}:${e.fromMs}`, { rule: e.rule, fromMs: e.fromMs, toMs: null });
    else if (e.kind === "excursion-ended") {
      const x = byKey.get(`${e.rule}:${e.fromMs}`);
      if (x !== undefined) x.toMs = e.toMs;
    }
  }
  return [...byKey.values()].sort((a, b) => a.fromMs - b.fromMs || a.rule.localeCompare(b.rule));
}
