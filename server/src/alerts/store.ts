import type { Db } from "../db/open.js";
import { conflict, notFound } from "../errors.js";
import type { Audit } from "../registry/audit.js";
import { type Caller, ownedBy } from "../registry/caller.js";
import { newId } from "../registry/ids.js";
import { hears, liveForOwnerSql, toChannel } from "./channel-store.js";
import type { AlertSettings } from "./settings.js";
import {
  type Alert,
  type AlertEvent,
  type AlertEventType,
  type AlertIntent,
  type AlertKind,
  type AlertState,
  type ChannelKind,
  type Delivery,
  type DeliveryStatus,
  NOTIFYING_EVENTS,
  type Severity,
} from "./types.js";
import { alertPayload } from "./view.js";

/** The actor of changes the server makes itself (auto-resolve, escalation), in the audit log. */
export const SYSTEM_ACTOR = "system";

/** One change of one alert, as committed: for the live stream and the outbox worker. */
export interface AlertChange {
  alert: Alert;
  event: AlertEvent;
}

function toAlert(r: Record<string, unknown>): Alert {
  return {
    id: r.id as string,
    kind: r.kind as AlertKind,
    subject: r.subject as string,
    state: r.state as AlertState,
    severity: r.severity as Severity,
    ownerId: r.owner_id as string,
    unitId: (r.unit_id as string | null) ?? null,
    unitName: (r.unit_name as string | null) ?? null,
    probeId: (r.probe_id as string | null) ?? null,
    batchIds: JSON.parse(r.batch_ids as string) as string[],
    title: r.title as string,
    message: r.message as string,
    details: JSON.parse(r.details as string) as Record<string, unknown>,
    startedMs: r.started_ms as number,
    openedMs: r.opened_ms as number,
    episodeMs: r.episode_ms as number,
    updatedMs: r.updated_ms as number,
    clearedMs: (r.cleared_ms as number | null) ?? null,
    acknowledgedMs: (r.acknowledged_ms as number | null) ?? null,
    acknowledgedBy: (r.acknowledged_by as string | null) ?? null,
    comment: (r.comment as string | null) ?? null,
    resolvedMs: (r.resolved_ms as number | null) ?? null,
    resolvedBy: (r.resolved_by as string | null) ?? null,
    resolveComment: (r.resolve_comment as string | null) ?? null,
    lastNotifiedMs: (r.last_notified_ms as number | null) ?? null,
    escalationLevel: r.escalation_level as number,
    occurrences: r.occurrences as number,
  };
}

function toEvent(r: Record<string, unknown>): AlertEvent {
  return {
    id: r.id as number,
    alertId: r.alert_id as string,
    type: r.type as AlertEventType,
    atMs: r.at_ms as number,
    ownerId: r.owner_id as string,
    unitId: (r.unit_id as string | null) ?? null,
    body: r.body as string,
  };
}

export function toDelivery(r: Record<string, unknown>): Delivery {
  return {
    id: r.id as number,
    deliveryId: r.delivery_id as string,
    eventId: r.event_id as number,
    eventType: r.event_type as AlertEventType,
    alertId: r.alert_id as string,
    channelId: r.channel_id as string,
    channelKind: r.channel_kind as ChannelKind,
    status: r.status as DeliveryStatus,
    attempts: r.attempts as number,
    nextAttemptMs: (r.next_attempt_ms as number | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    createdMs: r.created_ms as number,
    deliveredMs: (r.delivered_ms as number | null) ?? null,
  };
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export interface AlertQuery {
  state?: AlertState | "active" | undefined;
  unitId?: string | undefined;
  kind?: AlertKind | undefined;
  limit: number;
  /** Paging: alerts opened before this alert (by opened time, then id). */
  beforeId?: string | undefined;
}

/**
 * The alert store: every alert change is one transaction that updates the alert, writes the
 * audit entry (for transitions), appends the event that SSE replays, and enqueues one outbox row
 * per channel that must hear it. So a change is either fully recorded and queued, or not at all.
 */
export function createAlertStore(
  db: Db,
  deps: { audit: Audit; settings: AlertSettings; publicUrl: () => string | null },
) {
  const { audit, settings } = deps;
  const liveChannels = db.prepare(liveForOwnerSql("c.created_ms, c.rowid"));
  const activeBySubject = db.prepare(
    "SELECT * FROM alert WHERE subject = ? AND kind = ? AND state != 'resolved'",
  );
  const recentlyAutoResolved = db.prepare(
    `SELECT * FROM alert WHERE subject = ? AND kind = ? AND state = 'resolved' AND resolved_by = '${SYSTEM_ACTOR}'
       AND resolved_ms >= ? ORDER BY resolved_ms DESC LIMIT 1`,
  );
  const byId = db.prepare("SELECT * FROM alert WHERE id = ?");
  const insertAlert = db.prepare(
    `INSERT INTO alert (id, kind, subject, state, severity, owner_id, unit_id, unit_name, probe_id, batch_ids, title, message,
       details, started_ms, opened_ms, episode_ms, updated_ms, last_notified_ms, escalation_level, occurrences)
     VALUES (@id, @kind, @subject, 'open', @severity, @ownerId, @unitId, @unitName, @probeId, @batchIds, @title, @message,
       @details, @startedMs, @atMs, @atMs, @atMs, @atMs, 0, 1)`,
  );
  const insertEvent = db.prepare(
    "INSERT INTO alert_event (alert_id, type, at_ms, owner_id, unit_id, body) VALUES (?, ?, ?, ?, ?, '')",
  );
  const setEventBody = db.prepare("UPDATE alert_event SET body = ? WHERE id = ?");
  const insertOutbox = db.prepare(
    `INSERT INTO alert_outbox (delivery_id, event_id, event_type, alert_id, channel_id, status, next_attempt_ms, created_ms)
     VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
  );
  const activeAll = db.prepare("SELECT * FROM alert WHERE state != 'resolved' ORDER BY opened_ms, id");
  const openCount = db
    .prepare("SELECT count(*) FROM alert WHERE unit_id = ? AND state != 'resolved'")
    .pluck();
  const countsByState = db.prepare(
    "SELECT state, count(*) AS n FROM alert WHERE unit_id = ? AND state != 'resolved' GROUP BY state",
  );
  const activeOfUnit = db.prepare(
    "SELECT * FROM alert WHERE unit_id = ? AND state != 'resolved' ORDER BY opened_ms, id",
  );
  const deliveriesOf = db.prepare(
    `SELECT o.*, c.kind AS channel_kind FROM alert_outbox o JOIN alert_channel c ON c.id = o.channel_id
     WHERE o.alert_id = ? ORDER BY o.id`,
  );
  const pruneEvents = db.prepare(
    `DELETE FROM alert_event WHERE at_ms < ?
       AND id NOT IN (SELECT event_id FROM alert_outbox WHERE status IN ('pending', 'failed'))`,
  );

  const get = (id: string): Alert => toAlert(byId.get(id) as Record<string, unknown>);

  function update(id: string, fields: Record<string, unknown>): Alert {
    const cols = Object.keys(fields);
    db.prepare(`UPDATE alert SET ${cols.map((c) => `${c} = @${c}`).join(", ")} WHERE id = @id`).run({
      ...fields,
      id,
    });
    return get(id);
  }

  /** Records one event of `alert` (already updated): audit, event row with its body, outbox rows. */
  function record(
    alert: Alert,
    type: AlertEventType,
    atMs: number,
    actor: string,
    auditDetails?: unknown,
  ): AlertChange {
    if (type !== "updated" && type !== "reminder") {
      audit.record(
        atMs,
        actor,
        `alert.${type}`,
        "alert",
        alert.id,
        auditDetails ?? { kind: alert.kind, subject: alert.subject },
      );
    }
    const eventId = Number(
      insertEvent.run(alert.id, type, atMs, alert.ownerId, alert.unitId).lastInsertRowid,
    );
    const body = JSON.stringify(alertPayload(alert, { id: eventId, type, atMs }, deps.publicUrl()));
    setEventBody.run(body, eventId);
    if (NOTIFYING_EVENTS.has(type)) {
      const live = (liveChannels.all(alert.ownerId, alert.ownerId) as Record<string, unknown>[]).map(
        toChannel,
      );
      for (const c of live.filter((c) => hears(c, alert))) {
        insertOutbox.run(`${alert.id}.${eventId}.${c.id}`, eventId, type, alert.id, c.id, atMs, atMs);
      }
    }
    return {
      alert,
      event: {
        id: eventId,
        alertId: alert.id,
        type,
        atMs,
        ownerId: alert.ownerId,
        unitId: alert.unitId,
        body,
      },
    };
  }

  function raise(i: Extract<AlertIntent, { op: "raise" }>): AlertChange[] {
    const active = activeBySubject.get(i.subject, i.kind) as Record<string, unknown> | undefined;
    if (active) {
      const a = toAlert(active);
      // The same condition again while its alert is unresolved (flapping, or a restart): one alert.
      const merged = update(a.id, {
        severity: SEVERITY_RANK[i.severity] > SEVERITY_RANK[a.severity] ? i.severity : a.severity,
        title: i.title,
        message: i.message,
        details: JSON.stringify({ ...a.details, ...i.details }),
        batch_ids: JSON.stringify([...new Set([...a.batchIds, ...i.batchIds])]),
        updated_ms: i.atMs,
        cleared_ms: null,
        occurrences: a.occurrences + 1,
      });
      return [record(merged, "recurred", i.atMs, SYSTEM_ACTOR, { occurrences: merged.occurrences })];
    }
    const recent = recentlyAutoResolved.get(i.subject, i.kind, i.atMs - settings.reopenWithinMin * 60_000) as
      | Record<string, unknown>
      | undefined;
    if (recent) {
      const a = toAlert(recent);
      const reopened = update(a.id, {
        state: "open",
        severity: i.severity,
        title: i.title,
        message: i.message,
        details: JSON.stringify({ ...a.details, ...i.details }),
        batch_ids: JSON.stringify([...new Set([...a.batchIds, ...i.batchIds])]),
        episode_ms: i.atMs,
        updated_ms: i.atMs,
        cleared_ms: null,
        acknowledged_ms: null,
        acknowledged_by: null,
        comment: null,
        resolved_ms: null,
        resolved_by: null,
        resolve_comment: null,
        last_notified_ms: i.atMs,
        escalation_level: 0,
        occurrences: a.occurrences + 1,
      });
      return [record(reopened, "reopened", i.atMs, SYSTEM_ACTOR, { occurrences: reopened.occurrences })];
    }
    const id = newId("a");
    insertAlert.run({
      id,
      kind: i.kind,
      subject: i.subject,
      severity: i.severity,
      ownerId: i.ownerId,
      unitId: i.unitId,
      unitName: i.unitName,
      probeId: i.probeId,
      batchIds: JSON.stringify(i.batchIds),
      title: i.title,
      message: i.message,
      details: JSON.stringify(i.details),
      startedMs: i.startedMs,
      atMs: i.atMs,
    });
    const a = get(id);
    return [
      record(a, "opened", i.atMs, SYSTEM_ACTOR, {
        kind: a.kind,
        subject: a.subject,
        severity: a.severity,
        title: a.title,
      }),
    ];
  }

  function clear(i: Extract<AlertIntent, { op: "clear" }>): AlertChange[] {
    const active = activeBySubject.get(i.subject, i.kind) as Record<string, unknown> | undefined;
    if (!active) return [];
    const a = toAlert(active);
    if (a.clearedMs !== null) return [];
    const base = {
      message: i.message,
      details: JSON.stringify({ ...a.details, ...i.details }),
      updated_ms: i.atMs,
    };
    if (settings.latching && a.state === "open") {
      // Nobody has acknowledged it yet: it stays open, and reminders go on until someone does.
      const cleared = update(a.id, { ...base, cleared_ms: i.atMs });
      return [record(cleared, "cleared", i.atMs, SYSTEM_ACTOR)];
    }
    const resolved = update(a.id, {
      ...base,
      state: "resolved",
      cleared_ms: i.atMs,
      resolved_ms: i.atMs,
      resolved_by: SYSTEM_ACTOR,
    });
    return [record(resolved, "resolved", i.atMs, SYSTEM_ACTOR, { by: "condition cleared" })];
  }

  function visible(caller: Caller, id: string): Alert {
    const own = ownedBy(caller);
    const r = db.prepare(`SELECT * FROM alert WHERE id = ? AND ${own.sql}`).get(id, ...own.params);
    if (!r) throw notFound("alert", id);
    return toAlert(r as Record<string, unknown>);
  }

  const nameById = db.prepare("SELECT name FROM account WHERE id = ?").pluck();
  const codeById = db.prepare("SELECT code FROM batch WHERE id = ?").pluck();

  const when = (ms: number | null) => (ms === null ? "?" : new Date(ms).toISOString());

  return {
    /** Applies the engine's intents, each in its own transaction; returns the committed changes. */
    apply(intents: readonly AlertIntent[]): AlertChange[] {
      const out: AlertChange[] = [];
      for (const i of intents) out.push(...db.transaction(() => (i.op === "raise" ? raise(i) : clear(i)))());
      return out;
    },

    acknowledge(caller: Caller, id: string, comment: string | null, atMs: number): AlertChange[] {
      return db.transaction(() => {
        const a = visible(caller, id);
        if (a.state === "resolved")
          throw conflict(
            `alert "${id}" was already resolved at ${when(a.resolvedMs)}; nothing to acknowledge`,
          );
        if (a.state === "acknowledged") {
          throw conflict(
            `alert "${id}" was already acknowledged by "${a.acknowledgedBy}" at ${when(a.acknowledgedMs)}`,
          );
        }
        const acked = update(a.id, {
          state: "acknowledged",
          acknowledged_ms: atMs,
          acknowledged_by: caller.accountId,
          comment,
          updated_ms: atMs,
        });
        const changes = [record(acked, "acknowledged", atMs, caller.accountId, { comment })];
        // A latched alert whose condition already cleared needs nothing more once acknowledged.
        if (acked.clearedMs !== null) {
          const resolved = update(a.id, {
            state: "resolved",
            resolved_ms: atMs,
            resolved_by: caller.accountId,
          });
          changes.push(
            record(resolved, "resolved", atMs, caller.accountId, {
              by: "acknowledged after the condition cleared",
            }),
          );
        }
        return changes;
      })();
    },

    resolve(caller: Caller, id: string, comment: string | null, atMs: number): AlertChange[] {
      return db.transaction(() => {
        const a = visible(caller, id);
        if (a.state === "resolved") {
          throw conflict(`alert "${id}" was already resolved by "${a.resolvedBy}" at ${when(a.resolvedMs)}`);
        }
        const resolved = update(a.id, {
          state: "resolved",
          resolved_ms: atMs,
          resolved_by: caller.accountId,
          resolve_comment: comment,
          updated_ms: atMs,
        });
        return [record(resolved, "resolved", atMs, caller.accountId, { comment })];
      })();
    },

    /** A reminder or an escalation, decided by `dueNotice`. */
    notice(id: string, type: "reminder" | "escalated", level: number, atMs: number): AlertChange[] {
      return db.transaction(() => {
        const a = get(id);
        if (a.state === "resolved") return [];
        const noticed = update(a.id, { last_notified_ms: atMs, escalation_level: level });
        return [
          record(
            noticed,
            type,
            atMs,
            SYSTEM_ACTOR,
            type === "escalated" ? { from: a.escalationLevel, to: level } : undefined,
          ),
        ];
      })();
    },

    get(caller: Caller, id: string): Alert {
      return visible(caller, id);
    },
    /** Whether rows owned by `ownerId` are the caller's to see (`ownedBy`, for the live stream). */
    ownerVisibleTo(caller: Caller, ownerId: string): boolean {
      const own = ownedBy(caller, "o.owner_id");
      return (
        db.prepare(`SELECT 1 FROM (SELECT ? AS owner_id) o WHERE ${own.sql}`).get(ownerId, ...own.params) !==
        undefined
      );
    },
    /** An account's name, for answers that name who acknowledged or resolved; null if none. */
    nameOf(accountId: string | null): string | null {
      return accountId === null ? null : ((nameById.get(accountId) as string | undefined) ?? null);
    },
    /** A batch's passport code (printed on its label), or null if the batch is gone. */
    codeOf(batchId: string): string | null {
      return (codeById.get(batchId) as string | undefined) ?? null;
    },
    list(caller: Caller, q: AlertQuery): Alert[] {
      const own = ownedBy(caller);
      const where = [own.sql];
      const params: (string | number)[] = [...own.params];
      if (q.state === "active") where.push("state != 'resolved'");
      else if (q.state) {
        where.push("state = ?");
        params.push(q.state);
      }
      if (q.unitId) {
        where.push("unit_id = ?");
        params.push(q.unitId);
      }
      if (q.kind) {
        where.push("kind = ?");
        params.push(q.kind);
      }
      if (q.beforeId) {
        const b = byId.get(q.beforeId) as Record<string, unknown> | undefined;
        if (b) {
          where.push("(opened_ms < ? OR (opened_ms = ? AND id < ?))");
          params.push(b.opened_ms as number, b.opened_ms as number, q.beforeId);
        }
      }
      const sql = `SELECT * FROM alert WHERE ${where.join(" AND ")} ORDER BY opened_ms DESC, id DESC LIMIT ?`;
      return (db.prepare(sql).all(...params, q.limit) as Record<string, unknown>[]).map(toAlert);
    },
    /** Every unresolved alert, for reminders and escalation. */
    active(): Alert[] {
      return (activeAll.all() as Record<string, unknown>[]).map(toAlert);
    },
    activeOfUnit(unitId: string): Alert[] {
      return (activeOfUnit.all(unitId) as Record<string, unknown>[]).map(toAlert);
    },
    openCountOf(unitId: string): number {
      return openCount.get(unitId) as number;
    },
    /** A unit's unresolved alerts, split: nobody has acknowledged them yet (open), or someone has. */
    countsOf(unitId: string): { open: number; acknowledged: number } {
      const out = { open: 0, acknowledged: 0 };
      for (const r of countsByState.all(unitId) as { state: string; n: number }[]) {
        if (r.state === "open") out.open = r.n;
        else if (r.state === "acknowledged") out.acknowledged = r.n;
      }
      return out;
    },
    deliveriesOf(alertId: string): Delivery[] {
      return (deliveriesOf.all(alertId) as Record<string, unknown>[]).map(toDelivery);
    },
    /** Events after `afterId` that the caller may see, oldest first. */
    eventsAfter(caller: Caller, afterId: number, limit: number): AlertEvent[] {
      const own = ownedBy(caller);
      return (
        db
          .prepare(`SELECT * FROM alert_event WHERE id > ? AND ${own.sql} ORDER BY id LIMIT ?`)
          .all(afterId, ...own.params, limit) as Record<string, unknown>[]
      ).map(toEvent);
    },
    lastEventId(): number {
      // sqlite_sequence, not max(id): pruning must not make ids look like they went back.
      return (
        (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'alert_event'").pluck().get() as
          | number
          | undefined) ?? 0
      );
    },
    pruneEvents(beforeMs: number): number {
      return pruneEvents.run(beforeMs).changes;
    },
  };
}
export type AlertStore = ReturnType<typeof createAlertStore>;
