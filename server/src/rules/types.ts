/**
 * Public types of the rules engine. Everything here is plain, JSON-serialisable data:
 * times are ms since 1970-01-01 UTC (event time), temperatures °C, already calibrated.
 */
import type { RuleProfile } from "./profiles/types.js";
import type { MachineEvent, MachineState } from "./unit-machine.js";

export type UnitKind = "freezer" | "fridge" | "cool-bag";

/** The verdict bands, from best to worst (RULES.md §1). */
export type Band = "safe" | "check" | "do-not-use";

/** The milk's state as the engine tracks it. A refrozen batch is "frozen" with `everThawed`. */
export type MilkState = "fresh" | "frozen" | "thawing" | "thawed";

/** Container of a batch; it sets the time constant of the milk-temperature estimate. */
export type Container = "bag" | "bottle";

/** One air-temperature reading of a unit's probe. */
export interface TempSample {
  tsMs: number;
  tempC: number;
}

/** One stay of a batch in one unit. */
export interface CustodyInterval {
  unitId: string;
  unitKind: UnitKind;
  /** The resolved profile (see `resolveProfile`), overrides applied. */
  profile: RuleProfile;
  fromMs: number;
  /** null while the batch is still there. */
  toMs: number | null;
  /** The unit's readings in [fromMs, toMs): any order, duplicates allowed. Others are ignored. */
  readings: readonly TempSample[];
  /**
   * How often the unit's probe reports; a longer silence is a gap. null = unknown: learned from
   * the readings (median spacing), with an `interval-learned` note.
   */
  expectedIntervalMs: number | null;
  /**
   * Where an earlier verdict of the same stay stopped (see `StayCheckpoint`): `readings` then need
   * only hold the readings after `resume.throughMs`. A checkpoint that no longer matches the stay
   * (another profile, interval, milk state on arrival…) makes `computeVerdict` return ok: false.
   */
  resume?: StayCheckpoint | null;
}

/**
 * A stay walked up to a point, so that the next verdict of the same batch starts there instead of
 * at the first reading (a year of one-minute readings is 525 600). It is taken only where nothing
 * later can change what came before: at the start of the last run of identical readings, since a
 * stuck probe is known in hindsight. Readings later written at or before `throughMs` invalidate it;
 * the caller keeps track of that. Plain data (structured-clone safe), opaque to callers.
 */
export interface StayCheckpoint {
  v: 1;
  /** The stay's settings and the milk on arrival: a resume must match them exactly. */
  key: string;
  /** The time of the last reading walked. */
  throughMs: number;
  state: MachineState;
  events: MachineEvent[];
  /** With a learned interval: how often each spacing occurred up to `throughMs` ([ms, count]). */
  spacings?: [number, number][];
}

/** How a batch left monitored custody. */
export type CustodyEndHow = "handed-over" | "fed" | "discarded" | "unknown";

export interface BatchInput {
  expressedAtMs: number;
  /** The state the batch was in when it entered custody. */
  initialState: "fresh" | "frozen" | "thawed";
  /** For a batch that entered custody already thawed: when it thawed (default: custody start). */
  thawedAtMs?: number | null;
  volumeMl?: number | null;
  /** Default "bag" (the faster-warming container, so the more cautious estimate). */
  container?: Container | null;
  /** Oldest first; consecutive intervals may touch but not overlap. */
  custody: readonly CustodyInterval[];
  /**
   * The batch left monitored custody at `atMs` (equal to the last interval's toMs). The verdict is
   * as of that moment, budgets stop, and a `custody-ended` note says its temperature since is unknown.
   */
  custodyEnd?: { atMs: number; how: CustodyEndHow } | null;
}

export interface VerdictOptions {
  /** IANA time zone for the times in messages (default "UTC"), named by its short name. */
  timeZone?: string;
}

/** Stable reason codes. Each reason also names the RULES.md row (`rule`) it applies. */
export type ReasonCode =
  | "excursion"
  | "cumulative-excursion"
  | "fridge-freezing"
  | "thawing"
  | "probable-thaw"
  | "refrozen"
  | "fresh-limit"
  | "frozen-limit"
  | "thawed-limit"
  | "thawed-room-temperature"
  | "room-temperature"
  | "hot"
  | "cool-bag-limit"
  | "gap"
  | "short-gaps"
  | "custody-gap"
  | "custody-ended"
  | "sensor-fault"
  | "low-coverage"
  | "interval-learned"
  | "transport-limit"
  | "before-custody";

export interface Reason {
  code: ReasonCode;
  /** The band this reason alone puts the batch in; "safe" reasons are notes. */
  band: Band;
  /** RULES.md row ID or section this reason applies, e.g. "FR-1", "§3", "§4". */
  rule: string;
  /** Staff wording (English), built from code and values by `describeReason`. */
  message: string;
  fromMs?: number;
  toMs?: number | null;
  values?: Record<string, number | string | boolean | null>;
}

export interface VerdictStats {
  minC: number | null;
  maxC: number | null;
  /** Time-weighted over monitored time. */
  meanC: number | null;
  /** Mean kinetic temperature, ΔH/R = 10 000 K (USP <1160>). */
  mktC: number | null;
  /** Monitored minutes with the air outside the unit's safe range. */
  minutesOutOfRange: number;
  /** Share of custody time covered by readings, 0–100. */
  monitoredPct: number;
}

/** A time limit still running: when it reaches `band`, and how long until then. */
export interface Budget {
  limit: string;
  band: Exclude<Band, "safe">;
  /** When the band is reached if nothing changes; null when the clock is not running now. */
  untilMs: number | null;
  remainingMs: number;
}

export interface ProfileUse {
  unitId: string;
  profile: RuleProfile;
}

export interface Verdict {
  verdict: Band;
  reasons: Reason[];
  stats: VerdictStats;
  state: MilkState;
  /** True once the milk thawed (RULES.md §4: thawed is permanent). */
  everThawed: boolean;
  thawedAtMs: number | null;
  budgets: Budget[];
  /** Each unit's profile with its numbers, in custody order. */
  profiles: ProfileUse[];
  /** The time the verdict describes: the end of custody, or nowMs while custody is open. */
  asOfMs: number;
}

export type VerdictResult =
  | {
      ok: true;
      verdict: Verdict;
      /** Per custody interval (input order): where the next verdict can resume it, or null. */
      checkpoints: (StayCheckpoint | null)[];
    }
  | { ok: false; reason: string };
