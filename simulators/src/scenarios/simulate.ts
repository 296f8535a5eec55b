import {
  createProbeDevice,
  type DeviceMessage,
  flushProbe,
  type ProbeDeviceState,
  sampleProbe,
  setProbeOnline,
} from "../devices/probe-device.js";
import type { UnitEvent } from "../models/events.js";
import { UNIT_MODELS, type UnitModelId } from "../models/registry.js";
import { createUnitState, step, type UnitState } from "../models/step.js";
import { nextUniform } from "../prng.js";
import type { Scenario, ScenarioEvent } from "./scenario.js";

const MIN = 60_000;
/** Units run this long before the scenario starts, so compressor cycles are established. */
const WARM_UP_MS = 6 * 60 * MIN;

export interface TraceSample {
  unit: string;
  tMs: number;
  airC: number;
  milkC: number;
}

export interface SimulationResult {
  startMs: number;
  endMs: number;
  /** Every message the probes send, in the order they send them. */
  messages: DeviceMessage[];
  /** The true air and milk temperatures at each probe sample (times are absolute ms). */
  trace: TraceSample[];
  /** Readings lost to full device buffers, per probe. */
  dropped: Record<string, number>;
}

/** A per-probe seed derived from the scenario seed, so adding a probe does not change the others. */
export function deriveSeed(seed: number, index: number): number {
  let s = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < 3; i++) s = nextUniform(s).state;
  return Math.floor(nextUniform(s).value * 0xffff_ffff) >>> 0;
}

/** Where a scenario starts: its `start`, or so that it ends at `nowMs`. */
export function scenarioStartMs(s: Scenario, nowMs: number): number {
  return s.start ? Date.parse(s.start) : nowMs - Math.ceil(s.durationH * 60 * MIN) - MIN;
}

type Due = { atMs: number; order: number; event: ScenarioEvent };

/** Runs a scenario in simulated time. Pure: the same scenario and start give the same messages. */
export function simulateScenario(s: Scenario, startMs: number): SimulationResult {
  const endMs = Math.round(s.durationH * 60 * MIN);
  const units = new Map<string, UnitState>();
  for (const u of s.units) {
    const model = UNIT_MODELS[u.model as UnitModelId];
    const state = createUnitState(model, {
      ...(u.loadFraction !== undefined && { loadFraction: u.loadFraction }),
      ...(u.milkC !== undefined && { milkC: u.milkC }),
      ...(u.milkKg !== undefined && { milkKg: u.milkKg }),
      ...(u.ambientC !== undefined && { ambientC: u.ambientC }),
    });
    // A cool bag is packed at the start; appliances have been running for a while.
    units.set(u.id, model.thermostat ? step(state, WARM_UP_MS) : state);
  }

  const devices = new Map<string, ProbeDeviceState>();
  const nextSample = new Map<string, number>();
  for (const [i, p] of s.probes.entries()) {
    const seed = deriveSeed(s.seed, i);
    devices.set(
      p.id,
      createProbeDevice({ probeId: p.id, intervalMs: p.intervalS * 1000, seed, ...p.device }, startMs),
    );
    // Probes wake at their own phase within the first interval, as real ones do.
    nextSample.set(p.id, Math.floor(nextUniform(seed).value * p.intervalS) * 1000);
  }

  const due: Due[] = s.events.map((event, order) => ({ atMs: Math.round(event.atMin * MIN), order, event }));
  for (const e of s.events) {
    if (e.kind === "wifi-loss" && e.durationMin !== undefined) {
      const atMs = Math.round((e.atMin + e.durationMin) * MIN);
      if (atMs <= endMs)
        due.push({
          atMs,
          order: due.length,
          event: { atMin: atMs / MIN, kind: "wifi-restore", probe: e.probe },
        });
    }
  }
  due.sort((a, b) => a.atMs - b.atMs || a.order - b.order);

  const messages: DeviceMessage[] = [];
  const trace: TraceSample[] = [];
  let tMs = 0;
  let di = 0;
  for (;;) {
    let next = endMs + 1;
    if (di < due.length) next = Math.min(next, due[di]!.atMs);
    for (const t of nextSample.values()) next = Math.min(next, t);
    if (next > endMs) break;

    for (const [id, st] of units) units.set(id, step(st, next - tMs));
    tMs = next;

    while (di < due.length && due[di]!.atMs === tMs) {
      applyScenarioEvent(due[di]!.event, units, devices, startMs + tMs, messages);
      di++;
    }
    for (const p of s.probes) {
      if (nextSample.get(p.id) !== tMs) continue;
      const unit = units.get(p.unit)!;
      const out = sampleProbe(devices.get(p.id)!, startMs + tMs, unit.airC);
      devices.set(p.id, out.state);
      messages.push(...out.messages);
      trace.push({ unit: p.unit, tMs: startMs + tMs, airC: unit.airC, milkC: unit.milkC });
      nextSample.set(p.id, tMs + p.intervalS * 1000);
    }
  }
  const dropped: Record<string, number> = {};
  for (const [id, d] of devices) {
    const out = flushProbe(d, startMs + Math.min(tMs, endMs));
    messages.push(...out.messages);
    dropped[id] = out.state.dropped;
  }
  return { startMs, endMs: startMs + endMs, messages, trace, dropped };
}

function applyScenarioEvent(
  e: ScenarioEvent,
  units: Map<string, UnitState>,
  devices: Map<string, ProbeDeviceState>,
  nowMs: number,
  messages: DeviceMessage[],
): void {
  const apply = (id: string, ev: UnitEvent) => units.set(id, step(units.get(id)!, 0, [ev]));
  switch (e.kind) {
    case "door-open":
      apply(e.unit, { kind: "door-open", durationMs: e.durationS * 1000 });
      return;
    case "ambient":
      apply(e.unit, { kind: "ambient", tempC: e.tempC });
      return;
    case "move": {
      const milk = units.get(e.unit)!.milk;
      apply(e.unit, { kind: "milk-out" });
      if (milk) apply(e.to, { kind: "milk-in", milk });
      return;
    }
    case "wifi-loss":
    case "wifi-restore": {
      const out = setProbeOnline(devices.get(e.probe)!, e.kind === "wifi-restore", nowMs);
      devices.set(e.probe, out.state);
      messages.push(...out.messages);
      return;
    }
    default:
      apply(e.unit, { kind: e.kind });
  }
}
