/**
 * How much silence the engine tolerates (Design; RULES.md gives no number). Unmonitored time is
 * never assumed safe (DESIGN.md, "Domain model").
 */
import type { RuleProfile } from "./types.js";

export const gapRule: RuleProfile["gap"] = {
  // Design: silence longer than 1.5 × the expected interval (one missed reading, with room for
  // jitter) is a gap: unmonitored, shown as such, counted against monitoredPct.
  factor: 1.5,
  // Design: a gap of 30 min or more could hide a whole single-event excursion (the 30 min of
  // RULES.md §3), so it alone makes the batch "check". Shorter gaps are reported as a note.
  checkAfterMin: 30,
};

export const coverageRule: RuleProfile["coverage"] = {
  // Design: a batch whose custody is covered by readings less than 95 % of the time is at least
  // "check" even when every gap was short: about 72 min a day unmonitored is too much to call safe.
  checkBelowPct: 95,
};
