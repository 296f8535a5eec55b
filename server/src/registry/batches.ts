import { PROTOCOL_LIMITS } from "@coldtrail/firmware-bridge/protocol";
import type { SqlClient, SqlQueries } from "../db/sql/client.js";
import { conflict, forbidden, invalidInput, notFound } from "../errors.js";
import type { Verdict } from "../rules/index.js";
import { type AuditEntry, auditEntriesFor, recordAudit } from "./audit.js";
import { type Caller, ownedBy } from "./caller.js";
import { type CustodyIndex, createCustodyIndex } from "./custody-index.js";
import { newId, normaliseCodeInput, randomCode } from "./ids.js";
import { announceChange } from "./registry-notify.js";

export type BatchState = "fresh" | "frozen" | "thawed";
export type ReviewDecision = "release" | "hold" | "discard";
/** How a batch left monitored custody. */
export type LeftHow = "handed-over" | "fed" | "discarded" | "unknown";
export const LEFT_HOW: readonly LeftHow[] = ["handed-over", "fed", "discarded", "unknown"];

/**
 * How far ahead of the server's clock a time a person enters may be (their phone's clock may run
 * a little fast); the same allowance the wire protocol gives device clocks.
 */
export const FUTURE_SKEW_MS = PROTOCOL_LIMITS.maxFutureSkewMs;

export interface Batch {
  id: string;
  ownerId: string;
  code: string;
  donorRef: string | null;
  expressedAtMs: number;
  volumeMl: number | null;
  initialState: BatchState;
  container: "bag" | "bottle";
  thawedAtMs: number | null;
  createdMs: number;
  verdict: string | null;
}

/** One stay of a batch; unitId null = out of monitored custody (fed, discarded, handed over). */
export interface Custody {
  unitId: string | null;
  fromMs: number;
  toMs: number | null;
  /** Set on a stay that ended with the batch leaving monitored custody. */
  leftHow: LeftHow | null;
}

export interface Review {
  id: number;
  actor: string;
  /** The reviewer's name (audit names the person); null if the account is unknown. */
  actorName: string | null;
  decision: ReviewDecision;
  comment: string;
  atMs: number;
  /** Staff chose to show this review's comment to recipients on the public passport. */
  showToRecipient: boolean;
}

/**
 * Passport codes carry 65 random bits (13 Crockford base32 characters): unguessable, yet short
 * enough for a small QR label and to type from one.
 */
export const PASSPORT_CODE_BITS = 65;

const toBatch = (r: Record<string, unknown>): Batch => ({
  id: r.id as string,
  ownerId: r.owner_id as string,
  code: r.code as string,
  donorRef: r.donor_ref as string | null,
  expressedAtMs: r.expressed_at_ms as number,
  volumeMl: r.volume_ml as number | null,
  initialState: r.initial_state as BatchState,
  container: r.container as "bag" | "bottle",
  thawedAtMs: r.thawed_at_ms as number | null,
  createdMs: r.created_ms as number,
  verdict: r.verdict as string | null,
});

/** A time a person entered may not lie in the future (beyond the clock-skew allowance). */
function notInFuture(field: string, atMs: number, nowMs: number): void {
  if (atMs > nowMs + FUTURE_SKEW_MS)
    throw invalidInput(
      `${field} (${new Date(atMs).toISOString()}) is in the future; the server's time is ${new Date(nowMs).toISOString()}`,
    );
}

/** A stored verdict's content apart from the clock: asOf and the budgets' remaining time move on their own. */
function verdictContent(verdict: string, json: unknown): string {
  return JSON.stringify([verdict, json], (k, v) => (k === "asOfMs" || k === "remainingMs" ? undefined : v));
}

/** Stored verdicts remembered per process, to skip rewriting one that did not change. */
const SAVED_VERDICTS_MAX = 10_000;

const CUSTODY_COLUMNS = "unit_id, from_ms, to_ms, left_how";
const toCustody = (r: Record<string, unknown>): Custody => ({
  unitId: r.unit_id as string | null,
  fromMs: r.from_ms as number,
  toMs: r.to_ms as number | null,
  leftHow: (r.left_how as LeftHow | null) ?? null,
});

/**
 * Batches, their custody and staff reviews, on the SQL client (SQLite or PostgreSQL). Every change
 * writes its audit row in its own transaction. `index` answers the alert detectors' synchronous
 * questions (batches in a unit, packed since): this module keeps it current on its own writes.
 */
export function createBatches(sql: SqlClient, index: CustodyIndex = createCustodyIndex()) {
  const savedVerdicts = new Map<string, string>();

  async function unitOwned(q: SqlQueries, caller: Caller, unitId: string): Promise<void> {
    const own = ownedBy(caller);
    if (!(await q.get(`SELECT 1 AS one FROM unit WHERE id = ? AND ${own.sql}`, [unitId, ...own.params])))
      throw notFound("unit", unitId);
  }

  async function getBatch(q: SqlQueries, caller: Caller, id: string): Promise<Batch> {
    const own = ownedBy(caller);
    const r = await q.get(`SELECT * FROM batch WHERE id = ? AND ${own.sql}`, [id, ...own.params]);
    if (!r) throw notFound("batch", id);
    return toBatch(r);
  }

  const custodyOf = async (q: SqlQueries, batchId: string): Promise<Custody[]> =>
    (
      await q.query(`SELECT ${CUSTODY_COLUMNS} FROM custody WHERE batch_id = ? ORDER BY from_ms, id`, [
        batchId,
      ])
    ).map(toCustody);

  return {
    /** Which batches were in which unit when, for synchronous readers (alert detectors). */
    index,

    /** Reads the custody index from the database (at start; the NOTIFY listener after a reconnection). */
    loadIndex: () => index.load(sql),

    async create(
      caller: Caller,
      input: {
        unitId: string;
        expressedAtMs: number;
        atMs: number;
        volumeMl?: number | undefined;
        state?: BatchState | undefined;
        donorRef?: string | undefined;
        container?: "bag" | "bottle" | undefined;
        thawedAtMs?: number | undefined;
      },
      nowMs: number,
    ): Promise<Batch> {
      await unitOwned(sql, caller, input.unitId);
      notInFuture("expressedAt", input.expressedAtMs, nowMs);
      notInFuture("at", input.atMs, nowMs);
      if (input.thawedAtMs !== undefined) notInFuture("thawedAt", input.thawedAtMs, nowMs);
      if (input.expressedAtMs > input.atMs) {
        throw invalidInput("expressedAt must not be after at (the time the batch was placed in the unit)");
      }
      const id = newId("b");
      const code = randomCode(PASSPORT_CODE_BITS);
      const state = input.state ?? "frozen";
      const batch = await sql.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO batch (id, owner_id, code, donor_ref, expressed_at_ms, volume_ml, initial_state, container, thawed_at_ms, created_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            id,
            caller.accountId,
            code,
            input.donorRef ?? null,
            input.expressedAtMs,
            input.volumeMl ?? null,
            state,
            input.container ?? "bag",
            input.thawedAtMs ?? null,
            nowMs,
          ],
        );
        await tx.run("INSERT INTO custody (batch_id, unit_id, from_ms, to_ms) VALUES (?, ?, ?, NULL)", [
          id,
          input.unitId,
          input.atMs,
        ]);
        await recordAudit(tx, nowMs, caller.accountId, "batch.created", "batch", id, {
          unitId: input.unitId,
          at: new Date(input.atMs).toISOString(),
          expressedAt: new Date(input.expressedAtMs).toISOString(),
          state,
          volumeMl: input.volumeMl ?? null,
        });
        await announceChange(tx, sql.backend, "batch", id);
        return getBatch(tx, caller, id);
      });
      index.opened(id, batch.code, input.unitId, input.atMs);
      return batch;
    },

    get: (caller: Caller, id: string): Promise<Batch> => getBatch(sql, caller, id),

    /** Public lookup by passport code: no caller, the code itself is the capability. */
    async byCode(code: string): Promise<Batch | null> {
      const r = await sql.get("SELECT * FROM batch WHERE code = ?", [code.toUpperCase()]);
      return r ? toBatch(r) : null;
    },

    /**
     * The caller's batches, newest first (created_ms DESC, id), `limit` at a time after `after`
     * (the last row of the previous page). `code` is exact; `codePrefix` matches the start of the
     * code; both are normalised as people type them (normaliseCodeInput). `siteId`: batches
     * whose owner belongs to that site (within what the caller may see anyway).
     */
    async list(
      caller: Caller,
      q: {
        unitId?: string | undefined;
        code?: string | undefined;
        codePrefix?: string | undefined;
        siteId?: string | undefined;
        after?: { createdMs: number; id: string } | undefined;
        limit: number;
      },
    ): Promise<Batch[]> {
      const own = ownedBy(caller);
      const where = [own.sql];
      const params: (string | number)[] = [...own.params];
      if (q.unitId) {
        where.push("id IN (SELECT batch_id FROM custody WHERE unit_id = ? AND to_ms IS NULL)");
        params.push(q.unitId);
      }
      if (q.code) {
        where.push("code = ?");
        params.push(normaliseCodeInput(q.code));
      }
      if (q.codePrefix) {
        const prefix = normaliseCodeInput(q.codePrefix);
        where.push("substr(code, 1, ?) = ?");
        params.push(prefix.length, prefix);
      }
      if (q.siteId) {
        where.push("owner_id IN (SELECT id FROM account WHERE site_id = ?)");
        params.push(q.siteId);
      }
      if (q.after) {
        where.push("(created_ms < ? OR (created_ms = ? AND id > ?))");
        params.push(q.after.createdMs, q.after.createdMs, q.after.id);
      }
      const rows = await sql.query(
        `SELECT * FROM batch WHERE ${where.join(" AND ")} ORDER BY created_ms DESC, id LIMIT ?`,
        [...params, q.limit],
      );
      return rows.map(toBatch);
    },

    custody: (batchId: string): Promise<Custody[]> => custodyOf(sql, batchId),

    /**
     * The batch moved to `unitId` at `atMs`. `unitId` null: it left monitored custody (handed
     * over, fed, discarded) — its verdict stays as it was then. A batch that left may come back
     * into a unit later; the time away is unmonitored. Two moves of one batch at once (two
     * instances) take turns on the batch's row: the second sees the first's custody.
     */
    async move(
      caller: Caller,
      batchId: string,
      move: { unitId: string | null; atMs: number; how?: LeftHow | undefined },
      nowMs: number,
    ): Promise<void> {
      const { unitId, atMs } = move;
      const batch = await getBatch(sql, caller, batchId);
      if (unitId !== null) await unitOwned(sql, caller, unitId);
      notInFuture("at", atMs, nowMs);
      const how = unitId === null ? (move.how ?? "unknown") : null;
      const closed = await sql.transaction(async (tx) => {
        // Takes the batch's row lock on PostgreSQL (SQLite's write transaction holds the file).
        await tx.run("UPDATE batch SET created_ms = created_ms WHERE id = ?", [batchId]);
        const last = (await custodyOf(tx, batchId)).at(-1);
        if (!last) throw conflict(`batch "${batchId}" has no custody record; it cannot move`);
        const inCustody = last.toMs === null;
        if (!inCustody && unitId === null)
          throw conflict(
            `batch "${batchId}" left custody already (${new Date(last.toMs as number).toISOString()}); move it into a unit first`,
          );
        const since = inCustody ? last.fromMs : (last.toMs as number);
        if (atMs <= since) {
          throw conflict(
            `a move at ${new Date(atMs).toISOString()} is not after the batch's last move (${new Date(since).toISOString()}); moves must be in time order`,
          );
        }
        if (inCustody && last.unitId === unitId)
          throw conflict(`batch "${batchId}" is already in unit "${unitId}"`);
        if (inCustody)
          await tx.run("UPDATE custody SET to_ms = ?, left_how = ? WHERE batch_id = ? AND to_ms IS NULL", [
            atMs,
            how,
            batchId,
          ]);
        if (unitId !== null)
          await tx.run("INSERT INTO custody (batch_id, unit_id, from_ms, to_ms) VALUES (?, ?, ?, NULL)", [
            batchId,
            unitId,
            atMs,
          ]);
        await recordAudit(
          tx,
          nowMs,
          caller.accountId,
          unitId === null ? "batch.left_custody" : inCustody ? "batch.moved" : "batch.returned",
          "batch",
          batchId,
          {
            from: inCustody ? last.unitId : null,
            to: unitId,
            at: new Date(atMs).toISOString(),
            ...(unitId === null && { how }),
          },
        );
        await announceChange(tx, sql.backend, "batch", batchId);
        return inCustody;
      });
      if (closed) index.closed(batchId, atMs);
      if (unitId !== null) index.opened(batchId, batch.code, unitId, atMs);
    },

    async review(
      caller: Caller,
      batchId: string,
      decision: ReviewDecision,
      comment: string,
      nowMs: number,
      showToRecipient = false,
    ): Promise<Review> {
      await getBatch(sql, caller, batchId);
      // A review overrides the computed verdict for the milk bank: staff decide, not the donor.
      if (caller.role === "donor") {
        throw forbidden(
          "reviews (release, hold, discard) are made by milk-bank staff; ask the staff of your milk bank",
        );
      }
      const id = await sql.transaction(async (tx) => {
        const row = await tx.get<{ id: number }>(
          "INSERT INTO review (batch_id, actor, decision, comment, at_ms, show_to_recipient) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
          [batchId, caller.accountId, decision, comment, nowMs, showToRecipient ? 1 : 0],
        );
        await recordAudit(tx, nowMs, caller.accountId, "batch.reviewed", "batch", batchId, {
          decision,
          comment,
          showToRecipient,
        });
        return Number(row?.id);
      });
      return {
        id,
        actor: caller.accountId,
        actorName: caller.name ?? null,
        decision,
        comment,
        atMs: nowMs,
        showToRecipient,
      };
    },

    async reviews(batchId: string): Promise<Review[]> {
      const rows = await sql.query(
        `SELECT r.id, r.actor, a.name AS actor_name, r.decision, r.comment, r.at_ms, r.show_to_recipient
         FROM review r LEFT JOIN account a ON a.id = r.actor WHERE r.batch_id = ? ORDER BY r.id`,
        [batchId],
      );
      return rows.map((r) => ({
        id: r.id as number,
        actor: r.actor as string,
        actorName: (r.actor_name as string | null) ?? null,
        decision: r.decision as ReviewDecision,
        comment: r.comment as string,
        atMs: r.at_ms as number,
        showToRecipient: r.show_to_recipient === 1,
      }));
    },

    /** The batch's audit entries, oldest first. */
    auditOf: (batchId: string): Promise<AuditEntry[]> => auditEntriesFor(sql, "batch", batchId),

    /** When the milk in a unit at `atMs` was put there (earliest custody start), or null if none. */
    async packedSince(unitId: string, atMs: number): Promise<number | null> {
      const r = await sql.get<{ since: number | null }>(
        "SELECT min(from_ms) AS since FROM custody WHERE unit_id = ? AND from_ms <= ? AND (to_ms IS NULL OR to_ms > ?)",
        [unitId, atMs, atMs],
      );
      return r?.since ?? null;
    },

    /** Batches in a unit at any time in [fromMs, toMs). */
    async inUnit(unitId: string, fromMs: number, toMs: number): Promise<string[]> {
      const rows = await sql.query<{ batch_id: string }>(
        "SELECT DISTINCT batch_id FROM custody WHERE unit_id = ? AND from_ms < ? AND (to_ms IS NULL OR to_ms > ?)",
        [unitId, toMs, fromMs],
      );
      return rows.map((r) => r.batch_id);
    },

    /**
     * Stores the batch's verdict with its reasons. Called on every verdict worked out (each
     * passport view), so a verdict whose content did not change since this process last stored
     * it (only its as-of time and the budgets' remaining minutes moved) is not written again:
     * `verdict_at_ms` is when the stored content last changed.
     */
    async saveVerdict(
      batchId: string,
      verdict: string,
      json: Pick<Verdict, "budgets">,
      atMs: number,
    ): Promise<void> {
      const content = verdictContent(verdict, json);
      if (savedVerdicts.get(batchId) === content) return;
      const write = async (q: SqlQueries) =>
        q.run("UPDATE batch SET verdict = ?, verdict_json = ?, verdict_at_ms = ? WHERE id = ?", [
          verdict,
          JSON.stringify(json),
          atMs,
          batchId,
        ]);
      // On PostgreSQL announced with the write: the other instances' due-batch ticks read the
      // budgets from memory. On SQLite (one instance) the one statement is enough.
      if (sql.backend === "postgres")
        await sql.transaction(async (tx) => {
          await write(tx);
          await announceChange(tx, sql.backend, "batch", batchId);
        });
      else await write(sql);
      if (savedVerdicts.size >= SAVED_VERDICTS_MAX) savedVerdicts.clear();
      savedVerdicts.set(batchId, content);
      index.verdictStored(batchId, json.budgets);
    },
  };
}
export type Batches = ReturnType<typeof createBatches>;
