/**
 * Alternative limits "abm-clean" (RULES.md §1): ABM Protocol #8 (2017) Table 1 allows longer times
 * "if expressed very cleanly" [S]. These extra times are "check", never "safe". Rows RULES.md gives
 * no abm-clean value for stay conservative.
 */
import { conservativeLimits } from "./limits-conservative.js";
import type { TimeLimits } from "./types.js";

export const abmCleanLimits: TimeLimits = {
  ...conservativeLimits,
  id: "abm-clean",
  // FR-1 note, ABM 2017 [S]: 4 d optimal, 5–8 d if very clean; abm-clean: check 4–8 d.
  freshCold: { rule: "FR-1", safeMaxH: 4 * 24, checkMaxH: 8 * 24 },
  // RT-1 note, ABM 2017 Table 1 [S]: 4 h optimal, 6–8 h if very clean; abm-clean: check 4–8 h.
  room: { rule: "RT-1", safeMaxH: 4, checkMaxH: 8 },
};
