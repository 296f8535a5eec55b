import { conservativeLimits } from "./limits-conservative.js";
import { milkTauMin, thawRule } from "./milk-physics.js";
import { coverageRule, excursionClearAfterMin, gapRule } from "./monitoring.js";
import { ds18b20Limits } from "./sensor-limits.js";
import type { RuleProfile } from "./types.js";

/** An insulated bag with ice packs, carrying frozen or chilled milk (CB-1, TR-1). */
export const coolBag: RuleProfile = {
  id: "cool-bag",
  kind: "cool-bag",
  label: "Cool bag",
  // CB-1 note: no source gives a cool bag a 4 °C line; 4–15 °C is within CB-1, above 15 °C is RT-1.
  // Frozen milk: §4's −1 °C air floor (TR-1: milk must stay frozen).
  safe: { minC: null, maxC: 15, frozenMaxC: -1 },
  // The live alert line for frozen milk in transit (TR-1: must stay frozen). The verdict counts a
  // run above it only while the milk was frozen; chilled milk in a bag has no 4 °C line (CB-1).
  high: {
    rule: "TR-1",
    aboveC: 4, // TR-1 (Design): bag air above 4 °C for 30 min cannot keep milk frozen
    clearC: 3.5, // Design: 0.5 °C hysteresis
    forMin: 30, // §3 design default for fridges, applied to bags
    clearAfterMin: excursionClearAfterMin,
  },
  low: null,
  cumulative: null,
  thaw: thawRule,
  milkTauMin,
  room: {
    aboveC: 15, // CB-1 (Design): a logged bag temperature > 15 °C falls back to RT-1
    hotAboveC: 25, // RT-2: above CDC's ≤ 25 °C room temperature, check from the first minute
  },
  gap: gapRule,
  coverage: coverageRule,
  sensor: ds18b20Limits,
  // TR-1: cool bags carry frozen milk to the bank; a thaw in transit makes the batch thawed.
  monitorMilk: "frozen",
  limits: conservativeLimits,
  overrides: {},
};
