import type { SqlQueries, SqlValue } from "../db/sql/client.js";
import { forbidden } from "../errors.js";
import { recordAudit } from "../registry/audit.js";
import type { Caller } from "../registry/caller.js";
import { deleteLocalProbeRows } from "../registry/local-probe-rows.js";
import { announceChange } from "../registry/registry-notify.js";
import { hashSecret, newSecret } from "../registry/secrets.js";
import type { AccountsDeps, ErasureOptions } from "./deps.js";
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
 * Two parts. The shared rows (accounts, registry, alert channels and outbox, audit) go in one SQL
 * client transaction (SQLite or PostgreSQL; serializable, so a batch moved into someone else's
 * unit by another instance meanwhile is either seen or makes the erasure run again). Then the
 * deleted probes' readings and journal backlog go from this instance's own SQLite file
 * (`local.db`): readings live per instance (or in InfluxDB, whose rows are not deleted here), and
 * on PostgreSQL with several instances only the instance that took the request deletes its own;
 * the others delete theirs when they hear that the probe is gone. The transaction announces every
 * unit, probe and batch it changed on the registry's NOTIFY channel (PostgreSQL), and
 * `onRegistryChanged` tells this instance which units and probes to read again. A probe deleted is
 * refused at connect everywhere, so no new rows come.
 */
export function createErasure({ sql, now }: AccountsDeps, directory: Directory, opts: ErasureOptions = {}) {
  const ids = async (q: SqlQueries, text: string, params: SqlValue[]): Promise<string[]> =>
    (await q.query<{ id: string }>(text, params)).map((r) => r.id);

  async function eraseDonorData(
    tx: SqlQueries,
    id: string,
    nowMs: number,
  ): Promise<{
    counts: Omit<Erased, "accountId">;
    batches: string[];
    units: string[];
    probes: string[];
    probesGone: string[];
  }> {
    const batches = await ids(
      tx,
      `SELECT b.id FROM batch b WHERE b.owner_id = ?
         AND NOT EXISTS (SELECT 1 FROM custody c JOIN unit u ON u.id = c.unit_id
                         WHERE c.batch_id = b.id AND u.owner_id != ?)
         AND EXISTS (SELECT 1 FROM custody c WHERE c.batch_id = b.id AND c.to_ms IS NULL)
         AND NOT EXISTS (SELECT 1 FROM review r WHERE r.batch_id = b.id)
       ORDER BY b.id`,
      [id, id],
    );
    for (const b of batches) {
      await tx.run("DELETE FROM custody WHERE batch_id = ?", [b]);
      await tx.run("DELETE FROM review WHERE batch_id = ?", [b]);
      await tx.run("DELETE FROM batch WHERE id = ?", [b]);
    }
    await tx.run("UPDATE batch SET donor_ref = NULL WHERE owner_id = ?", [id]);
    const unitsKept = await ids(
      tx,
      "SELECT u.id FROM unit u WHERE u.owner_id = ? AND EXISTS (SELECT 1 FROM custody c WHERE c.unit_id = u.id)",
      [id],
    );
    for (const u of unitsKept)
      await tx.run(`UPDATE unit SET name = '${TOMBSTONE_NAME}' || ' (' || kind || ')' WHERE id = ?`, [u]);
    const unitsGone = await ids(
      tx,
      "SELECT u.id FROM unit u WHERE u.owner_id = ? AND NOT EXISTS (SELECT 1 FROM custody c WHERE c.unit_id = u.id)",
      [id],
    );
    for (const u of unitsGone) {
      await tx.run("DELETE FROM probe_attachment WHERE unit_id = ?", [u]);
      await tx.run("DELETE FROM alert_monitor WHERE unit_id = ?", [u]);
      await tx.run("DELETE FROM unit WHERE id = ?", [u]);
    }
    const probesKept = await ids(
      tx,
      "SELECT p.id FROM probe p WHERE p.owner_id = ? AND EXISTS (SELECT 1 FROM probe_attachment a WHERE a.probe_id = p.id) ORDER BY p.id",
      [id],
    );
    for (const p of probesKept) {
      await tx.run(
        "UPDATE probe SET name = NULL, secret_hash = ?, ble_mac = NULL, ble_bindkey = NULL WHERE id = ?",
        [hashSecret(newSecret()), p],
      );
      await tx.run(
        "UPDATE probe_attachment SET to_ms = ? WHERE probe_id = ? AND to_ms IS NULL AND from_ms < ?",
        [nowMs, p, nowMs],
      );
    }
    const probesGone = await ids(
      tx,
      "SELECT p.id FROM probe p WHERE p.owner_id = ? AND NOT EXISTS (SELECT 1 FROM probe_attachment a WHERE a.probe_id = p.id) ORDER BY p.id",
      [id],
    );
    for (const p of probesGone) await tx.run("DELETE FROM probe WHERE id = ?", [p]);
    const kept = await tx.get<{ n: number }>("SELECT count(*) AS n FROM batch WHERE owner_id = ?", [id]);
    const units = [...unitsKept, ...unitsGone];
    const probes = [...probesKept, ...probesGone];
    for (const b of batches) await announceChange(tx, sql.backend, "batch", b);
    for (const u of units) await announceChange(tx, sql.backend, "unit", u);
    for (const p of probes) await announceChange(tx, sql.backend, "probe", p);
    return {
      counts: {
        batchesDeleted: batches.length,
        batchesKept: Number(kept?.n ?? 0),
        unitsDeleted: unitsGone.length,
        unitsKept: unitsKept.length,
        probesDeleted: probesGone.length,
        probesKept,
      },
      batches,
      units,
      probes,
      probesGone,
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
      const done = await sql.transaction(
        async (tx) => {
          const donor =
            target.role === "donor"
              ? await eraseDonorData(tx, id, nowMs)
              : {
                  counts: {
                    batchesDeleted: 0,
                    batchesKept: 0,
                    unitsDeleted: 0,
                    unitsKept: 0,
                    probesDeleted: 0,
                    probesKept: [],
                  },
                  batches: [],
                  units: [],
                  probes: [],
                  probesGone: [],
                };
          await tx.run(
            `UPDATE alert_outbox SET status = 'cancelled'
             WHERE status = 'pending' AND channel_id IN (SELECT id FROM alert_channel WHERE owner_id = ?)`,
            [id],
          );
          await tx.run(
            "UPDATE alert_channel SET deleted_ms = coalesce(deleted_ms, ?), target = '', secret = NULL WHERE owner_id = ?",
            [nowMs, id],
          );
          await tx.run("DELETE FROM session WHERE account_id = ?", [id]);
          await tx.run("DELETE FROM api_token WHERE account_id = ?", [id]);
          await tx.run("DELETE FROM invitation WHERE account_id = ?", [id]);
          await tx.run(
            "UPDATE account SET email = NULL, name = ?, password_hash = NULL, disabled_ms = NULL, deleted_ms = ? WHERE id = ?",
            [TOMBSTONE_NAME, nowMs, id],
          );
          await recordAudit(tx, nowMs, caller.accountId, "account.deleted", "account", id, donor.counts);
          return donor;
        },
        { isolation: "serializable" },
      );
      opts.onBatchesDeleted?.(done.batches);
      if (opts.local) deleteLocalProbeRows(opts.local.db, done.probesGone);
      await opts.onRegistryChanged?.({ units: done.units, probes: done.probes });
      return { accountId: id, ...done.counts };
    },
  };
}
export type Erasure = ReturnType<typeof createErasure>;
