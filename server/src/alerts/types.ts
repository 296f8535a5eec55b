/**
 * Types of the alerts module: what an alert is, what changes it, and how a change reaches people.
 * Times are ms since 1970-01-01 UTC inside the module and ISO 8601 strings over the API.
 */

/** Every kind of alert (DESIGN.md "Domain model", plus the device-health kinds of issue 4). */
export const ALERT_KINDS = [
  "excursion",
  "probable-thaw",
  "refreeze",
  "sensor-fault",
  "probe-offline",
  "battery-low",
  "clock-skew",
  "rejected-surge",
  "batch-storage-limit",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_STATES = ["open", "acknowledged", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export type Severity = "info" | "warning" | "critical";

/**
 * What an alert is about. There is at most one unresolved alert per (subject, kind), so a
 * flapping condition updates its alert instead of opening new ones.
 */
export type SubjectType = "unit" | "probe" | "batch";
export const subjectOf = (type: SubjectType, id: string): string => `${type}:${id}`;

/** A subject as a typed record: what the engine and the detectors pass around. */
export type Subject =
  | { type: "unit"; unitId: string }
  | { type: "probe"; probeId: string }
  | { type: "batch"; batchId: string };

/** One (kind, subject) pair: the identity of an unresolved alert. */
export interface AlertKey {
  kind: AlertKind;
  subject: Subject;
}

/** The subject as stored in `alert.subject` and shown over the API ("unit:u_1", "probe:p-1"). */
export function subjectText(s: Subject): string {
  switch (s.type) {
    case "unit":
      return subjectOf("unit", s.unitId);
    case "probe":
      return subjectOf("probe", s.probeId);
    case "batch":
      return subjectOf("batch", s.batchId);
  }
}

/**
 * The one way to make a map key of an alert key. Nothing parses it back: keep the `AlertKey`
 * record next to the string (as `Map<string, AlertKey>` values) when you need its parts.
 */
export const alertKeyText = (k: AlertKey): string => `${k.kind}|${subjectText(k.subject)}`;

/**
 * The key of a stored alert, matched from its own ids (unit, probe, batches) against its stored
 * subject, or null when none of them is its subject.
 */
export function alertKeyOf(
  a: Pick<Alert, "kind" | "subject" | "unitId" | "probeId" | "batchIds">,
): AlertKey | null {
  const candidates: Subject[] = [
    ...(a.unitId ? [{ type: "unit", unitId: a.unitId } as const] : []),
    ...(a.probeId ? [{ type: "probe", probeId: a.probeId } as const] : []),
    ...a.batchIds.map((batchId) => ({ type: "batch", batchId }) as const),
  ];
  const subject = candidates.find((c) => subjectText(c) === a.subject);
  return subject ? { kind: a.kind, subject } : null;
}

export interface Alert {
  id: string;
  kind: AlertKind;
  subject: string;
  state: AlertState;
  severity: Severity;
  ownerId: string;
  unitId: string | null;
  unitName: string | null;
  probeId: string | null;
  batchIds: string[];
  title: string;
  /** Plain words: what happened, where to look and what to do. */
  message: string;
  details: Record<string, unknown>;
  /** When the condition began (e.g. the first warm reading), which may precede `openedMs`. */
  startedMs: number;
  openedMs: number;
  /** Start of the current episode (opened or reopened): escalation counts from here. */
  episodeMs: number;
  updatedMs: number;
  /** When the condition last cleared while the alert stayed unresolved (latching), else null. */
  clearedMs: number | null;
  acknowledgedMs: number | null;
  acknowledgedBy: string | null;
  comment: string | null;
  resolvedMs: number | null;
  resolvedBy: string | null;
  resolveComment: string | null;
  lastNotifiedMs: number | null;
  escalationLevel: number;
  /** How many times the condition began while this alert was unresolved (flapping shows here). */
  occurrences: number;
}

/** What the live engine asks the store to do. */
export type AlertIntent =
  | {
      op: "raise";
      /** The typed identity; `kind` and `subject` are its stored form (see `subjectText`). */
      key: AlertKey;
      kind: AlertKind;
      subject: string;
      ownerId: string;
      unitId: string | null;
      unitName: string | null;
      probeId: string | null;
      batchIds: string[];
      severity: Severity;
      title: string;
      message: string;
      details: Record<string, unknown>;
      startedMs: number;
      atMs: number;
    }
  | {
      op: "clear";
      key: AlertKey;
      kind: AlertKind;
      subject: string;
      atMs: number;
      /** Replaces the message, e.g. "back to normal since …". */
      message: string;
      details: Record<string, unknown>;
    };

/** Events of an alert's life; the ones in NOTIFYING_EVENTS go to channels, all go to SSE. */
export type AlertEventType =
  | "opened"
  | "updated"
  | "recurred"
  | "reopened"
  | "cleared"
  | "acknowledged"
  | "resolved"
  | "reminder"
  | "escalated";

/**
 * Which events reach people through channels. `updated` and `recurred` (a flapping condition
 * within an alert still open) only go to the live stream: a flapping freezer must not send an
 * email per flap; reminders keep repeating the alert instead.
 */
export const NOTIFYING_EVENTS: ReadonlySet<AlertEventType> = new Set<AlertEventType>([
  "opened",
  "reopened",
  "cleared",
  "acknowledged",
  "resolved",
  "reminder",
  "escalated",
]);

export interface AlertEvent {
  id: number;
  alertId: string;
  type: AlertEventType;
  atMs: number;
  ownerId: string;
  unitId: string | null;
  /** The exact JSON sent to webhooks and SSE for this event (see `alertPayload`). */
  body: string;
}

export const CHANNEL_KINDS = ["webhook", "email", "mqtt", "webpush"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface Channel {
  id: string;
  ownerId: string;
  kind: ChannelKind;
  target: string;
  /**
   * HMAC key of webhooks, or a web push subscription's keys (JSON); never leaves the server after
   * creation. As stored: sealed (alerts/secret-box.ts), except in the delivery a medium is handed,
   * where the outbox has opened it.
   */
  secret: string | null;
  /** null: every unit the owner may see. */
  unitIds: string[] | null;
  /** null: every kind. */
  alertKinds: AlertKind[] | null;
  /** The channel hears an alert once its escalation level reaches this (0 = from the start). */
  minEscalation: number;
  createdMs: number;
  deletedMs: number | null;
}

export type DeliveryStatus = "pending" | "delivered" | "failed" | "cancelled";

export interface Delivery {
  id: number;
  /** Unique per (event, channel), stable across retries: receivers drop duplicates by it. */
  deliveryId: string;
  eventId: number;
  eventType: AlertEventType;
  alertId: string;
  channelId: string;
  channelKind: ChannelKind;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptMs: number | null;
  lastError: string | null;
  createdMs: number;
  deliveredMs: number | null;
}
