import type { Material } from "./phase-change.js";

/** The unit kinds of DESIGN.md's domain model; each has a default rule profile on the server. */
export type UnitKind = "freezer" | "fridge" | "cool-bag";

/** On/off compressor control around a set point, as in a household mechanical or electronic thermostat. */
export interface Thermostat {
  setPointC: number;
  /** Hysteresis: the compressor starts above setPoint + band/2 and stops below setPoint − band/2. */
  bandC: number;
  /** Heat the running compressor removes from the cabinet air, W. */
  coolingW: number;
  /** Anti-short-cycle protection: the compressor runs and rests at least this long. */
  minOnMs: number;
  minOffMs: number;
}

/** Automatic defrost of a frost-free (no-frost) freezer: compressor off, heater on the evaporator. */
export interface DefrostCycle {
  /** Powered time between defrosts. */
  everyMs: number;
  durationMs: number;
  /** Share of the heater's power that reaches the cabinet air (most of it melts frost), W. */
  heaterW: number;
}

/**
 * A unit as a lumped thermal network: cabinet air (with the liner and shelves that follow it within
 * minutes), the bulk load (other food, or ice packs), and the monitored milk. The air exchanges heat
 * with the room through the walls and, when open, through the door; the load and the milk exchange
 * heat with the air (and with each other where packed in contact).
 */
export interface UnitModel {
  id: string;
  kind: UnitKind;
  description: string;
  airCapacityJPerK: number;
  /** Insulation conductance room ↔ cabinet air, W/K. */
  wallUaWPerK: number;
  /** Air exchange with the room while the door is wide open, W/K. */
  doorOpenWPerK: number;
  /** Air exchange through a door left ajar (seal not closed), W/K. */
  doorAjarWPerK: number;
  thermostat?: Thermostat;
  defrost?: DefrostCycle;
  load: {
    material: Material;
    /** Mass of the load when the unit is full (loadFraction 1). */
    fullMassKg: number;
    /** Load ↔ air conductance when full; scales with the load fraction (less surface when emptier). */
    fullAirWPerK: number;
    initialC: number;
  };
  milk: {
    massKg: number;
    airWPerK: number;
    /** Conduction where milk touches the load (cool bag: bags packed against ice packs), W/K. */
    loadContactWPerK: number;
    initialC: number;
  };
  ambientC: number;
  /** Where the numbers come from; estimates are marked as such. */
  sources: readonly string[];
}
