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

/**
 * Design: a confirmed excursion also ends once 30 min pass without a reading beyond its line, even
 * while readings stay inside the 0.5 °C hysteresis band (a fridge that settles at 3.8 °C after
 * 5 °C): otherwise its alert would stay open for days. The same 30 min as the excursion delay of
 * RULES.md §3. A run not yet confirmed keeps accumulating within the band, so this can only end an
 * excursion already counted, never make a history look safer.
 */
export const excursionClearAfterMin = 30;

export const coverageRule: RuleProfile["coverage"] = {
  // Design: a batch whose custody is covered by readings less than 95 % of the time is at least
  // "check" even when every gap was short: about 72 min a day unmonitored is too much to call safe.
  checkBelowPct: 95,
};
