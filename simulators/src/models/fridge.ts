import { MIXED_FOOD } from "./phase-change.js";
import type { UnitModel } from "./unit-model.js";

const MIN = 60_000;

/**
 * A household fridge of about 300 L. Air cycles between about 1.5 and 4.5 °C around a 3 °C set
 * point (brief excursions above 4 °C last minutes, far below the 30 min of the fridge profile); the
 * milk, a bottle at the back, averages about 3.3 °C, inside CDC's ≤ 4 °C (RULES.md FR-1 [V]).
 * Calibration: in a power cut with the door closed the milk passes 4.4 °C (40 °F) after about 4 h,
 * USDA FSIS's figure for a fridge (RULES.md §3 [S]). Off-cycle (passive) defrost, no heater.
 */
export const fridge: UnitModel = {
  id: "fridge",
  kind: "fridge",
  description: "household fridge, ~300 L",
  airCapacityJPerK: 5000,
  wallUaWPerK: 0.9, // estimate: about 16 W at 3.5 °C in a 21 °C room
  doorOpenWPerK: 40,
  doorAjarWPerK: 2.5,
  thermostat: { setPointC: 3, bandC: 3, coolingW: 60, minOnMs: 5 * MIN, minOffMs: 5 * MIN },
  load: { material: MIXED_FOOD, fullMassKg: 50, fullAirWPerK: 10, initialC: 3 },
  milk: { massKg: 1.0, airWPerK: 0.2, loadContactWPerK: 0, initialC: 3 },
  ambientC: 21,
  sources: [
    "USDA FSIS / FoodSafety.gov: a fridge keeps food cold about 4 h in a power cut (RULES.md §3 [S])",
    "CDC, Human Milk Storage Guidelines: fridge ≤ 4 °C (RULES.md FR-1 [V])",
    "heat leak, capacities and conductances: estimates",
  ],
};
