import type { SqlClient, SqlQueries, SqlTransaction, SqlValue } from "../db/sql/client.js";
import { conflict, notFound } from "../errors.js";
import { recordAudit } from "../registry/audit.js";
import { type Caller, ownedBy } from "../registry/caller.js";
import { newId } from "../registry/ids.js";
import { announceAlertEvent } from "./alert-notify.js";
import type { ChannelStore } from "./channel-store.js";
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
 * A check run first inside an alert change's transaction (a unit lease, ha/unit-leases.ts
 * `check`): when it says no, nothing of the change is written and the change fails with its reason.
 */
export type ChangeGuard = (tx: SqlTransaction) => Promise<{ ok: true } | { ok: false; reason: string }>;

/** A change its guard refused (e.g. another instance holds the unit's lease): nothing was written. */
export class ChangeRefusedError extends Error {
  override readonly name = "ChangeRefusedError";
  constructor(reason: string) {
    super(`alert change not written: ${reason}`);
  }
}

/**
 * PostgreSQL advisory lock every alert change holds until it commits (pg_advisory_xact_lock), so
 * alert_event ids are handed out and committed in the same order: the SSE stream's resume cursor
 * (Last-Event-ID, "events after id N") can then never skip an event that commits later with a
 * smaller id. Alert changes are rare next to readings, so one at a time across instances is cheap.
 */
export const ALERT_EVENT_ORDER_LOCK = 7_263_010_412;

/**
 * The alert store, on the SQL client (SQLite or PostgreSQL): every alert change is one transaction
 * that updates the alert, writes the audit entry (for transitions), appends the event that SSE
 * replays, and enqueues one outbox row per channel that must hear it. So a change is either fully
 * recorded and queued, or not at all.
 */
export function createAlertStore(
  sql: SqlClient,
  deps: { channels: ChannelStore; settings: AlertSettings; publicUrl: () => string | null },
) {
  const { channels, settings } = deps;
  const onPostgres = sql.backend === "postgres";
  const ACTIVE_BY_SUBJECT = "SELECT * FROM alert WHERE subject = ? AND kind = ? AND state != 'resolved'";
  const RECENTLY_AUTO_RESOLVED = `SELECT * FROM alert WHERE subject = ? AND kind = ? AND state = 'resolved' AND resolved_by = '${SYSTEM_ACTOR}'
       AND resolved_ms >= ? ORDER BY resolved_ms DESC LIMIT 1`;
  const BY_ID = "SELECT * FROM alert WHERE id = ?";
  const SAME_START = "SELECT id FROM alert WHERE subject = ? AND kind = ? AND started_ms = ? LIMIT 1";
  const INSERT_ALERT = `INSERT INTO alert (id, kind, subject, state, severity, owner_id, unit_id, unit_name, probe_id, batch_ids, title, message,
       details, started_ms, opened_ms, episode_ms, updated_ms, last_notified_ms, escalation_level, occurrences)
     VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)`;
  const INSERT_EVENT =
    "INSERT INTO alert_event (alert_id, type, at_ms, owner_id, unit_id, body) VALUES (?, ?, ?, ?, ?, '') RETURNING id";
  const SET_EVENT_BODY = "UPDATE alert_event SET body = ? WHERE id = ?";
  const INSERT_OUTBOX = `INSERT INTO alert_outbox (delivery_id, event_id, event_type, alert_id, channel_id, status, next_attempt_ms, created_ms)
     VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`;
  const ORDERED_ACTIVE = "state != 'resolved' ORDER BY opened_ms, id";

  const get = async (q: SqlQueries, id: string): Promise<Alert> =>
    toAlert((await q.get(BY_ID, [id])) as Record<string, unknown>);

  async function update(q: SqlQueries, id: string, fields: Record<string, SqlValue>): Promise<Alert> {
    const cols = Object.keys(fields);
    await q.run(`UPDATE alert SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`, [
      ...cols.map((c) => fields[c] as SqlValue),
      id,
    ]);
    return get(q, id);
  }

  /** One alert change in one transaction: the guard first, then (PostgreSQL) the event-order lock. */
  function change<T>(fn: (tx: SqlTransaction) => Promise<T>, guard?: ChangeGuard): Promise<T> {
    return sql.transaction(async (tx) => {
      if (guard) {
        const g = await guard(tx);
        if (!g.ok) throw new ChangeRefusedError(g.reason);
      }
      if (onPostgres) await tx.get("SELECT pg_advisory_xact_lock(?)", [ALERT_EVENT_ORDER_LOCK]);
      return fn(tx);
    });
  }

  /** Records one event of `alert` (already updated): audit, event row with its body, outbox rows. */
  async function record(
    tx: SqlQueries,
    alert: Alert,
    type: AlertEventType,
    atMs: number,
    actor: string,
    auditDetails?: unknown,
  ): Promise<AlertChange> {
    if (type !== "updated" && type !== "reminder") {
      await recordAudit(
        tx,
        atMs,
        actor,
        `alert.${type}`,
        "alert",
        alert.id,
        auditDetails ?? { kind: alert.kind, subject: alert.subject },
      );
    }
    const inserted = (await tx.get<{ id: number }>(INSERT_EVENT, [
      alert.id,
      type,
      atMs,
      alert.ownerId,
      alert.unitId,
    ])) as { id: number };
    const eventId = Number(inserted.id);
    const body = JSON.stringify(alertPayload(alert, { id: eventId, type, atMs }, deps.publicUrl()));
    await tx.run(SET_EVENT_BODY, [body, eventId]);
    // The other instances' SSE streams (alert-notify.ts); delivered only if this commits.
    if (onPostgres) await announceAlertEvent(tx, eventId);
    if (NOTIFYING_EVENTS.has(type)) {
      // The delivery id is fixed here, once: every retry, from any instance, sends the same one.
      for (const c of await channels.channelsFor(alert, tx)) {
        await tx.run(INSERT_OUTBOX, [
          `${alert.id}.${eventId}.${c.id}`,
          eventId,
          type,
          alert.id,
          c.id,
          atMs,
          atMs,
        ]);
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

  async function raise(tx: SqlQueries, i: Extract<AlertIntent, { op: "raise" }>): Promise<AlertChange[]> {
    const active = await tx.get(ACTIVE_BY_SUBJECT, [i.subject, i.kind]);
    if (active) {
      const a = toAlert(active);
      // The same episode again (docs/high-availability.md item 4): the raise that opened this
      // alert, or one whose condition started no later than the episode was opened while the
      // store never heard it clear. A new lease holder re-applying what the old one committed, or
      // an instance's shadow monitor raising what the holder already wrote: nothing to change, no
      // event, no occurrence, no delivery.
      if (i.startedMs === a.startedMs || (a.clearedMs === null && i.startedMs <= a.episodeMs)) return [];
      // The same condition again while its alert is unresolved (flapping, or a restart): one alert.
      const merged = await update(tx, a.id, {
        severity: SEVERITY_RANK[i.severity] > SEVERITY_RANK[a.severity] ? i.severity : a.severity,
        title: i.title,
        message: i.message,
        details: JSON.stringify({ ...a.details, ...i.details }),
        batch_ids: JSON.stringify([...new Set([...a.batchIds, ...i.batchIds])]),
        updated_ms: i.atMs,
        cleared_ms: null,
        occurrences: a.occurrences + 1,
      });
      return [
        await record(tx, merged, "recurred", i.atMs, SYSTEM_ACTOR, { occurrences: merged.occurrences }),
      ];
    }
    // An episode that was raised and has ended (a new holder re-applying a raise and the clear
    // that followed it, both committed by the old holder): already told, nothing to change.
    if (await tx.get(SAME_START, [i.subject, i.kind, i.startedMs])) return [];
    const recent = await tx.get(RECENTLY_AUTO_RESOLVED, [
      i.subject,
      i.kind,
      i.atMs - settings.reopenWithinMin * 60_000,
    ]);
    if (recent) {
      const a = toAlert(recent);
      const reopened = await update(tx, a.id, {
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
      return [
        await record(tx, reopened, "reopened", i.atMs, SYSTEM_ACTOR, { occurrences: reopened.occurrences }),
      ];
    }
    const id = newId("a");
    await tx.run(INSERT_ALERT, [
      id,
      i.kind,
      i.subject,
      i.severity,
      i.ownerId,
      i.unitId,
      i.unitName,
      i.probeId,
      JSON.stringify(i.batchIds),
      i.title,
      i.message,
      JSON.stringify(i.details),
      i.startedMs,
      i.atMs,
      i.atMs,
      i.atMs,
      i.atMs,
    ]);
    const a = await get(tx, id);
    return [
      await record(tx, a, "opened", i.atMs, SYSTEM_ACTOR, {
        kind: a.kind,
        subject: a.subject,
        severity: a.severity,
        title: a.title,
      }),
    ];
  }

  async function clear(tx: SqlQueries, i: Extract<AlertIntent, { op: "clear" }>): Promise<AlertChange[]> {
    const active = await tx.get(ACTIVE_BY_SUBJECT, [i.subject, i.kind]);
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
      const cleared = await update(tx, a.id, { ...base, cleared_ms: i.atMs });
      return [await record(tx, cleared, "cleared", i.atMs, SYSTEM_ACTOR)];
    }
    const resolved = await update(tx, a.id, {
      ...base,
      state: "resolved",
      cleared_ms: i.atMs,
      resolved_ms: i.atMs,
      resolved_by: SYSTEM_ACTOR,
    });
    return [await record(tx, resolved, "resolved", i.atMs, SYSTEM_ACTOR, { by: "condition cleared" })];
  }

  async function visible(q: SqlQueries, caller: Caller, id: string): Promise<Alert> {
    const own = ownedBy(caller);
    const r = await q.get(`SELECT * FROM alert WHERE id = ? AND ${own.sql}`, [id, ...own.params]);
    if (!r) throw notFound("alert", id);
    return toAlert(r);
  }

  const when = (ms: number | null) => (ms === null ? "?" : new Date(ms).toISOString());
  const rows = async (text: string, params: readonly SqlValue[]): Promise<Alert[]> =>
    (await sql.query(text, params)).map(toAlert);

  return {
    /** Applies one intent of the engine in one transaction (guarded, if given); the committed changes. */
    applyOne(intent: AlertIntent, guard?: ChangeGuard): Promise<AlertChange[]> {
      return change((tx) => (intent.op === "raise" ? raise(tx, intent) : clear(tx, intent)), guard);
    },
    /** Applies the engine's intents, each in its own transaction, in order; returns the committed changes. */
    async apply(intents: readonly AlertIntent[], guard?: ChangeGuard): Promise<AlertChange[]> {
      const out: AlertChange[] = [];
      for (const i of intents) out.push(...(await this.applyOne(i, guard)));
      return out;
    },

    /** Resolves once the acknowledgement has committed (what an HTTP answer may then report). */
    acknowledge(
      caller: Caller,
      id: string,
      comment: string | null,
      atMs: number,
      guard?: ChangeGuard,
    ): Promise<AlertChange[]> {
      return change(async (tx) => {
        const a = await visible(tx, caller, id);
        if (a.state === "resolved")
          throw conflict(
            `alert "${id}" was already resolved at ${when(a.resolvedMs)}; nothing to acknowledge`,
          );
        if (a.state === "acknowledged") {
          throw conflict(
            `alert "${id}" was already acknowledged by "${a.acknowledgedBy}" at ${when(a.acknowledgedMs)}`,
          );
        }
        const acked = await update(tx, a.id, {
          state: "acknowledged",
          acknowledged_ms: atMs,
          acknowledged_by: caller.accountId,
          comment,
          updated_ms: atMs,
        });
        const changes = [await record(tx, acked, "acknowledged", atMs, caller.accountId, { comment })];
        // A latched alert whose condition already cleared needs nothing more once acknowledged.
        if (acked.clearedMs !== null) {
          const resolved = await update(tx, a.id, {
            state: "resolved",
            resolved_ms: atMs,
            resolved_by: caller.accountId,
          });
          changes.push(
            await record(tx, resolved, "resolved", atMs, caller.accountId, {
              by: "acknowledged after the condition cleared",
            }),
          );
        }
        return changes;
      }, guard);
    },

    resolve(
      caller: Caller,
      id: string,
      comment: string | null,
      atMs: number,
      guard?: ChangeGuard,
    ): Promise<AlertChange[]> {
      return change(async (tx) => {
        const a = await visible(tx, caller, id);
        if (a.state === "resolved") {
          throw conflict(`alert "${id}" was already resolved by "${a.resolvedBy}" at ${when(a.resolvedMs)}`);
        }
        const resolved = await update(tx, a.id, {
          state: "resolved",
          resolved_ms: atMs,
          resolved_by: caller.accountId,
          resolve_comment: comment,
          updated_ms: atMs,
        });
        return [await record(tx, resolved, "resolved", atMs, caller.accountId, { comment })];
      }, guard);
    },

    /** A reminder or an escalation, decided by `dueNotice`. */
    notice(
      id: string,
      type: "reminder" | "escalated",
      level: number,
      atMs: number,
      guard?: ChangeGuard,
    ): Promise<AlertChange[]> {
      return change(async (tx) => {
        const a = await get(tx, id);
        if (a.state === "resolved") return [];
        const noticed = await update(tx, a.id, { last_notified_ms: atMs, escalation_level: level });
        return [
          await record(
            tx,
            noticed,
            type,
            atMs,
            SYSTEM_ACTOR,
            type === "escalated" ? { from: a.escalationLevel, to: level } : undefined,
          ),
        ];
      }, guard);
    },

    get(caller: Caller, id: string): Promise<Alert> {
      return visible(sql, caller, id);
    },
    /** Whether rows owned by `ownerId` are the caller's to see (`ownedBy`, for the live stream). */
    async ownerVisibleTo(caller: Caller, ownerId: string): Promise<boolean> {
      const own = ownedBy(caller, "o.owner_id");
      return (
        (await sql.get(`SELECT 1 AS one FROM (SELECT CAST(? AS TEXT) AS owner_id) o WHERE ${own.sql}`, [
          ownerId,
          ...own.params,
        ])) !== undefined
      );
    },
    /** An account's name, for answers that name who acknowledged or resolved; null if none. */
    async nameOf(accountId: string | null): Promise<string | null> {
      if (accountId === null) return null;
      return (
        (await sql.get<{ name: string }>("SELECT name FROM account WHERE id = ?", [accountId]))?.name ?? null
      );
    },
    /** A batch's passport code (printed on its label), or null if the batch is gone. */
    async codeOf(batchId: string): Promise<string | null> {
      return (
        (await sql.get<{ code: string }>("SELECT code FROM batch WHERE id = ?", [batchId]))?.code ?? null
      );
    },
    async list(caller: Caller, q: AlertQuery): Promise<Alert[]> {
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
        const b = await sql.get(BY_ID, [q.beforeId]);
        if (b) {
          where.push("(opened_ms < ? OR (opened_ms = ? AND id < ?))");
          params.push(b.opened_ms as number, b.opened_ms as number, q.beforeId);
        }
      }
      return rows(
        `SELECT * FROM alert WHERE ${where.join(" AND ")} ORDER BY opened_ms DESC, id DESC LIMIT ?`,
        [...params, q.limit],
      );
    },
    /** Every unresolved alert, for reminders and escalation. */
    active(): Promise<Alert[]> {
      return rows(`SELECT * FROM alert WHERE ${ORDERED_ACTIVE}`, []);
    },
    activeOfUnit(unitId: string): Promise<Alert[]> {
      return rows(`SELECT * FROM alert WHERE unit_id = ? AND ${ORDERED_ACTIVE}`, [unitId]);
    },
    async openCountOf(unitId: string): Promise<number> {
      const r = await sql.get<{ n: number }>(
        "SELECT count(*) AS n FROM alert WHERE unit_id = ? AND state != 'resolved'",
        [unitId],
      );
      return Number(r?.n ?? 0);
    },
    /** A unit's unresolved alerts, split: nobody has acknowledged them yet (open), or someone has. */
    async countsOf(unitId: string): Promise<{ open: number; acknowledged: number }> {
      const out = { open: 0, acknowledged: 0 };
      for (const r of await sql.query<{ state: string; n: number }>(
        "SELECT state, count(*) AS n FROM alert WHERE unit_id = ? AND state != 'resolved' GROUP BY state",
        [unitId],
      )) {
        if (r.state === "open") out.open = Number(r.n);
        else if (r.state === "acknowledged") out.acknowledged = Number(r.n);
      }
      return out;
    },
    async deliveriesOf(alertId: string): Promise<Delivery[]> {
      return (
        await sql.query(
          `SELECT o.*, c.kind AS channel_kind FROM alert_outbox o JOIN alert_channel c ON c.id = o.channel_id
           WHERE o.alert_id = ? ORDER BY o.id`,
          [alertId],
        )
      ).map(toDelivery);
    },
    /**
     * Events after `afterId` that the caller may see, oldest first. Ids commit in order on both
     * backends (SQLite: one writer; PostgreSQL: ALERT_EVENT_ORDER_LOCK), so nothing committed
     * later can have an id at or below one already read.
     */
    async eventsAfter(caller: Caller, afterId: number, limit: number): Promise<AlertEvent[]> {
      const own = ownedBy(caller);
      return (
        await sql.query(`SELECT * FROM alert_event WHERE id > ? AND ${own.sql} ORDER BY id LIMIT ?`, [
          afterId,
          ...own.params,
          limit,
        ])
      ).map(toEvent);
    },
    /** The newest committed event's id (where a stream without Last-Event-ID starts). */
    async lastEventId(): Promise<number> {
      if (onPostgres) {
        // Committed rows only: an id handed out to a change still in flight is above it, and is
        // streamed once it commits. (Pruning keeps the newest events: they are the youngest.)
        const r = await sql.get<{ id: number | null }>("SELECT max(id) AS id FROM alert_event");
        return Number(r?.id ?? 0);
      }
      // sqlite_sequence, not max(id): pruning must not make ids look like they went back.
      const r = await sql.get<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'alert_event'");
      return r?.seq ?? 0;
    },
    async pruneEvents(beforeMs: number): Promise<number> {
      return (
        await sql.run(
          `DELETE FROM alert_event WHERE at_ms < ?
             AND id NOT IN (SELECT event_id FROM alert_outbox WHERE status IN ('pending', 'failed'))`,
          [beforeMs],
        )
      ).changes;
    },
  };
}
export type AlertStore = ReturnType<typeof createAlertStore>;
