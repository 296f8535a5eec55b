import { createHash } from "node:crypto";
import nodemailer from "nodemailer";
import { formatTempC, formatTime } from "../../rules/wording.js";
import type { AlertPayload } from "../view.js";
import type { AlertChannel, GroupedDelivery, SendResult, TargetCheck } from "./types.js";

/** Deliberately simple: one @, no spaces, a dot in the domain. The SMTP server has the last word. */
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export const checkEmailTarget: TargetCheck = (target) =>
  ADDRESS.test(target) && target.length <= 254
    ? null
    : `target of an email channel must be one email address, got "${target.slice(0, 120)}"`;

const PREFIX: Record<string, string> = {
  reminder: "Reminder: ",
  escalated: "Escalated: ",
  acknowledged: "Acknowledged: ",
  resolved: "Resolved: ",
  cleared: "Back to normal: ",
  reopened: "Again: ",
};

/** The warmest (or latest) temperature the alert knows, for the subject line. */
function howWarm(a: AlertPayload): string | null {
  const d = a.details as Record<string, unknown>;
  const c = typeof d.peakC === "number" ? d.peakC : typeof d.lastC === "number" ? d.lastC : null;
  if (c === null) return null;
  return `${typeof d.peakC === "number" ? "peak" : "last"} ${formatTempC(c)}`;
}

/** "Freezer too warm: Donor freezer — since 3 May 2026, 10:05 EDT, last −12.5 °C" (server's zone). */
export function emailSubject(a: AlertPayload, timeZone = "UTC"): string {
  const warm = howWarm(a);
  return `${PREFIX[a.event] ?? ""}${a.title} — since ${formatTime(Date.parse(a.startedAt), timeZone)}${warm ? `, ${warm}` : ""}`;
}

export function emailText(a: AlertPayload): string {
  const lines = [
    a.message,
    "",
    a.url ? `Open the unit: ${a.url}` : null,
    `Alert ${a.id}: ${a.kind}, ${a.severity}, ${a.state}${a.acknowledgedBy ? ` (acknowledged by ${a.acknowledgedBy}${a.comment ? `: "${a.comment}"` : ""})` : ""}.`,
    a.batchIds.length > 0 ? `Batches: ${a.batchIds.join(", ")}` : null,
    a.state === "open"
      ? "Acknowledge it on the unit's page (or POST /api/v1/alerts/{id}/ack) to stop the reminders.".replace(
          "{id}",
          a.id,
        )
      : null,
    "",
    "— coldtrail",
  ];
  return lines.filter((l) => l !== null).join("\n");
}

/**
 * The subject of one message carrying several alerts: how many, then what (the distinct titles,
 * in order), cut to a length mail clients show whole.
 */
export function groupSubject(alerts: readonly AlertPayload[]): string {
  const titles = [...new Set(alerts.map((a) => `${PREFIX[a.event] ?? ""}${a.title}`))];
  const what = titles.join("; ");
  return `${alerts.length} alerts: ${what.length > 150 ? `${what.slice(0, 149)}…` : what}`;
}

/** Each alert in order, numbered, under its own subject line, then its usual text. */
export function groupText(alerts: readonly AlertPayload[], timeZone = "UTC"): string {
  const parts = alerts.map(
    (a, i) => `${i + 1}. ${emailSubject(a, timeZone)}\n\n${emailText(a).replace(/\n\n— coldtrail$/, "")}`,
  );
  return `${alerts.length} alerts, oldest first.\n\n${parts.join("\n\n----\n\n")}\n\n— coldtrail`;
}

/**
 * The Message-ID of a grouped message: derived from its delivery ids, so a retry of the same
 * group is recognisable as the same message.
 */
export function groupMessageId(deliveryIds: readonly string[]): string {
  return `<group-${createHash("sha256").update(deliveryIds.join("\n")).digest("hex").slice(0, 32)}@coldtrail>`;
}

/** nodemailer transport options from COLDTRAIL_SMTP_URL (smtp:// or smtps://user:pass@host:port). */
export function smtpOptions(smtpUrl: string, timeoutMs: number) {
  const u = new URL(smtpUrl);
  const secure = u.protocol === "smtps:";
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(u.username && {
      auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) },
    }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // A burst of alerts (a power cut takes many freezers at once) reuses open SMTP connections
    // instead of a new connection and greeting per message.
    // Issue 12: several recipients are sent to in parallel (the outbox keeps one message at a time
    // per recipient); each connection is recycled after maxMessages.
    pool: true,
    maxConnections: 5,
    maxMessages: 100,
  };
}

/**
 * Email through nodemailer over COLDTRAIL_SMTP_URL: a subject that says what, where, since when
 * and how warm, plain-text body with the unit's page. The Message-ID is derived from the delivery
 * id, so a retried message that did arrive twice is recognisable as one.
 */
export function createEmailChannel(opts: {
  smtpUrl: string;
  from: string;
  timeoutMs: number;
  /** The zone the subject's time is in (COLDTRAIL_TIME_ZONE); default UTC. */
  timeZone?: string;
}): AlertChannel & { close(): void } {
  const transport = nodemailer.createTransport(smtpOptions(opts.smtpUrl, opts.timeoutMs));
  async function mail(message: {
    to: string;
    subject: string;
    text: string;
    messageId: string;
    headers: Record<string, string>;
  }): Promise<SendResult> {
    try {
      const info = await transport.sendMail({ from: opts.from, ...message });
      if (info.rejected.length > 0)
        return {
          ok: false,
          reason: `SMTP server refused ${info.rejected.length} recipient(s): ${info.response}`,
        };
      return { ok: true };
    } catch (e) {
      const err = e as Error & { code?: string; responseCode?: number };
      return {
        ok: false,
        reason: `SMTP: ${err.code ?? err.responseCode ?? "error"}: ${err.message}`.slice(0, 300),
      };
    }
  }
  return {
    kind: "email",
    send: (alert, d) =>
      mail({
        to: d.channel.target,
        subject: emailSubject(alert, opts.timeZone),
        text: emailText(alert),
        messageId: `<${d.deliveryId}@coldtrail>`,
        headers: { "X-Coldtrail-Delivery": d.deliveryId, "X-Coldtrail-Event": alert.event },
      }),
    /** Several alerts to one address in one message; the headers list every delivery id and event, in order. */
    sendGroup(items: readonly GroupedDelivery[]) {
      const ids = items.map((i) => i.delivery.deliveryId);
      const alerts = items.map((i) => i.alert);
      return mail({
        to: (items[0] as GroupedDelivery).delivery.channel.target,
        subject: groupSubject(alerts),
        text: groupText(alerts, opts.timeZone),
        messageId: groupMessageId(ids),
        headers: {
          "X-Coldtrail-Delivery": ids.join(", "),
          "X-Coldtrail-Event": alerts.map((a) => a.event).join(", "),
        },
      });
    },
    close: () => transport.close(),
  };
}
