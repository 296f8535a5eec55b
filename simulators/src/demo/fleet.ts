import type { UnitKindName } from "../api/registration.js";
import { UNIT_MODELS, type UnitModelId } from "../models/registry.js";
import { createUnitState, step, type UnitOptions, type UnitState } from "../models/step.js";
import { nextUniform } from "../prng.js";

/**
 * The demo's mix of units, in order: an upright freezer whose door is opened now and then, a chest
 * freezer, a fridge and a cool bag with chilled milk and ice packs; more probes repeat the mix.
 * Pure: a unit's door schedule comes from its own seeded generator.
 */
export interface FleetSpec {
  model: UnitModelId;
  kind: UnitKindName;
  label: string;
  options: UnitOptions;
  /** Mean time between door openings (a Poisson process), and their length range. */
  doors?: { meanEveryMs: number; minS: number; maxS: number };
  /** The probe's battery at the start: the cool bag's probe is nearly flat, to show that alert. */
  batteryPct: number;
}

const MIN = 60_000;

export const FLEET_MIX: readonly FleetSpec[] = [
  {
    model: "upright-freezer",
    kind: "freezer",
    label: "upright freezer",
    options: {},
    doors: { meanEveryMs: 20 * MIN, minS: 10, maxS: 45 },
    batteryPct: 96,
  },
  {
    model: "chest-freezer",
    kind: "freezer",
    label: "chest freezer",
    options: { loadFraction: 0.5 },
    batteryPct: 81,
  },
  {
    model: "fridge",
    kind: "fridge",
    label: "fridge",
    options: {},
    doors: { meanEveryMs: 45 * MIN, minS: 5, maxS: 20 },
    batteryPct: 64,
  },
  { model: "cool-bag", kind: "cool-bag", label: "cool bag", options: { milkC: 4, airC: 21 }, batteryPct: 18 },
];

export function fleetSpecFor(index: number): FleetSpec {
  return FLEET_MIX[index % FLEET_MIX.length]!;
}

export function fleetSpecForModel(model: UnitModelId): FleetSpec {
  return FLEET_MIX.find((f) => f.model === model) ?? fleetSpecFor(0);
}

export interface FleetUnit {
  spec: FleetSpec;
  state: UnitState;
  /** Model time of the next door opening. */
  nextDoorMs: number;
  rng: number;
}

export function createFleetUnit(spec: FleetSpec, seed: number, warmUpMs: number): FleetUnit {
  const base = createUnitState(UNIT_MODELS[spec.model], spec.options);
  // Appliances have been running; a warm-up of seeded length puts each compressor at its own phase.
  const state = UNIT_MODELS[spec.model].thermostat ? step(base, warmUpMs) : base;
  const u: FleetUnit = { spec, state, nextDoorMs: Number.POSITIVE_INFINITY, rng: seed >>> 0 };
  return scheduleDoor(u);
}

/** Advances the unit by `dtMs`, opening its door whenever the schedule says so. */
export function advanceFleetUnit(unit: FleetUnit, dtMs: number): FleetUnit {
  let u = unit;
  const endMs = u.state.tMs + dtMs;
  while (u.nextDoorMs <= endMs) {
    const d = u.spec.doors!;
    const draw = nextUniform(u.rng);
    const durationMs = Math.round((d.minS + (d.maxS - d.minS) * draw.value) * 1000);
    const state = step(step(u.state, u.nextDoorMs - u.state.tMs), 0, [{ kind: "door-open", durationMs }]);
    u = scheduleDoor({ ...u, state, rng: draw.state });
  }
  return { ...u, state: step(u.state, endMs - u.state.tMs) };
}

function scheduleDoor(u: FleetUnit): FleetUnit {
  if (!u.spec.doors) return u;
  const draw = nextUniform(u.rng);
  const waitMs = Math.max(60_000, Math.round(-u.spec.doors.meanEveryMs * Math.log(1 - draw.value)));
  return { ...u, nextDoorMs: u.state.tMs + waitMs, rng: draw.state };
}
