import { conservativeLimits } from "./limits-conservative.js";
import { milkTauMin, roomInFridgeOrFreezer, thawRule } from "./milk-physics.js";
import { coverageRule, excursionClearAfterMin, gapRule } from "./monitoring.js";
import { ds18b20Limits } from "./sensor-limits.js";
import type { RuleProfile } from "./types.js";

/** A fridge holding fresh or thawed milk. */
export const fridge: RuleProfile = {
  id: "fridge",
  kind: "fridge",
  label: "Fridge",
  // FR-1 ≤ 4 °C (CDC 40 °F [V]); §3: the UK 0–4 °C band [S] gives the lower end.
  safe: { minC: 0, maxC: 4, frozenMaxC: 4 },
  high: {
    rule: "FR-2",
    aboveC: 4, // FR-1: ≤ 4 °C; warmer → FR-2
    clearC: 3.5, // Design: 0.5 °C hysteresis against wobble at the limit
    forMin: 30, // §3 design default: fridge above 4 °C for more than 30 min → apply FR-2
    clearAfterMin: excursionClearAfterMin,
  },
  low: {
    rule: "§3",
    belowC: 0, // §3 UK 0–4 °C band [S]: below 0 °C the fridge is freezing the milk
    clearC: 0.5, // Design: 0.5 °C hysteresis
    // Design: the same 30 min as §3's fridge delay; a brief dip below 0 °C cannot freeze liquid milk.
    forMin: 30,
    clearAfterMin: excursionClearAfterMin,
  },
  cumulative: null, // §3 gives a cumulative counter for freezers only
  thaw: thawRule,
  milkTauMin,
  room: roomInFridgeOrFreezer,
  gap: gapRule,
  coverage: coverageRule,
  sensor: ds18b20Limits,
  monitorMilk: "liquid",
  limits: conservativeLimits,
  overrides: {},
};
