import nodemailer from "nodemailer";
import { formatTempC, formatTime } from "../../rules/wording.js";
import type { AlertPayload } from "../view.js";
import type { AlertChannel, TargetCheck } from "./types.js";

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
    pool: true,
    maxConnections: 2,
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
  return {
    kind: "email",
    async send(alert, d) {
      try {
        const info = await transport.sendMail({
          from: opts.from,
          to: d.channel.target,
          subject: emailSubject(alert, opts.timeZone),
          text: emailText(alert),
          messageId: `<${d.deliveryId}@coldtrail>`,
          headers: { "X-Coldtrail-Delivery": d.deliveryId, "X-Coldtrail-Event": alert.event },
        });
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
    },
    close: () => transport.close(),
  };
}
