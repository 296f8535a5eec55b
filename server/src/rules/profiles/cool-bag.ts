import { conservativeLimits } from "./limits-conservative.js";
import { milkTauMin, thawRule } from "./milk-physics.js";
import { coverageRule, gapRule } from "./monitoring.js";
import { ds18b20Limits } from "./sensor-limits.js";
import type { RuleProfile } from "./types.js";

/** An insulated bag with ice packs, carrying frozen or chilled milk (CB-1, TR-1). */
export const coolBag: RuleProfile = {
  id: "cool-bag",
  kind: "cool-bag",
  label: "Cool bag",
  // Chilled milk: FR-1's ≤ 4 °C. Frozen milk: §4's −1 °C air floor (TR-1: milk must stay frozen).
  safe: { minC: null, maxC: 4, frozenMaxC: -1 },
  high: {
    rule: "CB-1",
    aboveC: 4, // FR-1 ≤ 4 °C for chilled milk, applied to the bag's air
    clearC: 3.5, // Design: 0.5 °C hysteresis
    forMin: 30, // §3 design default for fridges, applied to bags
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
