import { randomBytes } from "node:crypto";
import type { SqlClient, SqlQueries } from "../db/sql/client.js";
import { notFound } from "../errors.js";
import { recordAudit } from "../registry/audit.js";
import { type Caller, ownedBy } from "../registry/caller.js";
import { newId } from "../registry/ids.js";
import type { SecretBox } from "./secret-box.js";
import type { Alert, AlertKind, Channel, ChannelKind } from "./types.js";

/** A channel row as the code uses it; its secret stays sealed (the outbox opens it to deliver). */
export function toChannel(r: Record<string, unknown>): Channel {
  return {
    id: r.id as string,
    ownerId: r.owner_id as string,
    kind: r.kind as ChannelKind,
    target: r.target as string,
    secret: (r.secret as string | null) ?? null,
    unitIds: r.unit_ids === null ? null : (JSON.parse(r.unit_ids as string) as string[]),
    alertKinds: r.alert_kinds === null ? null : (JSON.parse(r.alert_kinds as string) as AlertKind[]),
    minEscalation: r.min_escalation as number,
    createdMs: r.created_ms as number,
    deletedMs: (r.deleted_ms as number | null) ?? null,
  };
}

/** Whether a channel whose owner may see the alert hears it at the alert's escalation level. Pure. */
export function hears(c: Channel, alert: Alert): boolean {
  return (
    c.minEscalation <= alert.escalationLevel &&
    (c.alertKinds === null || c.alertKinds.includes(alert.kind)) &&
    (c.unitIds === null || (alert.unitId !== null && c.unitIds.includes(alert.unitId)))
  );
}

/**
 * Creation order of channels made in the same millisecond: SQLite's rowid (as before the SQL
 * client); PostgreSQL has none, so ties go by id there.
 */
export const channelOrder = (sql: Pick<SqlClient, "backend">, alias = ""): string =>
  sql.backend === "sqlite" ? `${alias}created_ms, ${alias}rowid` : `${alias}created_ms, ${alias}id`;

/**
 * Live channels whose owner may see alerts owned by `?` (as `ownedBy` decides): its owner's own,
 * staff's those of every account of their site, an admin's everyone's. Takes the owner twice.
 */
export const liveForOwnerSql = (order: string) =>
  `SELECT c.* FROM alert_channel c LEFT JOIN account a ON a.id = c.owner_id
     WHERE c.deleted_ms IS NULL AND (
       c.owner_id = ? OR a.role = 'admin'
       OR (a.role = 'staff' AND a.site_id IS NOT NULL
           AND a.site_id = (SELECT site_id FROM account WHERE id = ?))
     ) ORDER BY ${order}`;

export interface NewChannel {
  kind: ChannelKind;
  target: string;
  secret?: string | undefined;
  unitIds?: string[] | undefined;
  alertKinds?: AlertKind[] | undefined;
  minEscalation?: number | undefined;
}

const INSERT_SQL = `INSERT INTO alert_channel (id, owner_id, kind, target, secret, unit_ids, alert_kinds, min_escalation, created_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const MARK_DELETED_SQL = "UPDATE alert_channel SET deleted_ms = ? WHERE id = ? AND deleted_ms IS NULL";
const CANCEL_PENDING_SQL =
  "UPDATE alert_outbox SET status = 'cancelled', last_error = 'channel deleted' WHERE channel_id = ? AND status IN ('pending', 'failed')";

/**
 * Alert channels: where alerts go (a webhook URL, an email address, MQTT), owned like units. On
 * the SQL client (either backend). Methods that change or read channels as part of a larger
 * change take that change's transaction as `q` (default: the client, in a transaction of their own).
 */
export function createChannelStore(
  sql: SqlClient,
  /** Seals secrets before they are stored. */
  box: SecretBox,
  /** After a channel is created (e.g. to get its medium ready). */
  onCreated: (kind: ChannelKind) => void = () => undefined,
) {
  const order = channelOrder(sql);
  const liveForOwner = liveForOwnerSql(channelOrder(sql, "c."));
  /** Runs `fn` in `q` when given (the caller's transaction), else in a transaction of its own. */
  const within = <T>(q: SqlQueries | undefined, fn: (q: SqlQueries) => Promise<T>): Promise<T> =>
    q ? fn(q) : sql.transaction(fn);

  async function markDeleted(q: SqlQueries, id: string, nowMs: number, actor: string, details?: unknown) {
    if ((await q.run(MARK_DELETED_SQL, [nowMs, id])).changes === 0) return false;
    await q.run(CANCEL_PENDING_SQL, [id]);
    await recordAudit(q, nowMs, actor, "channel.deleted", "channel", id, details);
    return true;
  }

  const store = {
    /** Creates a channel; a webhook without a secret gets a generated one, returned once. */
    async create(
      caller: Caller,
      input: NewChannel,
      nowMs: number,
      q?: SqlQueries,
    ): Promise<{ channel: Channel; secret: string | null }> {
      const id = newId("c");
      const secret =
        input.secret ?? (input.kind === "webhook" ? randomBytes(32).toString("base64url") : null);
      const channel = await within(q, async (tx) => {
        await tx.run(INSERT_SQL, [
          id,
          caller.accountId,
          input.kind,
          input.target,
          secret === null ? null : box.seal(secret),
          input.unitIds ? JSON.stringify(input.unitIds) : null,
          input.alertKinds ? JSON.stringify(input.alertKinds) : null,
          input.minEscalation ?? 0,
          nowMs,
        ]);
        // The target may be a person's address; the audit keeps only the kind and filters.
        await recordAudit(tx, nowMs, caller.accountId, "channel.created", "channel", id, {
          kind: input.kind,
          unitIds: input.unitIds ?? null,
          alertKinds: input.alertKinds ?? null,
          minEscalation: input.minEscalation ?? 0,
        });
        return (await store.get(id, tx)) as Channel;
      });
      onCreated(input.kind);
      return { channel, secret: input.secret === undefined ? secret : null };
    },
    /** Whether any channel of this kind exists (not deleted). */
    async hasAny(kind: ChannelKind): Promise<boolean> {
      return (
        (await sql.get("SELECT 1 AS one FROM alert_channel WHERE deleted_ms IS NULL AND kind = ? LIMIT 1", [
          kind,
        ])) !== undefined
      );
    },
    async get(id: string, q: SqlQueries = sql): Promise<Channel | null> {
      const r = await q.get("SELECT * FROM alert_channel WHERE id = ?", [id]);
      return r ? toChannel(r) : null;
    },
    async list(caller: Caller): Promise<Channel[]> {
      const own = ownedBy(caller);
      return (
        await sql.query(
          `SELECT * FROM alert_channel WHERE deleted_ms IS NULL AND ${own.sql} ORDER BY ${order}`,
          own.params,
        )
      ).map(toChannel);
    },
    /** The channel with its secret opened, for a medium sending to it now; throws SecretKeyMismatchError. */
    opened(c: Channel): Channel {
      return c.secret === null ? c : { ...c, secret: box.open(c.secret) };
    },
    /** Replaces a channel's secret (a browser's new push keys), sealed. */
    async setSecret(id: string, secret: string, q: SqlQueries = sql): Promise<void> {
      await q.run("UPDATE alert_channel SET secret = ? WHERE id = ?", [box.seal(secret), id]);
    },
    /** Deletes a channel; its undelivered deliveries are cancelled (kept, marked, not dropped silently). */
    async delete(caller: Caller, id: string, nowMs: number, q?: SqlQueries): Promise<void> {
      const own = ownedBy(caller);
      await within(q, async (tx) => {
        const r = await tx.get(
          `SELECT id FROM alert_channel WHERE id = ? AND deleted_ms IS NULL AND ${own.sql}`,
          [id, ...own.params],
        );
        if (!r) throw notFound("channel", id);
        await markDeleted(tx, id, nowMs, caller.accountId);
      });
    },
    /**
     * Removes a channel without a caller: the system's own decision (a push service said the
     * subscription is gone). Pending deliveries are cancelled as with `delete`.
     */
    async remove(id: string, nowMs: number, why: string, q?: SqlQueries): Promise<boolean> {
      return within(q, (tx) => markDeleted(tx, id, nowMs, "system", { why }));
    },
    /** The channels that hear this alert at its current escalation level (in the alert change's transaction). */
    async channelsFor(alert: Alert, q: SqlQueries = sql): Promise<Channel[]> {
      return (await q.query(liveForOwner, [alert.ownerId, alert.ownerId]))
        .map(toChannel)
        .filter((c) => hears(c, alert));
    },
  };
  return store;
}
export type ChannelStore = ReturnType<typeof createChannelStore>;
