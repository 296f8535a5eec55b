import { z } from "zod";

/**
 * Every number the alerts module uses, with its default and why. Validated once at start-up
 * (`resolveAlertSettings`); a bad value names the setting, the value seen and the allowed range.
 */
const minutes = (max: number) => z.number().min(0).max(max);

const escalationLevel = z.strictObject({
  level: z.number().int().min(0).max(9),
  /** Who hears at this level, for people reading the configuration and the alert. */
  label: z.string().min(1).max(60),
  /** Minutes after the episode opened (unacknowledged) at which the alert reaches this level. */
  afterMin: minutes(7 * 24 * 60),
});

const schema = z.strictObject({
  /** Issue 4: a probe is offline after 15 min without a reading (15 missed one-minute readings). */
  offlineAfterMin: minutes(24 * 60).default(15),
  /**
   * Issue 11: a probe that reports less often than once a minute (a BLE thermometer every 10 min,
   * an ESP32 in deep sleep) is offline only after missing this many of its own readings, so a
   * probe keeping its interval never alarms: silence = max(offlineAfterMin, this × interval).
   */
  offlineMissedIntervals: z.number().int().min(1).max(100).default(2),
  /**
   * Design: the retained last-will `offline` status counts once it has held this long; a Wi-Fi
   * reconnect replaces it with `online` within seconds, and must not page anyone.
   */
  offlineStatusGraceMin: minutes(60).default(2),
  /** Issue 4: battery_pct below 20 % is low. */
  batteryLowPct: z.number().min(0).max(100).default(20),
  /**
   * Issue 4: battery_mv below 3300 mV is low; used only when a device sends no battery_pct. A
   * single Li-ion/LiPo cell (the ESP32 probe) is nearly empty at 3.3 V, where its 3.3 V regulator
   * also drops out.
   */
  batteryLowMv: z.number().int().min(0).max(20_000).default(3300),
  /** Design: hysteresis, so a level wobbling at the threshold does not open and clear alerts. */
  batteryClearMarginPct: z.number().min(0).max(50).default(5),
  batteryClearMarginMv: z.number().int().min(0).max(2000).default(100),
  /**
   * Design: a device clock more than 5 min off. Half of the wire protocol's 10-minute allowance
   * for future timestamps (PROTOCOL_LIMITS.maxFutureSkewMs), so a drifting clock is flagged
   * before its readings start being refused.
   */
  clockSkewMaxMin: minutes(24 * 60).default(5),
  /** Design: two live messages in a row must be off, so one delayed message does not alarm. */
  clockSkewMessages: z.number().int().min(1).max(100).default(2),
  /** Design: 20 refused messages from one probe within 10 min is a surge, not a glitch. */
  rejectSurgeCount: z.number().int().min(1).max(100_000).default(20),
  rejectSurgeWindowMin: minutes(24 * 60).default(10),
  /**
   * Issue 4: after a probe is attached or a unit created, 30 min in which excursions do not alarm:
   * a freezer or probe just switched on is still cooling down.
   */
  settleMin: minutes(24 * 60).default(30),
  /** Design: a sensor-fault alert clears after 30 min without a faulty reading. */
  sensorFaultClearMin: minutes(24 * 60).default(30),
  /** Design: how often the batches' storage budgets are checked (the callback may be costly). */
  batchCheckEveryMin: minutes(24 * 60).default(5),
  /**
   * Issue 4: donor first, after 15 min the staff on duty, after 60 min the bank's lead.
   * A channel hears an alert once the alert's level reaches the channel's `minEscalation`.
   * Acknowledging an alert stops its escalation.
   */
  escalation: z
    .array(escalationLevel)
    .min(1)
    .max(10)
    .default([
      { level: 0, label: "donor", afterMin: 0 },
      { level: 1, label: "staff on duty", afterMin: 15 },
      { level: 2, label: "bank lead", afterMin: 60 },
    ]),
  /** Design: an unacknowledged alert is repeated every 15 min until someone acknowledges it. */
  reminderEveryMin: minutes(24 * 60).default(15),
  /**
   * Design: an acknowledged alert whose condition has not cleared is repeated every 4 h (0 = never),
   * so a warm freezer someone acknowledged and then forgot is not forgotten for good.
   */
  acknowledgedReminderEveryMin: minutes(7 * 24 * 60).default(240),
  /**
   * Design: a condition that returns within 60 min of its alert auto-resolving reopens that alert
   * (a flapping freezer is one alert, not many).
   */
  reopenWithinMin: minutes(7 * 24 * 60).default(60),
  /**
   * false (default): an alert resolves itself when its condition clears (issue 4).
   * true: an unacknowledged alert stays open after its condition cleared, until someone
   * acknowledges it (latching, as lab-freezer monitors do).
   */
  latching: z.boolean().default(false),
  delivery: z
    .strictObject({
      /** Back-off after a failed delivery: doubles from minBackoffMs, capped at maxBackoffMs (5 min). */
      minBackoffMs: z.number().int().min(1).max(3_600_000).default(1000),
      maxBackoffMs: z.number().int().min(1).max(3_600_000).default(300_000),
      /** Design: a webhook or SMTP server that has not answered in 10 s is counted as failed. */
      timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
      /**
       * Issue 12: alerts to one channel, each changed within 2 s of the one before, waiting
       * together go out as one message where the medium groups (email): a power cut that warms
       * twenty freezers is one email listing twenty, not twenty emails queued behind each other.
       * Nothing waits for a group to fill: the first alert goes at once. 0 = never group.
       */
      groupWindowMs: z.number().int().min(0).max(60_000).default(2000),
      /** At most this many alerts in one grouped message. */
      groupMax: z.number().int().min(1).max(500).default(50),
      /**
       * Deliveries in flight at once, across channels (one at a time per channel, so each
       * channel hears its alerts in order). Bounds sockets and memory in a burst.
       */
      concurrency: z.number().int().min(1).max(256).default(16),
    })
    .default({
      minBackoffMs: 1000,
      maxBackoffMs: 300_000,
      timeoutMs: 10_000,
      groupWindowMs: 2000,
      groupMax: 50,
      concurrency: 16,
    }),
  /** Design: alert events are kept 30 days for SSE resumption (undelivered ones are kept anyway). */
  eventRetentionDays: z.number().min(1).max(3650).default(30),
  /**
   * Delivered and cancelled outbox rows (each delivery's record, shown under an alert's
   * `deliveries`) are kept as long as the events they carried; undelivered rows are never pruned.
   */
  outboxRetentionDays: z.number().min(1).max(3650).default(30),
});

export type AlertSettings = z.output<typeof schema>;
export type AlertSettingsInput = z.input<typeof schema>;

export function resolveAlertSettings(
  input: AlertSettingsInput = {},
): { ok: true; settings: AlertSettings } | { ok: false; reason: string } {
  const r = schema.safeParse(input);
  if (!r.success) {
    const reason = r.error.issues
      .map((i) => {
        const path = i.path.join(".") || "settings";
        const seen = i.path.reduce<unknown>(
          (o, k) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k] : undefined),
          input,
        );
        return `alert setting ${path}: ${i.message}${seen !== undefined ? ` (got ${JSON.stringify(seen)})` : ""}`;
      })
      .join("; ");
    return { ok: false, reason };
  }
  const s = r.data;
  const levels = [...s.escalation].sort((a, b) => a.level - b.level);
  if (levels[0]?.level !== 0 || levels[0].afterMin !== 0) {
    return {
      ok: false,
      reason:
        "alert setting escalation: the first level must be level 0 with afterMin 0 (someone hears at once)",
    };
  }
  for (let i = 1; i < levels.length; i++) {
    const prev = levels[i - 1] as (typeof levels)[number];
    const cur = levels[i] as (typeof levels)[number];
    if (cur.level === prev.level || cur.afterMin <= prev.afterMin) {
      return {
        ok: false,
        reason: `alert setting escalation: levels must be distinct with increasing afterMin; level ${cur.level} after ${cur.afterMin} min follows level ${prev.level} after ${prev.afterMin} min`,
      };
    }
  }
  if (s.delivery.minBackoffMs > s.delivery.maxBackoffMs) {
    return {
      ok: false,
      reason: `alert setting delivery: minBackoffMs (${s.delivery.minBackoffMs}) must not exceed maxBackoffMs (${s.delivery.maxBackoffMs})`,
    };
  }
  return { ok: true, settings: { ...s, escalation: levels } };
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = (() => {
  const r = resolveAlertSettings();
  if (!r.ok) throw new Error(r.reason);
  return r.settings;
})();
