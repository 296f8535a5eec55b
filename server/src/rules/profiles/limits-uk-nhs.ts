/**
 * Alternative limits "uk-nhs" (RULES.md §1): NHS guidance assumes a mother's own milk in her own
 * home. Staff may choose it per unit; the verdict names it. Only the rows RULES.md gives an uk-nhs
 * value for differ from the conservative default.
 */
import { conservativeLimits } from "./limits-conservative.js";
import type { TimeLimits } from "./types.js";

export const ukNhsLimits: TimeLimits = {
  ...conservativeLimits,
  id: "uk-nhs",
  // FR-1 note, NHS [S]: 8 days at ≤ 4 °C; uk-nhs: safe ≤ 8 d, then do-not-use.
  freshCold: { rule: "FR-1", safeMaxH: 8 * 24, checkMaxH: 8 * 24 },
};
