/**
 * A rule profile is data: the thresholds of one kind of unit plus a set of storage time limits.
 * Every number in a default profile cites its RULES.md row (or section, for design defaults).
 */
import type { UnitKind } from "../types.js";

export type ProfileId = "home-freezer" | "milk-bank-freezer" | "fridge" | "cool-bag";
export type LimitsId = "conservative" | "uk-nhs" | "abm-clean";

/** A time limit with bands: ≤ safeMaxH safe, ≤ checkMaxH check, beyond do-not-use. */
export interface BandedLimit {
  /** RULES.md row ID. */
  rule: string;
  safeMaxH: number;
  /** Equal to safeMaxH when the limit has no "check" band. */
  checkMaxH: number;
}

/** Storage time limits by milk state (RULES.md §2). */
export interface TimeLimits {
  id: LimitsId;
  /** Fresh milk, counted from expression, while the fridge held ≤ 4 °C. */
  freshCold: BandedLimit;
  /** Fresh milk once its fridge or bag was warmer than 4 °C, or unmonitored. */
  freshWarm: BandedLimit;
  /** Liquid fresh milk at room temperature, cumulative. */
  room: BandedLimit;
  /** Frozen milk, counted from expression. */
  frozen: BandedLimit;
  /** Thawed milk, counted from the first detected thaw. */
  thawedCold: BandedLimit;
  /** Thawed milk at room temperature, cumulative. */
  thawedRoom: BandedLimit;
  /** Time in cool bags with the milk liquid (fresh or thawed), cumulative (CB-1). */
  coolBag: BandedLimit;
  /** Frozen milk in a cool bag (TR-1): past `checkAfterH` "check", never do-not-use for time alone. */
  frozenInBag: { rule: string; checkAfterH: number };
}

/**
 * Above `aboveC` for longer than `forMin` continuous; the run ends at or below `clearC`, or, once it
 * is a confirmed excursion, after `clearAfterMin` without a reading above `aboveC`.
 */
export interface HighRule {
  rule: string;
  aboveC: number;
  clearC: number;
  forMin: number;
  clearAfterMin: number;
}

/**
 * Below `belowC` for longer than `forMin` continuous; the run ends at or above `clearC`, or, once it
 * is a confirmed excursion, after `clearAfterMin` without a reading below `belowC`.
 */
export interface LowRule {
  rule: string;
  belowC: number;
  clearC: number;
  forMin: number;
  clearAfterMin: number;
}

export interface RuleProfile {
  id: ProfileId;
  kind: UnitKind;
  label: string;
  /** The air range counted as in range for `minutesOutOfRange`; `frozenMaxC` applies while milk is frozen. */
  safe: { minC: number | null; maxC: number; frozenMaxC: number };
  high: HighRule;
  low: LowRule | null;
  /** Time above `high.aboveC` (or unmonitored) summed over any rolling window. */
  cumulative: { windowH: number; maxMin: number } | null;
  /** RULES.md §4: bands of the estimated milk temperature, and the air floor rule. */
  thaw: {
    /** Estimate above this: thawing (check). At or below: frozen. */
    frozenMaxC: number;
    /** Estimate above this: probably thawed. */
    thawAboveC: number;
    /** A thawing batch counts as frozen again only at or below frozenMaxC − hysteresisC. */
    hysteresisC: number;
    /** Air above this for airForMin or more around frozen milk: thawed, whatever the estimate. */
    airAboveC: number;
    airClearC: number;
    airForMin: number;
  };
  /** Time constant of the milk-temperature estimate by container, minutes. */
  milkTauMin: { bag: number; bottle: number };
  /** Air above `aboveC` is room temperature (RT-1); above `hotAboveC` is RT-2. */
  room: { aboveC: number; hotAboveC: number };
  /** Silence longer than factor × expected interval is a gap; gaps of checkAfterMin or more are "check". */
  gap: { factor: number; checkAfterMin: number };
  /** A batch monitored for less than this share of its custody is at least "check". */
  coverage: { checkBelowPct: number };
  /**
   * Readings outside [minC, maxC], equal to a sentinel, or jumping faster than maxStepCPerMin are
   * faults; so is a value unchanged for `stuckMin` or longer. `disconnectedC` is the driver's
   * "no probe" value (worded as a disconnection).
   */
  sensor: {
    minC: number;
    maxC: number;
    maxStepCPerMin: number;
    sentinelsC: readonly number[];
    stuckMin: number;
    disconnectedC: number;
  };
  /** What the live unit monitor assumes the unit holds (for thaw and refreeze events). */
  monitorMilk: "frozen" | "liquid";
  limits: TimeLimits;
  /** The staff overrides applied to the defaults, by dotted path; empty for defaults. */
  overrides: Readonly<Record<string, number>>;
}
