/**
 * The default time limits (RULES.md §1): the recipient is often a vulnerable baby and nobody can
 * verify how cleanly donated milk was handled, so CDC's limit is a hard line (past it: do-not-use)
 * and, where a stricter source exists, the time between it and CDC's limit is "check".
 */
import type { TimeLimits } from "./types.js";

const HOURS_PER_DAY = 24;
/** FZ-1's 6 months as 182 days (Design: six calendar months span 181–184 days; 182 = 26 weeks). */
const SIX_MONTHS_H = 182 * HOURS_PER_DAY;
/** FZ-1's 12 months as 365 days, matching FZ-3/WAC 246-720-040's "1 year after expression". */
const TWELVE_MONTHS_H = 365 * HOURS_PER_DAY;

export const conservativeLimits: TimeLimits = {
  id: "conservative",
  // FR-1, CDC "Human Milk Storage Guidelines" table [V]: 4 days at ≤ 4 °C; conservative: then do-not-use.
  freshCold: { rule: "FR-1", safeMaxH: 4 * HOURS_PER_DAY, checkMaxH: 4 * HOURS_PER_DAY },
  // FR-2, NHS "Expressing and storing breast milk" [S]: 3 days when the fridge is > 4 °C or unknown.
  freshWarm: { rule: "FR-2", safeMaxH: 3 * HOURS_PER_DAY, checkMaxH: 3 * HOURS_PER_DAY },
  // RT-1, CDC table [V]: 4 h at ≤ 25 °C; conservative: then do-not-use.
  room: { rule: "RT-1", safeMaxH: 4, checkMaxH: 4 },
  // FZ-1, CDC table [V]: 6 months best, 12 months acceptable; conservative: check 6–12, then do-not-use.
  frozen: { rule: "FZ-1", safeMaxH: SIX_MONTHS_H, checkMaxH: TWELVE_MONTHS_H },
  // TH-1, CDC table [V] 24 h; Breastfeeding Network 12 h [S]: conservative safe ≤ 12 h, check 12–24 h.
  thawedCold: { rule: "TH-1", safeMaxH: 12, checkMaxH: 24 },
  // TH-2, CDC table [V] 1–2 h at room temperature: conservative safe ≤ 1 h, check 1–2 h.
  thawedRoom: { rule: "TH-2", safeMaxH: 1, checkMaxH: 2 },
  // CB-1, CDC flyer "when you are traveling" [V]: 24 h in a cool bag with frozen ice packs.
  coolBag: { rule: "CB-1", safeMaxH: 24, checkMaxH: 24 },
  // TR-1 note (Design): frozen milk that stays frozen in a cool bag is under TR-1, not CB-1; a
  // frozen journey longer than 24 h is "check" for staff to judge against their bank's limit.
  frozenInBag: { rule: "TR-1", checkAfterH: 24 },
};
