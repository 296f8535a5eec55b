import type { UnitEvent } from "./events.js";
import { HUMAN_MILK, type Mass, massAt, temperatureOf } from "./phase-change.js";
import type { UnitModel } from "./unit-model.js";

/**
 * The state of one simulated unit. Plain data: `step` returns a new one and never mutates its input.
 * `airC`, `loadC` and `milkC` are derived from the masses and kept for readers (NaN when absent).
 */
export interface UnitState {
  readonly model: UnitModel;
  /** Simulated time since the start, ms. */
  tMs: number;
  airC: number;
  loadC: number;
  milkC: number;
  load: Mass | null;
  milk: Mass | null;
  loadAirWPerK: number;
  ambientC: number;
  powered: boolean;
  compressorOn: boolean;
  compressorChangedMs: number;
  /** The door is wide open while tMs < this. */
  doorOpenUntilMs: number;
  ajar: boolean;
  /** Powered time since the last defrost. */
  defrostRunMs: number;
  /** The defrost heater runs while tMs < this. */
  defrostUntilMs: number;
}

export interface UnitOptions {
  /** 1 = full (the USDA "full freezer"), 0.5 = half full, 0 = empty (cool bag: no ice packs). */
  loadFraction?: number;
  /** Start temperature of the milk; omit for the model's default, `null` for a unit without milk. */
  milkC?: number | null;
  /** Mass of the monitored milk; default: the model's. */
  milkKg?: number;
  /** At exactly the freezing point, how much of the milk is melted (0..1). */
  milkLiquidFraction?: number;
  loadC?: number;
  airC?: number;
  ambientC?: number;
}

/**
 * Internal integration step. Air is advanced with the exact exponential solution for fixed
 * neighbour temperatures (stable however small its capacity); load and milk with explicit Euler on
 * enthalpy, whose time constants (hours) are far longer than this.
 */
const MAX_SUBSTEP_MS = 5_000;

export function createUnitState(model: UnitModel, options: UnitOptions = {}): UnitState {
  const loadFraction = Math.max(0, options.loadFraction ?? 1);
  const loadKg = model.load.fullMassKg * loadFraction;
  const load = loadKg > 0 ? massAt(model.load.material, loadKg, options.loadC ?? model.load.initialC) : null;
  const milkC = options.milkC === undefined ? model.milk.initialC : options.milkC;
  const milkKg = options.milkKg ?? model.milk.massKg;
  const milk =
    milkC === null || milkKg <= 0 ? null : massAt(HUMAN_MILK, milkKg, milkC, options.milkLiquidFraction ?? 0);
  const airC = options.airC ?? model.thermostat?.setPointC ?? load?.material.freezingPointC ?? model.ambientC;
  return withDerived({
    model,
    tMs: 0,
    airC,
    loadC: Number.NaN,
    milkC: Number.NaN,
    load,
    milk,
    loadAirWPerK: model.load.fullAirWPerK * loadFraction,
    ambientC: options.ambientC ?? model.ambientC,
    powered: true,
    compressorOn: false,
    compressorChangedMs: -Number.MAX_SAFE_INTEGER / 2,
    doorOpenUntilMs: 0,
    ajar: false,
    defrostRunMs: 0,
    defrostUntilMs: 0,
  });
}

/** Advances a unit by `dtMs` after applying `events` at its current time. Pure. */
export function step(state: UnitState, dtMs: number, events: readonly UnitEvent[] = []): UnitState {
  if (!(dtMs >= 0)) throw new RangeError(`step: dtMs must be a number ≥ 0, got ${dtMs}`);
  const s = copy(state);
  for (const e of events) applyEvent(s, e);
  let remaining = dtMs;
  while (remaining > 0) {
    let h = Math.min(MAX_SUBSTEP_MS, remaining);
    // End substeps exactly where the door closes or the defrost heater stops.
    if (s.doorOpenUntilMs > s.tMs) h = Math.min(h, s.doorOpenUntilMs - s.tMs);
    if (s.defrostUntilMs > s.tMs) h = Math.min(h, s.defrostUntilMs - s.tMs);
    integrate(s, h);
    remaining -= h;
  }
  return withDerived(s);
}

function applyEvent(s: UnitState, e: UnitEvent): void {
  switch (e.kind) {
    case "door-open":
      s.doorOpenUntilMs = Math.max(s.doorOpenUntilMs, s.tMs + Math.max(0, e.durationMs));
      return;
    case "door-ajar":
      s.ajar = true;
      return;
    case "door-close":
      s.ajar = false;
      s.doorOpenUntilMs = Math.min(s.doorOpenUntilMs, s.tMs);
      return;
    case "power-cut":
      s.powered = false;
      return;
    case "power-restore":
      s.powered = true;
      return;
    case "defrost":
      if (s.model.defrost && s.powered) startDefrost(s);
      return;
    case "ambient":
      s.ambientC = e.tempC;
      return;
    case "milk-in":
      s.milk = { ...e.milk };
      return;
    case "milk-out":
      s.milk = null;
      return;
  }
}

function startDefrost(s: UnitState): void {
  const d = s.model.defrost;
  if (!d) return;
  s.defrostUntilMs = s.tMs + d.durationMs;
  s.defrostRunMs = 0;
  setCompressor(s, false);
}

function setCompressor(s: UnitState, on: boolean): void {
  if (s.compressorOn !== on) {
    s.compressorOn = on;
    s.compressorChangedMs = s.tMs;
  }
}

/** Thermostat and defrost timer, evaluated at the start of each substep (≤ 5 s). */
function control(s: UnitState): void {
  const m = s.model;
  if (!s.powered) {
    setCompressor(s, false);
    s.defrostUntilMs = Math.min(s.defrostUntilMs, s.tMs);
    return;
  }
  if (s.defrostUntilMs > s.tMs) return;
  if (m.defrost && s.defrostRunMs >= m.defrost.everyMs) {
    startDefrost(s);
    return;
  }
  const t = m.thermostat;
  if (!t) return;
  const sinceMs = s.tMs - s.compressorChangedMs;
  if (s.compressorOn && s.airC < t.setPointC - t.bandC / 2 && sinceMs >= t.minOnMs) setCompressor(s, false);
  else if (!s.compressorOn && s.airC > t.setPointC + t.bandC / 2 && sinceMs >= t.minOffMs)
    setCompressor(s, true);
}

function integrate(s: UnitState, hMs: number): void {
  control(s);
  const m = s.model;
  const h = hMs / 1000;
  const loadC = s.load ? temperatureOf(s.load) : 0;
  const milkC = s.milk ? temperatureOf(s.milk) : 0;
  const gLoad = s.load ? s.loadAirWPerK : 0;
  const gMilk = s.milk ? m.milk.airWPerK : 0;
  const gContact = s.load && s.milk ? m.milk.loadContactWPerK : 0;
  const doorOpen = s.doorOpenUntilMs > s.tMs;
  const gRoom = m.wallUaWPerK + (doorOpen ? m.doorOpenWPerK : s.ajar ? m.doorAjarWPerK : 0);
  const heaterW = s.defrostUntilMs > s.tMs && m.defrost ? m.defrost.heaterW : 0;
  const coolingW = s.compressorOn && m.thermostat ? m.thermostat.coolingW : 0;

  const gSum = gRoom + gLoad + gMilk;
  const airEqC = (gRoom * s.ambientC + gLoad * loadC + gMilk * milkC + heaterW - coolingW) / gSum;
  const x = (h * gSum) / m.airCapacityJPerK;
  const decay = Math.exp(-x);
  const airStart = s.airC;
  s.airC = airEqC + (airStart - airEqC) * decay;
  // The mean air temperature over the substep, so the heat the masses receive matches the air's loss.
  const airMeanC = x > 1e-12 ? airEqC + ((airStart - airEqC) * (1 - decay)) / x : airStart;

  if (s.load) {
    const q = gLoad * (airMeanC - loadC) + gContact * (milkC - loadC);
    s.load = { ...s.load, enthalpyJ: s.load.enthalpyJ + q * h };
  }
  if (s.milk) {
    const q = gMilk * (airMeanC - milkC) + gContact * (loadC - milkC);
    s.milk = { ...s.milk, enthalpyJ: s.milk.enthalpyJ + q * h };
  }
  const defrosting = s.defrostUntilMs > s.tMs;
  s.tMs += hMs;
  if (s.powered && !defrosting) s.defrostRunMs += hMs;
}

function copy(s: UnitState): UnitState {
  return {
    ...s,
    load: s.load ? { ...s.load } : null,
    milk: s.milk ? { ...s.milk } : null,
  };
}

function withDerived(s: UnitState): UnitState {
  s.loadC = s.load ? temperatureOf(s.load) : Number.NaN;
  s.milkC = s.milk ? temperatureOf(s.milk) : Number.NaN;
  return s;
}
