import { conservativeLimits } from "./limits-conservative.js";
import { milkTauMin, roomInFridgeOrFreezer, thawRule } from "./milk-physics.js";
import { coverageRule, excursionClearAfterMin, gapRule } from "./monitoring.js";
import { ds18b20Limits } from "./sensor-limits.js";
import type { RuleProfile } from "./types.js";

/** A household freezer holding frozen donated milk. */
export const homeFreezer: RuleProfile = {
  id: "home-freezer",
  kind: "freezer",
  label: "Home freezer",
  // §3 and FZ-1: ≤ −18 °C (0 °F), CDC [V], NICE information for the public [V].
  safe: { minC: null, maxC: -18, frozenMaxC: -18 },
  high: {
    rule: "§3",
    aboveC: -18, // §3 / FZ-1: home freezer ≤ −18 °C
    // Design: 0.5 °C hysteresis, so a reading wobbling around −18 °C (DS18B20 steps of 0.0625 °C,
    // ±0.5 °C accuracy) keeps one excursion open instead of opening and closing many.
    clearC: -18.5,
    forMin: 30, // §3 design default: above −18 °C for more than 30 min continuous → check
    clearAfterMin: excursionClearAfterMin,
  },
  low: null,
  cumulative: {
    windowH: 24, // §3 design default: … or more than 2 h cumulative in 24 h → check
    maxMin: 120,
  },
  thaw: thawRule,
  milkTauMin,
  room: roomInFridgeOrFreezer,
  gap: gapRule,
  coverage: coverageRule,
  sensor: ds18b20Limits,
  monitorMilk: "frozen",
  limits: conservativeLimits,
  overrides: {},
};
