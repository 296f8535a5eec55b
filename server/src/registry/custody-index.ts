import type { SqlQueries } from "../db/sql/client.js";
import type { Budget, Verdict } from "../rules/index.js";

/** One stay of a batch in a unit (stays out of monitored custody are not indexed). */
interface Stay {
  batchId: string;
  fromMs: number;
  toMs: number | null;
}

/** A batch in a unit now, with the time limits of its stored verdict (none before one is stored). */
export interface InCustody {
  batchId: string;
  code: string;
  unitId: string;
  budgets: readonly Budget[];
}

interface Open {
  unitId: string;
  code: string;
  stay: Stay;
}

/** One custody row of a batch in a unit, as read from the database. */
interface StayRow {
  unitId: string;
  fromMs: number;
  toMs: number | null;
}

/**
 * A change to the index, replayed onto a reload that was read while it happened: this process's
 * own writes, and one batch read again (another instance's write, announced by NOTIFY).
 */
type Change =
  | { op: "opened"; batchId: string; code: string; unitId: string; fromMs: number }
  | { op: "verdict"; batchId: string; budgets: readonly Budget[] }
  | { op: "closed"; batchId: string; toMs: number }
  | { op: "removed"; batchId: string }
  | {
      op: "replaced";
      batchId: string;
      code: string;
      stays: readonly StayRow[];
      budgets: readonly Budget[] | null;
    };

/**
 * Which batches were in which unit when, in memory, for the alert detectors: they ask per reading
 * ("which batches are in this unit", "since when is this cool bag packed") and per tick ("whose
 * storage limits end soon", from the budgets of each stored verdict) and must not wait on the
 * database (issue #13: custody may be in PostgreSQL). Every stay in a unit is held, closed ones
 * too, because a late reading (a probe replaying its buffer) asks about its own time; that is about
 * a hundred bytes a stay, a few MB for a milk bank's years of batches.
 *
 * Kept current by the batches module on every custody write this process commits; on PostgreSQL
 * another instance's writes are announced (`batch:<id>` on the registry's NOTIFY channel) and
 * `reloadBatch` reads that one batch again. `load` reads the whole table (at start, and after the
 * listener reconnected). Changes made while a reload was being read are replayed onto it, so a
 * reload never loses this process's own latest move, nor a batch read again meanwhile.
 */
export function createCustodyIndex() {
  let byUnit = new Map<string, Stay[]>();
  /** The open stay of each batch that is in a unit now, and its code. */
  let openOf = new Map<string, Open>();
  /** Budgets of stored verdicts, kept while the batch is in a unit. */
  let budgetsOf = new Map<string, readonly Budget[]>();
  /** Per reload in flight, the changes made since its read began. */
  const during = new Set<Change[]>();

  function forget(batchId: string): void {
    openOf.delete(batchId);
    budgetsOf.delete(batchId);
    for (const [unitId, stays] of byUnit) {
      const kept = stays.filter((s) => s.batchId !== batchId);
      if (kept.length !== stays.length) byUnit.set(unitId, kept);
    }
  }

  function apply(c: Change): void {
    if (c.op === "replaced") {
      forget(c.batchId);
      for (const row of c.stays) {
        const stays = byUnit.get(row.unitId) ?? [];
        const stay: Stay = { batchId: c.batchId, fromMs: row.fromMs, toMs: row.toMs };
        let i = stays.length;
        while (i > 0 && (stays[i - 1] as Stay).fromMs > row.fromMs) i--;
        stays.splice(i, 0, stay);
        byUnit.set(row.unitId, stays);
        if (row.toMs === null) openOf.set(c.batchId, { unitId: row.unitId, code: c.code, stay });
      }
      if (c.budgets && openOf.has(c.batchId)) budgetsOf.set(c.batchId, c.budgets);
    } else if (c.op === "opened") {
      const stays = byUnit.get(c.unitId) ?? [];
      if (stays.some((s) => s.batchId === c.batchId && s.fromMs === c.fromMs)) return;
      const stay: Stay = { batchId: c.batchId, fromMs: c.fromMs, toMs: null };
      openOf.set(c.batchId, { unitId: c.unitId, code: c.code, stay });
      // Kept in start order (then insertion), the order the custody_unit index reads them in.
      let i = stays.length;
      while (i > 0 && (stays[i - 1] as Stay).fromMs > c.fromMs) i--;
      stays.splice(i, 0, stay);
      byUnit.set(c.unitId, stays);
    } else if (c.op === "verdict") {
      // Only a batch in a unit is due anywhere; one that left keeps its verdict in the database.
      if (openOf.has(c.batchId)) budgetsOf.set(c.batchId, c.budgets);
    } else if (c.op === "closed") {
      const open = openOf.get(c.batchId);
      // A stay that began at or after the close is a later one (the close is replayed onto a read
      // that has the whole move already): moves are in time order, so it is not this close's.
      if (!open || open.stay.fromMs >= c.toMs) return;
      open.stay.toMs = c.toMs;
      openOf.delete(c.batchId);
      budgetsOf.delete(c.batchId);
    } else {
      forget(c.batchId);
    }
  }

  function record(c: Change): void {
    apply(c);
    for (const list of during) list.push(c);
  }

  return {
    /** Reads every stay in a unit again (at start; on PostgreSQL, after the listener reconnected). */
    async load(q: SqlQueries): Promise<void> {
      const mine: Change[] = [];
      during.add(mine);
      try {
        const rows = await q.query<{
          batch_id: string;
          unit_id: string;
          from_ms: number;
          to_ms: number | null;
          code: string;
          verdict_json: string | null;
        }>(
          `SELECT c.batch_id, c.unit_id, c.from_ms, c.to_ms, b.code,
                  CASE WHEN c.to_ms IS NULL THEN b.verdict_json END AS verdict_json
             FROM custody c JOIN batch b ON b.id = c.batch_id
            WHERE c.unit_id IS NOT NULL ORDER BY c.unit_id, c.from_ms, c.id`,
        );
        const units = new Map<string, Stay[]>();
        const open = new Map<string, Open>();
        const budgets = new Map<string, readonly Budget[]>();
        for (const r of rows) {
          const stay: Stay = { batchId: r.batch_id, fromMs: r.from_ms, toMs: r.to_ms };
          let stays = units.get(r.unit_id);
          if (!stays) {
            stays = [];
            units.set(r.unit_id, stays);
          }
          stays.push(stay);
          if (r.to_ms === null) open.set(r.batch_id, { unitId: r.unit_id, code: r.code, stay });
          if (r.verdict_json !== null)
            budgets.set(r.batch_id, (JSON.parse(r.verdict_json) as Pick<Verdict, "budgets">).budgets);
        }
        byUnit = units;
        openOf = open;
        budgetsOf = budgets;
        for (const c of mine) apply(c);
      } finally {
        during.delete(mine);
      }
    },

    /**
     * Reads one batch's stays in units again (another instance created, moved or erased it, or
     * stored its verdict): a batch with none (deleted, or never in a unit) leaves the index.
     */
    async reloadBatch(q: SqlQueries, batchId: string): Promise<void> {
      const mine: Change[] = [];
      during.add(mine);
      let rows: {
        unit_id: string;
        from_ms: number;
        to_ms: number | null;
        code: string;
        verdict_json: string | null;
      }[];
      try {
        rows = await q.query(
          `SELECT c.unit_id, c.from_ms, c.to_ms, b.code,
                  CASE WHEN c.to_ms IS NULL THEN b.verdict_json END AS verdict_json
             FROM custody c JOIN batch b ON b.id = c.batch_id
            WHERE c.batch_id = ? AND c.unit_id IS NOT NULL ORDER BY c.from_ms, c.id`,
          [batchId],
        );
      } finally {
        during.delete(mine);
      }
      const open = rows.find((r) => r.to_ms === null && r.verdict_json !== null);
      record({
        op: "replaced",
        batchId,
        code: rows[0]?.code ?? "",
        stays: rows.map((r) => ({ unitId: r.unit_id, fromMs: r.from_ms, toMs: r.to_ms })),
        budgets: open ? (JSON.parse(open.verdict_json as string) as Pick<Verdict, "budgets">).budgets : null,
      });
      // This process's own changes to the batch since the read began are newer than the read.
      for (const c of mine) if (c.batchId === batchId) record(c);
    },

    /** The batch was placed in the unit at `fromMs` (after the write committed). */
    opened(batchId: string, code: string, unitId: string, fromMs: number): void {
      record({ op: "opened", batchId, code, unitId, fromMs });
    },

    /** The batch's verdict was stored with these time limits. */
    verdictStored(batchId: string, budgets: readonly Budget[]): void {
      record({ op: "verdict", batchId, budgets });
    },

    /** Batches in a unit now that have a stored verdict, with its budgets. */
    inCustody(): InCustody[] {
      const out: InCustody[] = [];
      for (const [batchId, open] of openOf) {
        const budgets = budgetsOf.get(batchId);
        if (budgets) out.push({ batchId, code: open.code, unitId: open.unitId, budgets });
      }
      return out;
    },

    /** The batch's open stay ended at `toMs`. */
    closed(batchId: string, toMs: number): void {
      record({ op: "closed", batchId, toMs });
    },

    /** The batch was deleted (account erasure). */
    removed(batchId: string): void {
      record({ op: "removed", batchId });
    },

    /** Batches in the unit at any time in [fromMs, toMs), each once, in the order they came. */
    batchesIn(unitId: string, fromMs: number, toMs: number): string[] {
      const out = new Set<string>();
      for (const s of byUnit.get(unitId) ?? []) {
        if (s.fromMs < toMs && (s.toMs === null || s.toMs > fromMs)) out.add(s.batchId);
      }
      return [...out];
    },

    /** When the milk in the unit at `atMs` was put there (earliest stay start), or null if none. */
    packedSince(unitId: string, atMs: number): number | null {
      let since: number | null = null;
      for (const s of byUnit.get(unitId) ?? []) {
        if (s.fromMs <= atMs && (s.toMs === null || s.toMs > atMs) && (since === null || s.fromMs < since))
          since = s.fromMs;
      }
      return since;
    },
  };
}
export type CustodyIndex = ReturnType<typeof createCustodyIndex>;
