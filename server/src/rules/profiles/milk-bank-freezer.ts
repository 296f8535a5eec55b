import { homeFreezer } from "./home-freezer.js";
import { excursionClearAfterMin } from "./monitoring.js";
import type { RuleProfile } from "./types.js";

/**
 * A milk bank's freezer. MB-1: ≤ −20 °C, an HMBANA member bank's published practice [S]. Its
 * storage time is [U] in RULES.md, so frozen milk keeps FZ-1's bands, whose 12-month end equals
 * WAC 246-720-040's 1-year cap that MB-1 says to use meanwhile.
 */
export const milkBankFreezer: RuleProfile = {
  ...homeFreezer,
  id: "milk-bank-freezer",
  label: "Milk-bank freezer",
  safe: { minC: null, maxC: -20, frozenMaxC: -20 }, // MB-1 [S]: ≤ −20 °C
  high: {
    rule: "MB-1",
    aboveC: -20, // MB-1 [S]: ≤ −20 °C
    clearC: -20.5, // Design: same 0.5 °C hysteresis as the home freezer
    // §3 design default for freezers: 30 min. DESIGN.md's table says 15 min, but no RULES.md row
    // gives 15 min, and RULES.md wins; staff can override `high.forMin` per unit.
    forMin: 30,
    clearAfterMin: excursionClearAfterMin,
  },
};
