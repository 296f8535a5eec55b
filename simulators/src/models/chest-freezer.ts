import { MIXED_FOOD } from "./phase-change.js";
import type { UnitModel } from "./unit-model.js";

const MIN = 60_000;

/**
 * A household chest freezer of about 200 L with manual defrost (no defrost cycles).
 *
 * Better insulated per litre than an upright and its cold air stays in when the lid opens, so
 * openings cause smaller spikes. Load masses are scaled to its volume; the full/half-full hold times
 * come out near USDA FSIS's 48 h / 24 h (RULES.md §3 [S]), slightly longer, as chest freezers are
 * commonly said to hold longer.
 */
export const chestFreezer: UnitModel = {
  id: "chest-freezer",
  kind: "freezer",
  description: "chest home freezer, ~200 L, manual defrost",
  airCapacityJPerK: 5000,
  wallUaWPerK: 0.55, // estimate: about 22 W at −18 °C
  doorOpenWPerK: 10, // estimate: cold air is heavier and stays in an open chest
  doorAjarWPerK: 1.5,
  thermostat: { setPointC: -19, bandC: 2, coolingW: 70, minOnMs: 5 * MIN, minOffMs: 5 * MIN },
  load: { material: MIXED_FOOD, fullMassKg: 80, fullAirWPerK: 4, initialC: -19 },
  milk: { massKg: 1.2, airWPerK: 0.25, loadContactWPerK: 0, initialC: -19 },
  ambientC: 21,
  sources: [
    "USDA FSIS / FoodSafety.gov: full freezer ~48 h, half-full ~24 h (RULES.md §3 [S])",
    "heat leak, capacities and conductances: estimates",
  ],
};
