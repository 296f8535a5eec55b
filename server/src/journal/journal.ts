import type { Db } from "../db/open.js";
import type { Reading } from "../reading.js";
import { encodeJournalReadings, forEachJournalReading } from "./encoding.js";

export interface JournalEntry extends Reading {
  /** The journaled message it came in; every reading of one message shares it. */
  id: number;
  receivedMs: number;
}

/**
 * The durable journal between a device's PUBACK and the readings store.
 *
 * `append` resolves only once its readings are committed (WAL, synchronous=FULL), so an
 * acknowledged reading survives `kill -9`. Appends are grouped: every append that arrives while
 * a commit is pending joins the same transaction (group commit), so one fsync serves many
 * messages instead of one each. The wait is bounded by `maxWaitMs` and by the event loop: a
 * group is committed at the latest on the next turn after its first append.
 */
export interface Journal {
  append(readings: readonly Reading[], receivedMs: number): Promise<void>;
  /**
   * The oldest entries not yet forwarded, in append order: whole messages, about `limit` readings.
   * With `afterId`, those after that message (a forwarder reading ahead of its writes in flight).
   */
  peek(limit: number, afterId?: number): JournalEntry[];
  /** Removes entries up to and including `id`, e.g. after the store confirmed them. */
  ack(upToId: number): void;
  depth(): number;
  /** Commits whatever is pending now. */
  flush(): Promise<void>;
}

interface Pending {
  rows: readonly Reading[];
  receivedMs: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface JournalOptions {
  maxWaitMs: number;
  /**
   * When the store lives in the journal's own SQLite file, its upsert runs inside the group
   * commit instead of a journal row: committed = stored, nothing left to forward.
   */
  storeInTransaction?: (rows: readonly Reading[]) => void;
  /** After each commit, with the readings it made durable. */
  onCommit?: (rows: readonly Reading[]) => void;
}

export function createJournal(db: Db, opts: JournalOptions): Journal {
  const insert = db.prepare(
    "INSERT INTO journal_message (probe_id, received_ms, count, readings) VALUES (?, ?, ?, ?)",
  );
  const select = db.prepare(
    "SELECT id, probe_id, received_ms, readings FROM journal_message WHERE id > ? ORDER BY id",
  );
  const remove = db.prepare("DELETE FROM journal_message WHERE id <= ?");
  const count = db.prepare("SELECT coalesce(sum(count), 0) FROM journal_message").pluck();
  const removedCount = db
    .prepare("SELECT coalesce(sum(count), 0) FROM journal_message WHERE id <= ?")
    .pluck();
  let depth = count.get() as number;
  const synchronous = db.pragma("synchronous", { simple: true }) as number;
  const acknowledge = db.transaction((upToId: number) => {
    const removed = removedCount.get(upToId) as number;
    remove.run(upToId);
    depth -= removed;
  });

  const direct = opts.storeInTransaction;
  const commitGroup = db.transaction((group: readonly Pending[]) => {
    let n = 0;
    for (const p of group) {
      if (direct) direct(p.rows);
      else {
        const encoded = encodeJournalReadings(p.rows);
        insert.run((p.rows[0] as Reading).probeId, p.receivedMs, p.rows.length, encoded);
      }
      n += p.rows.length;
    }
    return n;
  });

  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;

  function commitNow(): void {
    timer = null;
    const group = queue;
    queue = [];
    if (group.length === 0) return;
    try {
      const n = commitGroup(group);
      if (!direct) depth += n;
      for (const p of group) p.resolve();
      opts.onCommit?.(group.length === 1 ? (group[0] as Pending).rows : group.flatMap((p) => p.rows));
    } catch (e) {
      for (const p of group) p.reject(e);
    }
  }

  function schedule(): void {
    if (timer) return;
    // setImmediate runs after the I/O callbacks of this turn, so every message already read from
    // the sockets joins the group; a small timer lets a busy broker gather a larger group.
    timer = opts.maxWaitMs > 0 ? setTimeout(commitNow, opts.maxWaitMs) : setImmediate(commitNow);
  }

  return {
    append(rows, receivedMs) {
      if (rows.length === 0) return Promise.resolve();
      if (rows.some((r) => r.probeId !== (rows[0] as Reading).probeId)) {
        return Promise.reject(
          new Error("journal.append takes the readings of one probe (one message) at a time"),
        );
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ rows, receivedMs, resolve, reject });
        schedule();
      });
    },
    peek(limit, afterId = 0) {
      const out: JournalEntry[] = [];
      for (const m of select.iterate(afterId) as Iterable<{
        id: number;
        probe_id: string;
        received_ms: number;
        readings: unknown;
      }>) {
        const { id, probe_id: probeId, received_ms: receivedMs } = m;
        const read = forEachJournalReading(m.readings, (tsMs, tempC, seq, serverTimed) => {
          out.push({ id, probeId, tsMs, tempC, seq, serverTimed, receivedMs });
        });
        if (!read.ok) throw new Error(`journal message ${id} of probe ${probeId}: ${read.reason}`);
        if (out.length >= limit) break;
      }
      return out;
    },
    ack(upToId) {
      // Forwarded rows need no fsync of their own: a removal lost to a crash only means those
      // readings are forwarded again (the stores are idempotent), and the next journal commit's
      // fsync makes it durable anyway. Each ack of a replay otherwise blocked the event loop.
      db.pragma("synchronous = NORMAL");
      try {
        acknowledge(upToId);
      } finally {
        db.pragma(`synchronous = ${synchronous}`);
      }
    },
    depth: () => depth,
    async flush() {
      if (timer) {
        clearTimeout(timer as NodeJS.Timeout);
        clearImmediate(timer as NodeJS.Immediate);
      }
      commitNow();
    },
  };
}
