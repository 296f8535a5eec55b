/**
 * Response shapes of the coldtrail HTTP API that the dashboard reads, as the server's route files
 * (`server/src/api/routes/*.ts`, `server/src/alerts/view.ts`) send them. Times are ISO 8601
 * strings, temperatures °C. Fields the dashboard does not use are left out.
 */

export type Band = "safe" | "check" | "do-not-use";
export type UnitKind = "freezer" | "fridge" | "cool-bag";

export interface LastReading {
  ts: string;
  temp_c: number;
  /** Seconds between the reading and the server's clock when it answered. */
  ageS: number;
}

export interface Unit {
  id: string;
  name: string;
  kind: UnitKind;
  site: "household" | "milk-bank" | null;
  profile: string;
  probes: string[];
  lastReading: LastReading | null;
  openAlerts: number;
}

/** A reading or a bucket of readings (`every=`: min/mean/max per bucket). */
export interface ReadingPoint {
  ts: string;
  temp_c: number;
  min_c?: number;
  max_c?: number;
  mean_c?: number;
  count?: number;
}

export interface UnitReadings {
  unitId: string;
  from: string;
  to: string;
  every?: string;
  readings: ReadingPoint[];
}

export interface Reason {
  code: string;
  band: Band;
  /** RULES.md row or section the reason applies. */
  rule: string;
  message: string;
  from?: string;
  to?: string | null;
  values?: Record<string, number | string | boolean | null>;
}

export interface VerdictStats {
  minC: number | null;
  maxC: number | null;
  meanC: number | null;
  mktC: number | null;
  minutesOutOfRange: number;
  monitoredPct: number;
}

export interface Budget {
  /** RULES.md row of the time limit, e.g. "FZ-1". */
  limit: string;
  band: Exclude<Band, "safe">;
  /** When the band is reached if nothing changes; null while the clock is paused. */
  until: string | null;
  remainingMinutes: number;
}

/** The numbers of a rule profile the dashboard draws (the server sends the whole profile). */
export interface ProfileNumbers {
  id: string;
  kind: UnitKind;
  label: string;
  safe: { minC: number | null; maxC: number; frozenMaxC: number };
}

export interface Review {
  decision: "release" | "hold" | "discard";
  comment: string;
  by?: string;
  at: string;
}

export interface VerdictCore {
  verdict: Band;
  reasons: Reason[];
  stats: VerdictStats;
  state: "fresh" | "frozen" | "thawing" | "thawed";
  everThawed: boolean;
  thawedAt: string | null;
  budgets: Budget[];
  asOf: string;
}

export interface CustodyEntry {
  unitId: string | null;
  unitName: string | null;
  unitKind: UnitKind | null;
  from: string;
  to: string | null;
}

export interface BatchDetail extends VerdictCore {
  id: string;
  code: string;
  passportUrl: string;
  expressedAt: string;
  volumeMl: number | null;
  initialState: string;
  review: Review | null;
  reviews: Review[];
  custody: CustodyEntry[];
  profiles: { unitId: string; profile: ProfileNumbers }[];
}

export interface BatchSummary {
  id: string;
  code: string;
  expressedAt: string;
  volumeMl: number | null;
  unitId: string | null;
  verdict: Band;
  reasons: Reason[];
  state: string;
}

/** Public: no donor identity, custody as unit kinds and times only. */
export interface Passport extends VerdictCore {
  code: string;
  expressedAt: string;
  volumeMl: number | null;
  review: Review | null;
  custody: { kind: UnitKind | "out-of-custody"; site: string | null; from: string; to: string | null }[];
  profiles: ProfileNumbers[];
  readings: ReadingPoint[];
  readingsEvery: string | null;
}

export type AlertState = "open" | "acknowledged" | "resolved";

export interface Alert {
  id: string;
  kind: string;
  state: AlertState;
  severity?: "info" | "warning" | "critical";
  title?: string;
  message?: string;
  unitId: string | null;
  unitName?: string | null;
  batchIds: string[];
  startedAt?: string;
  openedAt: string;
  updatedAt?: string;
  clearedAt?: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  comment?: string;
  resolvedAt?: string;
}

/** A reading of an accepted message that was refused alone; `ts`/`temp_c` as the device sent them. */
export interface RefusedReading {
  index: number;
  ts?: number | boolean | string | null;
  temp_c?: number | boolean | string | null;
  reason: string;
  /** Kept for the first 20 refused readings of a message. */
  message?: string;
}

export interface DeadLetter {
  id: number;
  at: string;
  probeId: string | null;
  topic: string;
  reason: string;
  message: string;
  payloadHead: string;
  payloadBytes: number;
  /** Readings refused alone while the rest of the message was stored; empty (or absent from an older server) when refused whole. */
  refusedReadings?: RefusedReading[];
}
