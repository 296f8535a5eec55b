import type { AlertSettings } from "./settings.js";
import type { Alert } from "./types.js";

export type Notice = { type: "escalated"; level: number } | { type: "reminder"; level: number };

/**
 * What an unresolved alert is due now, if anything (pure; the clock is passed in):
 * - unacknowledged: the highest escalation level whose time has come, else a reminder every
 *   `reminderEveryMin` since the last notice;
 * - acknowledged (condition still there): no escalation; a reminder every
 *   `acknowledgedReminderEveryMin` since the acknowledgement or the last notice (0 = never).
 * So reminders stop once an alert is both acknowledged and cleared (= resolved).
 */
export function dueNotice(
  a: Pick<Alert, "state" | "episodeMs" | "lastNotifiedMs" | "acknowledgedMs" | "escalationLevel">,
  s: Pick<AlertSettings, "escalation" | "reminderEveryMin" | "acknowledgedReminderEveryMin">,
  nowMs: number,
): Notice | null {
  if (a.state === "resolved") return null;
  const last = Math.max(a.lastNotifiedMs ?? a.episodeMs, a.acknowledgedMs ?? Number.NEGATIVE_INFINITY);
  if (a.state === "acknowledged") {
    const every = s.acknowledgedReminderEveryMin * 60_000;
    return every > 0 && nowMs - last >= every ? { type: "reminder", level: a.escalationLevel } : null;
  }
  let target = a.escalationLevel;
  for (const l of s.escalation) {
    if (l.level > target && nowMs - a.episodeMs >= l.afterMin * 60_000) target = l.level;
  }
  if (target > a.escalationLevel) return { type: "escalated", level: target };
  const every = s.reminderEveryMin * 60_000;
  return every > 0 && nowMs - last >= every ? { type: "reminder", level: a.escalationLevel } : null;
}
