import { randomBytes } from "node:crypto";
import type { Db } from "../db/open.js";
import { notFound } from "../errors.js";
import type { Audit } from "../registry/audit.js";
import { type Caller, ownedBy } from "../registry/caller.js";
import { newId } from "../registry/ids.js";
import type { Alert, AlertKind, Channel, ChannelKind } from "./types.js";

function toChannel(r: Record<string, unknown>): Channel {
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

export interface NewChannel {
  kind: ChannelKind;
  target: string;
  secret?: string | undefined;
  unitIds?: string[] | undefined;
  alertKinds?: AlertKind[] | undefined;
  minEscalation?: number | undefined;
}

/** Alert channels: where alerts go (a webhook URL, an email address, MQTT), owned like units. */
export function createChannelStore(
  db: Db,
  audit: Audit,
  /** After a channel is created (e.g. to get its medium ready). */
  onCreated: (kind: ChannelKind) => void = () => undefined,
) {
  const anyLiveOf = db.prepare("SELECT 1 FROM alert_channel WHERE deleted_ms IS NULL AND kind = ? LIMIT 1");
  const insert = db.prepare(
    `INSERT INTO alert_channel (id, owner_id, kind, target, secret, unit_ids, alert_kinds, min_escalation, created_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byId = db.prepare("SELECT * FROM alert_channel WHERE id = ?");
  // A channel hears the alerts its owner may see (as `ownedBy` decides): its owner's own, staff's
  // those of every account of their site, an admin's everyone's.
  const live = db.prepare(
    `SELECT c.* FROM alert_channel c LEFT JOIN account a ON a.id = c.owner_id
     WHERE c.deleted_ms IS NULL AND (
       c.owner_id = @owner OR a.role = 'admin'
       OR (a.role = 'staff' AND a.site_id IS NOT NULL
           AND a.site_id = (SELECT site_id FROM account WHERE id = @owner))
     ) ORDER BY c.created_ms, c.rowid`,
  );
  const markDeleted = db.prepare(
    "UPDATE alert_channel SET deleted_ms = ? WHERE id = ? AND deleted_ms IS NULL",
  );
  const cancelPending = db.prepare(
    "UPDATE alert_outbox SET status = 'cancelled', last_error = 'channel deleted' WHERE channel_id = ? AND status IN ('pending', 'failed')",
  );

  return {
    /** Creates a channel; a webhook without a secret gets a generated one, returned once. */
    create(caller: Caller, input: NewChannel, nowMs: number): { channel: Channel; secret: string | null } {
      const id = newId("c");
      const secret =
        input.secret ?? (input.kind === "webhook" ? randomBytes(32).toString("base64url") : null);
      db.transaction(() => {
        insert.run(
          id,
          caller.accountId,
          input.kind,
          input.target,
          secret,
          input.unitIds ? JSON.stringify(input.unitIds) : null,
          input.alertKinds ? JSON.stringify(input.alertKinds) : null,
          input.minEscalation ?? 0,
          nowMs,
        );
        // The target may be a person's address; the audit keeps only the kind and filters.
        audit.record(nowMs, caller.accountId, "channel.created", "channel", id, {
          kind: input.kind,
          unitIds: input.unitIds ?? null,
          alertKinds: input.alertKinds ?? null,
          minEscalation: input.minEscalation ?? 0,
        });
      })();
      onCreated(input.kind);
      return { channel: this.get(id) as Channel, secret: input.secret === undefined ? secret : null };
    },
    /** Whether any channel of this kind exists (not deleted). */
    hasAny(kind: ChannelKind): boolean {
      return anyLiveOf.get(kind) !== undefined;
    },
    get(id: string): Channel | null {
      const r = byId.get(id) as Record<string, unknown> | undefined;
      return r ? toChannel(r) : null;
    },
    list(caller: Caller): Channel[] {
      const own = ownedBy(caller);
      return (
        db
          .prepare(
            `SELECT * FROM alert_channel WHERE deleted_ms IS NULL AND ${own.sql} ORDER BY created_ms, rowid`,
          )
          .all(...own.params) as Record<string, unknown>[]
      ).map(toChannel);
    },
    /** Deletes a channel; its undelivered deliveries are cancelled (kept, marked, not dropped silently). */
    delete(caller: Caller, id: string, nowMs: number): void {
      const own = ownedBy(caller);
      const r = db
        .prepare(`SELECT id FROM alert_channel WHERE id = ? AND deleted_ms IS NULL AND ${own.sql}`)
        .get(id, ...own.params);
      if (!r) throw notFound("channel", id);
      db.transaction(() => {
        markDeleted.run(nowMs, id);
        cancelPending.run(id);
        audit.record(nowMs, caller.accountId, "channel.deleted", "channel", id);
      })();
    },
    /**
     * Removes a channel without a caller: the system's own decision (a push service said the
     * subscription is gone). Pending deliveries are cancelled as with `delete`.
     */
    remove(id: string, nowMs: number, why: string): boolean {
      let removed = false;
      db.transaction(() => {
        removed = markDeleted.run(nowMs, id).changes > 0;
        if (!removed) return;
        cancelPending.run(id);
        audit.record(nowMs, "system", "channel.deleted", "channel", id, { why });
      })();
      return removed;
    },
    /** The channels that hear this alert at its current escalation level. */
    channelsFor(alert: Alert): Channel[] {
      return (live.all({ owner: alert.ownerId }) as Record<string, unknown>[])
        .map(toChannel)
        .filter(
          (c) =>
            c.minEscalation <= alert.escalationLevel &&
            (c.alertKinds === null || c.alertKinds.includes(alert.kind)) &&
            (c.unitIds === null || (alert.unitId !== null && c.unitIds.includes(alert.unitId))),
        );
    },
  };
}
export type ChannelStore = ReturnType<typeof createChannelStore>;
