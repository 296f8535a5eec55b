/**
 * Advertisements from thermometers in one simulated unit, driven by the thermal model: each sensor
 * reports the unit's air temperature (BLE thermometers sit in the cabinet air, like the ESP32 probe).
 * A pure generator in simulated time; `ble-source.ts` paces it for the gateway.
 */
import type { UnitEvent } from "../models/events.js";
import { findUnitModel } from "../models/registry.js";
import { createUnitState, step, type UnitOptions, type UnitState } from "../models/step.js";
import type { UnitModel } from "../models/unit-model.js";
import {
  advertise,
  type BleThermometerConfig,
  type BleThermometerState,
  createBleThermometer,
  type SimulatedAdvert,
} from "./ble-thermometer.js";

export interface BleRunEvent {
  /** Time from the start, ms. */
  afterMs: number;
  event: UnitEvent;
}

export interface BleRun {
  /** A unit model id (`upright-freezer`, …) or a model. */
  unit: string | UnitModel;
  unitOptions?: UnitOptions;
  /** True time of the first advertisement (unix ms). */
  startMs: number;
  durationMs: number;
  sensors: readonly BleThermometerConfig[];
  events?: readonly BleRunEvent[];
}

export interface BleRunStats {
  adverts: number;
  /** Values the format could not carry (the sensor stays silent then). */
  unencodable: number;
}

export function resolveUnit(unit: string | UnitModel): UnitModel {
  if (typeof unit !== "string") return unit;
  const found = findUnitModel(unit);
  if (!found.ok) throw new RangeError(found.reason);
  return found.model;
}

/** Yields every advertisement in time order; `stats` is updated as it goes. */
export function* bleAdverts(
  run: BleRun,
  stats: BleRunStats = { adverts: 0, unencodable: 0 },
): Generator<SimulatedAdvert> {
  let unit: UnitState = createUnitState(resolveUnit(run.unit), run.unitOptions);
  const sensors: BleThermometerState[] = run.sensors.map((c) => createBleThermometer(c));
  // Stagger the sensors over their interval so they do not all speak at the same millisecond.
  const nextAt = sensors.map((s, i) =>
    Math.round((s.config.advertiseEveryMs * i) / Math.max(1, sensors.length)),
  );
  const events = [...(run.events ?? [])].sort((a, b) => a.afterMs - b.afterMs);
  let ev = 0;
  for (;;) {
    let i = 0;
    for (let k = 1; k < nextAt.length; k++) if ((nextAt[k] as number) < (nextAt[i] as number)) i = k;
    const t = nextAt[i];
    if (t === undefined || t > run.durationMs) return;
    const due: UnitEvent[] = [];
    while (ev < events.length && (events[ev] as BleRunEvent).afterMs <= t)
      due.push((events[ev++] as BleRunEvent).event);
    unit = step(unit, t - unit.tMs, due);
    const r = advertise(sensors[i] as BleThermometerState, run.startMs + t, unit.airC);
    sensors[i] = r.state;
    nextAt[i] = t + r.state.config.advertiseEveryMs;
    if (!r.ok) {
      stats.unencodable++;
      continue;
    }
    stats.adverts++;
    yield r.advert;
  }
}
