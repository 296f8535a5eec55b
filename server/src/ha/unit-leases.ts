/**
 * Unit leases (issue #13): one instance at a time judges a unit and raises its alerts. A lease is a
 * row of `unit_lease` (db/migrations.ts, migration 11): who holds the unit, until when, and its
 * epoch, a fencing token that grows by one each time the unit changes hands.
 *
 * - `acquire`: takes a unit that nobody holds, or whose lease has expired (the epoch grows); the
 *   holder acquiring again while its lease lives just extends it (same epoch).
 * - `renew` / `renewAll`: extend a lease still held; one that expired or changed hands cannot be
 *   renewed: the holder must stop judging the unit (and `acquire` it again for a new epoch).
 * - `release`: ends the lease now (the row stays: an epoch never goes back).
 * - `check` / `withLease`: a write guarded by the lease commits only while the lease is the unit's
 *   current, unexpired one. On PostgreSQL the check locks the lease row (FOR SHARE) until the
 *   write commits, so a take-over waits for it and then sees it; SQLite's transactions are
 *   serial anyway.
 *
 * Expiry is judged on the database's clock on PostgreSQL (clock_timestamp(), the same for every
 * instance); on SQLite, one instance on one machine, on `clock` (default Date.now), so tests can
 * move it.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { SqlClient, SqlTransaction, SqlValue } from "../db/sql/client.js";

export interface Lease {
  readonly unitId: string;
  readonly holder: string;
  /** The fencing token: grows by one each time the unit changes hands; never goes back. */
  readonly epoch: number;
  readonly acquiredMs: number;
  readonly expiresMs: number;
}

export type AcquireResult =
  | { ok: true; lease: Lease }
  | { ok: false; reason: string; heldBy: string; epoch: number; expiresMs: number };

/** A lease row as it stands, whether or not it still holds. */
export interface LeaseState extends Lease {
  /** Unexpired on the clock expiry is judged on (false once released, expired or never renewed). */
  readonly live: boolean;
}

export type LeaseCheck = { ok: true; lease: Lease } | { ok: false; reason: string };

export type Guarded<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface UnitLeases {
  readonly holder: string;
  acquire(unitId: string): Promise<AcquireResult>;
  renew(lease: Lease): Promise<LeaseCheck>;
  /** Extends every lease this holder still holds; the ones not returned are lost. */
  renewAll(): Promise<Lease[]>;
  /** Ends the lease at once; false when it was no longer held. */
  release(lease: Lease): Promise<boolean>;
  /** Inside the caller's transaction: whether `lease` is still the unit's current, unexpired lease. */
  check(tx: SqlTransaction, lease: Lease): Promise<LeaseCheck>;
  /** Runs `fn` in a transaction that commits only while `lease` holds. */
  withLease<T>(lease: Lease, fn: (tx: SqlTransaction) => Promise<T>): Promise<Guarded<T>>;
  /** The clock expiry is judged on, in milliseconds since 1970. */
  now(): Promise<number>;
  /** Every lease row, every holder's, live or not (the lease keeper's view of who holds what). */
  list(): Promise<LeaseState[]>;
  /**
   * Deletes rows whose unit id starts with `unitIdPrefix` and that expired more than `expiredForMs`
   * ago; how many. For rows that are not units (the keeper's presence rows): a unit's row is never
   * deleted, its epoch must only grow.
   */
  forgetExpired(unitIdPrefix: string, expiredForMs: number): Promise<number>;
}

export interface UnitLeasesOptions {
  /** This instance's name in `unit_lease.holder`: unique per running process (see `newHolderId`). */
  holder: string;
  /** How long a lease lives without renewal. Renew well within it (a third of it, say). */
  ttlMs: number;
  /** SQLite only: the clock expiry is judged on. Default Date.now. */
  clock?: () => number;
}

/** A holder name unique to this process: host, pid and a random part (a restarted process is a new holder). */
export function newHolderId(prefix = hostname()): string {
  return `${prefix}/${process.pid}/${randomBytes(4).toString("hex")}`;
}

const POSTGRES_NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

interface LeaseRow {
  unit_id: string;
  holder: string;
  epoch: number;
  acquired_ms: number;
  expires_ms: number;
}

const toLease = (r: LeaseRow): Lease => ({
  unitId: r.unit_id,
  holder: r.holder,
  epoch: r.epoch,
  acquiredMs: r.acquired_ms,
  expiresMs: r.expires_ms,
});

const RETURNING = "RETURNING unit_id, holder, epoch, acquired_ms, expires_ms";

export function createUnitLeases(client: SqlClient, options: UnitLeasesOptions): UnitLeases {
  const { holder, ttlMs } = options;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`unit leases: ttlMs must be a whole number of milliseconds above 0, got ${ttlMs}`);
  }
  if (holder === "") throw new RangeError("unit leases: holder must name this instance, got an empty string");
  const onPostgres = client.backend === "postgres";
  const clock = options.clock ?? Date.now;
  /** The clock as SQL, and the parameters it takes (SQLite: the clock's value, bound first). */
  const nowSql = onPostgres ? POSTGRES_NOW : "?";
  const nowParams = (): SqlValue[] => (onPostgres ? [] : [clock()]);
  const withClock = `WITH clock AS (SELECT ${nowSql} AS now_ms)`;

  const acquireSql = `${withClock}
    INSERT INTO unit_lease (unit_id, holder, epoch, acquired_ms, renewed_ms, expires_ms)
    SELECT ?, ?, 1, now_ms, now_ms, now_ms + ? FROM clock WHERE true
    ON CONFLICT (unit_id) DO UPDATE SET
      epoch = CASE WHEN unit_lease.holder = excluded.holder AND unit_lease.expires_ms > excluded.acquired_ms
                   THEN unit_lease.epoch ELSE unit_lease.epoch + 1 END,
      acquired_ms = CASE WHEN unit_lease.holder = excluded.holder AND unit_lease.expires_ms > excluded.acquired_ms
                   THEN unit_lease.acquired_ms ELSE excluded.acquired_ms END,
      holder = excluded.holder,
      renewed_ms = excluded.renewed_ms,
      expires_ms = excluded.expires_ms
    WHERE unit_lease.expires_ms <= excluded.acquired_ms OR unit_lease.holder = excluded.holder
    ${RETURNING}`;
  const renewSql = `${withClock}
    UPDATE unit_lease SET renewed_ms = (SELECT now_ms FROM clock), expires_ms = (SELECT now_ms FROM clock) + ?
    WHERE unit_id = ? AND holder = ? AND epoch = ? AND expires_ms > (SELECT now_ms FROM clock)
    ${RETURNING}`;
  const renewAllSql = `${withClock}
    UPDATE unit_lease SET renewed_ms = (SELECT now_ms FROM clock), expires_ms = (SELECT now_ms FROM clock) + ?
    WHERE holder = ? AND expires_ms > (SELECT now_ms FROM clock)
    ${RETURNING}`;
  const releaseSql = `${withClock}
    UPDATE unit_lease SET expires_ms = (SELECT now_ms FROM clock)
    WHERE unit_id = ? AND holder = ? AND epoch = ? AND expires_ms > (SELECT now_ms FROM clock)`;
  const checkSql = `SELECT unit_id, holder, epoch, acquired_ms, expires_ms FROM unit_lease
    WHERE unit_id = ? AND holder = ? AND epoch = ? AND expires_ms > ${nowSql}${onPostgres ? " FOR SHARE" : ""}`;
  const currentSql =
    "SELECT unit_id, holder, epoch, acquired_ms, expires_ms FROM unit_lease WHERE unit_id = ?";
  const listSql = `${withClock}
    SELECT unit_id, holder, epoch, acquired_ms, expires_ms,
           CASE WHEN expires_ms > (SELECT now_ms FROM clock) THEN 1 ELSE 0 END AS live
    FROM unit_lease ORDER BY unit_id`;
  const forgetSql = `${withClock}
    DELETE FROM unit_lease WHERE unit_id LIKE ? AND expires_ms < (SELECT now_ms FROM clock) - ?`;

  /** Why `lease` no longer holds, from the unit's lease row as it is now. */
  async function whyLost(on: SqlClient | SqlTransaction, lease: Lease): Promise<string> {
    const row = await on.get<LeaseRow>(currentSql, [lease.unitId]);
    const unit = JSON.stringify(lease.unitId);
    if (row === undefined) return `unit ${unit} has no lease: acquire it first`;
    if (row.epoch !== lease.epoch || row.holder !== lease.holder) {
      return `unit ${unit} changed hands: ${JSON.stringify(row.holder)} holds it at epoch ${row.epoch} (this lease was epoch ${lease.epoch}): stop judging this unit`;
    }
    return `the lease on unit ${unit} (epoch ${lease.epoch}) ended at ${new Date(row.expires_ms).toISOString()}: acquire it again before judging this unit`;
  }

  const leases: UnitLeases = {
    holder,
    async acquire(unitId) {
      const row = await client.get<LeaseRow>(acquireSql, [...nowParams(), unitId, holder, ttlMs]);
      if (row !== undefined) return { ok: true, lease: toLease(row) };
      const current = await client.get<LeaseRow>(currentSql, [unitId]);
      const heldBy = current?.holder ?? "";
      const epoch = current?.epoch ?? 0;
      const expiresMs = current?.expires_ms ?? 0;
      return {
        ok: false,
        reason: `unit ${JSON.stringify(unitId)} is held by ${JSON.stringify(heldBy)} (epoch ${epoch}) until ${new Date(expiresMs).toISOString()}: try again after that, or leave it to its holder`,
        heldBy,
        epoch,
        expiresMs,
      };
    },
    async renew(lease) {
      const row = await client.get<LeaseRow>(renewSql, [
        ...nowParams(),
        ttlMs,
        lease.unitId,
        holder,
        lease.epoch,
      ]);
      if (row !== undefined) return { ok: true, lease: toLease(row) };
      return { ok: false, reason: await whyLost(client, lease) };
    },
    async renewAll() {
      const rows = await client.query<LeaseRow>(renewAllSql, [...nowParams(), ttlMs, holder]);
      return rows.map(toLease).sort((a, b) => (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0));
    },
    async release(lease) {
      const { changes } = await client.run(releaseSql, [...nowParams(), lease.unitId, holder, lease.epoch]);
      return changes === 1;
    },
    async check(tx, lease) {
      const row = await tx.get<LeaseRow>(checkSql, [lease.unitId, lease.holder, lease.epoch, ...nowParams()]);
      if (row !== undefined) return { ok: true, lease: toLease(row) };
      return { ok: false, reason: await whyLost(tx, lease) };
    },
    withLease(lease, fn) {
      return client.transaction(async (tx): Promise<Guarded<Awaited<ReturnType<typeof fn>>>> => {
        const held = await leases.check(tx, lease);
        if (!held.ok) return held;
        return { ok: true, value: await fn(tx) };
      });
    },
    async list() {
      const rows = await client.query<LeaseRow & { live: number }>(listSql, nowParams());
      return rows.map((r) => ({ ...toLease(r), live: r.live === 1 }));
    },
    async forgetExpired(unitIdPrefix, expiredForMs) {
      if (unitIdPrefix === "" || /[%_\\]/.test(unitIdPrefix)) {
        throw new RangeError(
          `unit leases: forgetExpired needs a prefix without % _ or \\ (unit rows are never deleted), got ${JSON.stringify(unitIdPrefix)}`,
        );
      }
      const { changes } = await client.run(forgetSql, [...nowParams(), `${unitIdPrefix}%`, expiredForMs]);
      return changes;
    },
    async now() {
      if (!onPostgres) return clock();
      const row = await client.get<{ now_ms: number }>(`SELECT ${POSTGRES_NOW} AS now_ms`);
      return row?.now_ms ?? Number.NaN;
    },
  };
  return leases;
}
