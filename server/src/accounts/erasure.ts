import { forbidden } from "../errors.js";
import type { Caller } from "../registry/caller.js";
import { hashSecret, newSecret } from "../registry/secrets.js";
import type { SqliteOnlyDeps } from "./deps.js";
import { type Directory, enforce, refOf } from "./directory.js";
import { canManage } from "./permissions.js";

/** What a tombstone is called wherever its name shows (lists, audit views). */
export const TOMBSTONE_NAME = "deleted account";

export interface Erased {
  accountId: string;
  batchesDeleted: number;
  /** Batches other people depend on, kept anonymised (their passports keep working). */
  batchesKept: number;
  unitsDeleted: number;
  unitsKept: number;
  probesDeleted: number;
  /** Probes whose readings a kept unit's history needs; they can no longer connect. */
  probesKept: string[];
}

/**
 * Deleting an account. The row itself becomes an anonymous tombstone (no email, name, password;
 * same id, role and site) so audit entries still name "a deleted account" and staff of her site
 * still see what stays. Sessions, API tokens, her invitations and alert channels go.
 *
 * A donor's own data goes too, except what other people depend on:
 * - a batch is kept (donor reference cleared) when it ever stayed in someone else's unit, has
 *   left monitored custody (handed over, fed or discarded: a recipient may hold its passport), or
 *   was reviewed by staff; otherwise it is deleted with its custody and reviews;
 * - a unit is kept (renamed) while a kept batch's custody refers to it, else deleted;
 * - a probe is kept while a kept unit's attachment history needs its readings; it gets an
 *   unguessable secret, loses its name and BLE identity and is detached now, so the device can
 *   no longer publish; other probes are deleted with their SQLite readings and journal backlog.
 * Staff and admin accounts keep their units, probes and batches as they are: those belong to
 * the site's operation, and the site's staff keep seeing them through the tombstone's site.
 * Alerts stay (with the audit log they are the record of what happened).
 *
 * Still on the synchronous SQLite connection (one synchronous transaction over most of the
 * registry's tables): it needs converting to the SQL client before PostgreSQL is wired in.
 */
export function createErasure({ db, audit, now }: SqliteOnlyDeps, directory: Directory) {
  const st = {
    deletableBatches: db
      .prepare(
        `SELECT b.id FROM batch b WHERE b.owner_id = @id
           AND NOT EXISTS (SELECT 1 FROM custody c JOIN unit u ON u.id = c.unit_id
                           WHERE c.batch_id = b.id AND u.owner_id != @id)
           AND EXISTS (SELECT 1 FROM custody c WHERE c.batch_id = b.id AND c.to_ms IS NULL)
           AND NOT EXISTS (SELECT 1 FROM review r WHERE r.batch_id = b.id)`,
      )
      .pluck(),
    deleteCustody: db.prepare("DELETE FROM custody WHERE batch_id = ?"),
    deleteReviews: db.prepare("DELETE FROM review WHERE batch_id = ?"),
    deleteBatch: db.prepare("DELETE FROM batch WHERE id = ?"),
    anonymiseBatches: db.prepare("UPDATE batch SET donor_ref = NULL WHERE owner_id = ?"),
    keptBatches: db.prepare("SELECT count(*) FROM batch WHERE owner_id = ?").pluck(),
    unitsInUse: db
      .prepare(
        "SELECT u.id FROM unit u WHERE u.owner_id = ? AND EXISTS (SELECT 1 FROM custody c WHERE c.unit_id = u.id)",
      )
      .pluck(),
    unitsUnused: db
      .prepare(
        "SELECT u.id FROM unit u WHERE u.owner_id = ? AND NOT EXISTS (SELECT 1 FROM custody c WHERE c.unit_id = u.id)",
      )
      .pluck(),
    renameUnit: db.prepare(`UPDATE unit SET name = '${TOMBSTONE_NAME}' || ' (' || kind || ')' WHERE id = ?`),
    deleteUnitAttachments: db.prepare("DELETE FROM probe_attachment WHERE unit_id = ?"),
    deleteUnitMonitor: db.prepare("DELETE FROM alert_monitor WHERE unit_id = ?"),
    deleteUnit: db.prepare("DELETE FROM unit WHERE id = ?"),
    probesNeeded: db
      .prepare(
        "SELECT p.id FROM probe p WHERE p.owner_id = ? AND EXISTS (SELECT 1 FROM probe_attachment a WHERE a.probe_id = p.id) ORDER BY p.id",
      )
      .pluck(),
    probesUnneeded: db
      .prepare(
        "SELECT p.id FROM probe p WHERE p.owner_id = ? AND NOT EXISTS (SELECT 1 FROM probe_attachment a WHERE a.probe_id = p.id)",
      )
      .pluck(),
    retireProbe: db.prepare(
      "UPDATE probe SET name = NULL, secret_hash = ?, ble_mac = NULL, ble_bindkey = NULL WHERE id = ?",
    ),
    detachProbe: db.prepare(
      "UPDATE probe_attachment SET to_ms = ? WHERE probe_id = ? AND to_ms IS NULL AND from_ms < ?",
    ),
    deleteProbeReadings: db.prepare("DELETE FROM reading WHERE probe_id = ?"),
    deleteProbeJournal: db.prepare("DELETE FROM journal_message WHERE probe_id = ?"),
    deleteProbe: db.prepare("DELETE FROM probe WHERE id = ?"),
    closeChannels: db.prepare(
      "UPDATE alert_channel SET deleted_ms = coalesce(deleted_ms, ?), target = '', secret = NULL WHERE owner_id = ?",
    ),
    cancelDeliveries: db.prepare(
      `UPDATE alert_outbox SET status = 'cancelled'
       WHERE status = 'pending' AND channel_id IN (SELECT id FROM alert_channel WHERE owner_id = ?)`,
    ),
    deleteSessions: db.prepare("DELETE FROM session WHERE account_id = ?"),
    deleteTokens: db.prepare("DELETE FROM api_token WHERE account_id = ?"),
    deleteInvitations: db.prepare("DELETE FROM invitation WHERE account_id = ?"),
    tombstone: db.prepare(
      "UPDATE account SET email = NULL, name = ?, password_hash = NULL, disabled_ms = NULL, deleted_ms = ? WHERE id = ?",
    ),
  };

  function eraseDonorData(id: string, nowMs: number): Omit<Erased, "accountId"> {
    const batches = st.deletableBatches.all({ id }) as string[];
    for (const b of batches) {
      st.deleteCustody.run(b);
      st.deleteReviews.run(b);
      st.deleteBatch.run(b);
    }
    st.anonymiseBatches.run(id);
    const unitsKept = st.unitsInUse.all(id) as string[];
    for (const u of unitsKept) st.renameUnit.run(u);
    const unitsGone = st.unitsUnused.all(id) as string[];
    for (const u of unitsGone) {
      st.deleteUnitAttachments.run(u);
      st.deleteUnitMonitor.run(u);
      st.deleteUnit.run(u);
    }
    const probesKept = st.probesNeeded.all(id) as string[];
    for (const p of probesKept) {
      st.retireProbe.run(hashSecret(newSecret()), p);
      st.detachProbe.run(nowMs, p, nowMs);
    }
    const probesGone = st.probesUnneeded.all(id) as string[];
    for (const p of probesGone) {
      st.deleteProbeReadings.run(p);
      st.deleteProbeJournal.run(p);
      st.deleteProbe.run(p);
    }
    return {
      batchesDeleted: batches.length,
      batchesKept: st.keptBatches.get(id) as number,
      unitsDeleted: unitsGone.length,
      unitsKept: unitsKept.length,
      probesDeleted: probesGone.length,
      probesKept,
    };
  }

  return {
    /**
     * Deletes an account: a donor her own, staff the donors of their site, an admin anyone but
     * the bootstrap admin. Returns what went and what was kept (for the answer and the audit).
     */
    async deleteAccount(caller: Caller, id: string): Promise<Erased> {
      const target = await directory.get(caller, id);
      if (caller.accountId === id) {
        if (id === "admin") {
          throw forbidden('the bootstrap admin "admin" cannot be deleted; it backs the admin token');
        }
        if (target.status === "deleted") enforce(canManage(caller, refOf(target)));
      } else {
        enforce(canManage(caller, refOf(target)));
      }
      const nowMs = now();
      return db.transaction((): Erased => {
        const counts =
          target.role === "donor"
            ? eraseDonorData(id, nowMs)
            : {
                batchesDeleted: 0,
                batchesKept: 0,
                unitsDeleted: 0,
                unitsKept: 0,
                probesDeleted: 0,
                probesKept: [],
              };
        st.cancelDeliveries.run(id);
        st.closeChannels.run(nowMs, id);
        st.deleteSessions.run(id);
        st.deleteTokens.run(id);
        st.deleteInvitations.run(id);
        st.tombstone.run(TOMBSTONE_NAME, nowMs, id);
        audit.record(nowMs, caller.accountId, "account.deleted", "account", id, counts);
        return { accountId: id, ...counts };
      })();
    },
  };
}
export type Erasure = ReturnType<typeof createErasure>;
