import { MIXED_FOOD } from "./phase-change.js";
import type { UnitModel } from "./unit-model.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * A household upright frost-free freezer of about 250 L in a 21 °C room.
 *
 * Calibration: with the load of a full freezer (100 kg) and the door closed, a power cut brings the
 * milk to −1 °C after about 48 h, and a half-full one (50 kg) after about 24 h, the hold times of
 * USDA FSIS / FoodSafety.gov (RULES.md §3 [S]). The heat leak (0.7 W/K, about 27 W at −18 °C) is
 * an estimate consistent with the 200–300 kWh/year that such freezers use; the rest are estimates
 * chosen so that the behaviour matches common observation (see each line).
 */
export const uprightFreezer: UnitModel = {
  id: "upright-freezer",
  kind: "freezer",
  description: "upright frost-free home freezer, ~250 L",
  // 0.3 kg of air is only 300 J/K; liner, shelves, drawers and evaporator that follow the air within
  // minutes bring it to an estimated 6 kJ/K.
  airCapacityJPerK: 6000,
  wallUaWPerK: 0.7,
  // Cold air falls out of an upright's open door; an estimated 30 L/s exchange ≈ 40 W/K gives a
  // spike of several degrees for a 30 s opening.
  doorOpenWPerK: 40,
  // A door resting on its seal: the compressor can no longer hold −18 °C (estimate).
  doorAjarWPerK: 4,
  thermostat: {
    // Air cycles between −20 and −18 °C: the brief's band, inside CDC's ≤ −18 °C (RULES.md FZ-1).
    setPointC: -19,
    bandC: 2,
    coolingW: 90, // duty cycle about 35 % at 21 °C (estimate)
    minOnMs: 5 * MIN, // typical anti-short-cycle delay of household compressors (estimate)
    minOffMs: 5 * MIN,
  },
  // Frost-free freezers defrost a few times a day for 15–30 min; RULES.md §3 marks defrost warming
  // as [U], so these are estimates that keep air above −18 °C for well under the 30 min excursion limit.
  defrost: { everyMs: 12 * HOUR, durationMs: 15 * MIN, heaterW: 25 },
  load: { material: MIXED_FOOD, fullMassKg: 100, fullAirWPerK: 5, initialC: -19 },
  // About eight 150 mL bags stacked in a box on a shelf: 1.2 kg, time constant about 3 h frozen.
  milk: { massKg: 1.2, airWPerK: 0.25, loadContactWPerK: 0, initialC: -19 },
  ambientC: 21,
  sources: [
    "USDA FSIS / FoodSafety.gov, Keep Your Food Safe During Emergencies: full freezer ~48 h, half-full ~24 h (RULES.md §3 [S])",
    "CDC, Human Milk Storage Guidelines: freezer ≤ −18 °C (RULES.md FZ-1 [V])",
    "heat leak, capacities and conductances: estimates, calibrated to the USDA hold times",
  ],
};
