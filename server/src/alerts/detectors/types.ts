/**
 * What detectors are and what they are given. A detector watches for one alert kind: its handlers
 * take typed inputs (a unit's monitor event, one probe message, a probe's live fields, a refused
 * message, the clock) and return the intents to raise or clear alerts of that kind. Detectors do
 * no I/O: lookups are injected through the context, time comes in the inputs.
 */
import type { Reading } from "../../reading.js";
import type { RuleProfile } from "../../rules/profiles/types.js";
import type { MonitorEvent } from "../../rules/unit-monitor.js";
import type { AlertSettings } from "../settings.js";
import type { AlertIntent, AlertKey, AlertKind, Subject } from "../types.js";
import type { AlertWords } from "../wording.js";

export interface UnitInfo {
  id: string;
  ownerId: string;
  name: string;
  kind: "freezer" | "fridge" | "cool-bag";
  site: "household" | "milk-bank";
  profile: string;
  profileOverrides: Record<string, unknown> | null;
  createdMs: number;
}

export interface ProbeInfo {
  id: string;
  ownerId: string;
  calibrationOffsetC: number;
  expectedIntervalMs: number;
  lastSeenMs: number | null;
  status: string | null;
}

export interface AttachmentInfo {
  probeId: string;
  unitId: string;
  fromMs: number;
  toMs: number | null;
}

/** A batch whose storage budget is running out or has run out (supplied by the batches module). */
export interface DueBatch {
  batchId: string;
  /** The short public code printed on the label. */
  code: string;
  unitId: string | null;
  /** Which limit, in words: "frozen", "fresh", "thawed", "cool bag". */
  limit: string;
  /** The band reached at `untilMs`. */
  band: "check" | "do-not-use";
  untilMs: number;
}

export interface AlertLookups {
  unit(unitId: string): UnitInfo | null;
  probe(probeId: string): ProbeInfo | null;
  /** The probe's calibration offset now (the registry's `probes.calibrationOf`: a correction applies at once). */
  calibrationOf(probeId: string): number;
  /** The probe's whole attachment history. */
  attachmentsOf(probeId: string): AttachmentInfo[];
  /** Attachments open now. */
  currentAttachments(): AttachmentInfo[];
  /** Batches in the unit at that time, for `batchIds`. */
  batchesIn(unitId: string, atMs: number): string[];
  /**
   * When the milk in a unit at `atMs` was put there (the earliest custody start among its
   * batches), or null when the unit held no batch then. Cool bags are watched only while packed.
   */
  packedSince(unitId: string, atMs: number): number | null;
  dueBatches(nowMs: number): DueBatch[];
}

/** A stored reading; `receivedMs` (arrival) is present on readings coming from the journal. */
export type StoredReading = Reading & { receivedMs?: number };

/** Live fields from ingest: last seen, battery, status (the retained last will). */
export interface ProbeLive {
  lastSeenMs?: number;
  batteryPct?: number;
  batteryMv?: number;
  status?: string;
}

/** What the engine knows of a probe's liveness, shared by the detectors that need it. */
export interface ProbeHealth {
  /** Newest arrival of anything from the probe (reading or live fields), or null if never. */
  lastSeenMs: number | null;
  /** Its last status message ("online", "offline" from the retained last will), or null. */
  status: string | null;
  /** When `status` last changed, as far as this engine saw. */
  statusSinceMs: number;
}

/** Which alerts are on, as far as the engine knows (it updates this from the intents returned). */
export interface ActiveAlerts {
  has(key: AlertKey): boolean;
  /** Subjects of the alerts of `kind` that are on, in the order they came on. */
  subjects(kind: AlertKind): Subject[];
}

export interface DetectorContext {
  readonly settings: AlertSettings;
  readonly lookups: AlertLookups;
  /** Alert titles and messages, times in the server's zone (COLDTRAIL_TIME_ZONE). */
  readonly words: AlertWords;
  readonly active: ActiveAlerts;
  /** The probe's shared health (created from the registry's probe on first use). */
  health(probeId: string): ProbeHealth;
}

/** One event of a unit's rule monitor (from new readings or from the clock). */
export interface MonitorEventInput {
  unit: UnitInfo;
  /** The rule profile the unit's monitor runs. */
  profile: RuleProfile;
  /** The newest calibrated temperature the engine saw for the unit since start, or null. */
  lastTempC: number | null;
  event: MonitorEvent;
  nowMs: number;
}

/** One message of a probe: its consecutive stored readings with one arrival time. */
export interface ProbeMessageInput {
  probeId: string;
  rows: readonly StoredReading[];
  nowMs: number;
}

/** Live fields of a probe after the engine updated its health (`live` may be empty: heard from). */
export interface ProbeLiveInput {
  probeId: string;
  live: ProbeLive;
  health: ProbeHealth;
  nowMs: number;
}

/** Ingest refused a message from a registered probe (reason as counted in metrics). */
export interface RejectedInput {
  probeId: string;
  reason: string;
  nowMs: number;
}

export interface TickInput {
  nowMs: number;
}

/**
 * A detector for one alert kind. Every handler is optional and returns intents of `kind` only.
 * State that only this detector needs (counters, timers) lives in its closure; one detector
 * instance belongs to one engine.
 */
export interface Detector<K extends AlertKind = AlertKind> {
  readonly kind: K;
  onMonitorEvent?(input: MonitorEventInput, ctx: DetectorContext): AlertIntent[];
  onReadings?(input: ProbeMessageInput, ctx: DetectorContext): AlertIntent[];
  onProbeLive?(input: ProbeLiveInput, ctx: DetectorContext): AlertIntent[];
  onRejected?(input: RejectedInput, ctx: DetectorContext): AlertIntent[];
  onTick?(input: TickInput, ctx: DetectorContext): AlertIntent[];
}
