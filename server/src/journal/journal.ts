import type { Db } from "../db/open.js";
import { writeUnsynced } from "../db/unsynced.js";
import type { Reading } from "../reading.js";
import { encodeJournalReadings, forEachJournalReading } from "./encoding.js";
import { createWalSync } from "./wal-sync.js";

export interface JournalEntry extends Reading {
  /** The journaled message it came in; every reading of one message shares it. */
  id: number;
  receivedMs: number;
}

/**
 * The durable journal between a device's PUBACK and the readings store.
 *
 * `append` resolves only once its readings are committed and on disk, so an acknowledged reading
 * survives `kill -9` and power loss. Appends are grouped: every append that arrives while a commit
 * is pending joins the same transaction (group commit), so one fsync serves many messages instead
 * of one each. The wait is bounded by `maxWaitMs` and by the event loop: a group is committed at
 * the latest on the next turn after its first append, or, while the previous group's fsync is
 * still running, as soon as it completes.
 *
 * The fsync runs off the event loop (wal-sync.ts): the group is committed with
 * synchronous=NORMAL (written to the WAL, no sync), then the WAL file is synced on the thread
 * pool, and only then do the appends resolve and `onCommit` run. Meanwhile the loop keeps
 * reading sockets, answering HTTP and gathering the next group. Without a WAL file of its own (an
 * in-memory database) the commit is synchronous=FULL, as the connection's other writes are.
 */
export interface Journal {
  append(readings: readonly Reading[], receivedMs: number): Promise<void>;
  /**
   * `append` with a callback instead of a promise, for the MQTT ingest path (one a message): `done`
   * is called once, with null when the readings are durable, or with the error. It is never called
   * before `appendThen` returns.
   */
  appendThen(readings: readonly Reading[], receivedMs: number, done: (err: Error | null) => void): void;
  /**
   * The oldest entries not yet forwarded, in append order: whole messages, about `limit` readings.
   * With `afterId`, those after that message (a forwarder reading ahead of its writes in flight).
   */
  peek(limit: number, afterId?: number): JournalEntry[];
  /** Removes entries up to and including `id`, e.g. after the store confirmed them. */
  ack(upToId: number): void;
  depth(): number;
  /** Commits whatever is pending now; resolves once it is on disk. */
  flush(): Promise<void>;
  /**
   * Flushes, then releases the WAL file's descriptor. Appends after it still work, synchronously
   * durable (synchronous=FULL commits on the event loop).
   */
  close(): Promise<void>;
}

interface Pending {
  rows: readonly Reading[];
  receivedMs: number;
  done: (err: Error | null) => void;
}

/** A committed journal row as it was appended: what `peek` would read back and decode. */
interface TailEntry {
  id: number;
  rows: readonly Reading[];
  receivedMs: number;
}

/**
 * Most messages the in-memory tail holds. A store that falls further behind than this is fed
 * from the file until the journal has emptied.
 */
const TAIL_MAX_MESSAGES = 20_000;

/** The journals open on each database connection, told when rows are deleted beside them. */
const journalsOf = new WeakMap<Db, Set<() => void>>();

/**
 * Deletes the journal rows of these probes (an erasure: their backlog must never reach a store),
 * and has every journal on `db` forget them too. Runs in the caller's transaction if there is one.
 */
export function deleteJournalRowsOfProbes(db: Db, probeIds: readonly string[]): void {
  if (probeIds.length === 0) return;
  const remove = db.prepare("DELETE FROM journal_message WHERE probe_id = ?");
  for (const p of probeIds) remove.run(p);
  for (const deleted of journalsOf.get(db) ?? []) deleted();
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
  // Rows as arrays (raw), at most a given number a query: `peek` asks for about as many messages
  // as it needs readings, judged by the size of the messages it read last.
  const select = db
    .prepare(
      "SELECT id, probe_id, received_ms, readings FROM journal_message WHERE id > ? ORDER BY id LIMIT ?",
    )
    .raw();
  const remove = db.prepare("DELETE FROM journal_message WHERE id <= ?");
  const count = db.prepare("SELECT coalesce(sum(count), 0) FROM journal_message").pluck();
  const removedCount = db
    .prepare("SELECT coalesce(sum(count), 0) FROM journal_message WHERE id <= ?")
    .pluck();
  let depth = count.get() as number;
  /**
   * The newest committed rows, in id order, from `tailHead` on (issue #12). While `tailComplete`
   * (every row of the file is here: true when the journal is empty, and until it outgrows
   * TAIL_MAX_MESSAGES), `peek` reads the rows just committed from here instead of reading them back
   * and decoding them, and `ack` counts what it removes from here. Row ids only grow while the
   * table has rows; once it is empty they may start again at 1, and so does the tail.
   */
  let tail: TailEntry[] = [];
  let tailHead = 0;
  let tailComplete = depth === 0;
  /** Readings per message in the last rows `peek` read: how many rows its next query asks for. */
  let readingsPerMessage = 1;
  const acknowledge = db.transaction((upToId: number) => {
    const removed = tailComplete ? dropTailUpTo(upToId) : (removedCount.get(upToId) as number);
    remove.run(upToId);
    depth -= removed;
  });

  /** Drops the tail's rows up to `upToId`; returns how many readings they held. */
  function dropTailUpTo(upToId: number): number {
    let removed = 0;
    while (tailHead < tail.length && (tail[tailHead] as TailEntry).id <= upToId) {
      removed += (tail[tailHead] as TailEntry).rows.length;
      tailHead++;
    }
    if (tailHead === tail.length) {
      tail = [];
      tailHead = 0;
    } else if (tailHead > 4096 && tailHead * 2 > tail.length) {
      tail = tail.slice(tailHead);
      tailHead = 0;
    }
    return removed;
  }

  /** The file holds rows the tail does not: `peek` reads the file until the journal is empty. */
  function leaveTail(): void {
    tailComplete = false;
    tail = [];
    tailHead = 0;
  }

  /** The first tail index whose id is above `afterId` (ids ascend). */
  function tailIndexAfter(afterId: number): number {
    let lo = tailHead;
    let hi = tail.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((tail[mid] as TailEntry).id <= afterId) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // Rows deleted beside the journal (an erasure, in its caller's transaction, which may still roll
  // back): read the file from here on, as after a restart, and count again. Erasures are rare.
  const rowsDeleted = () => {
    leaveTail();
    depth = count.get() as number;
  };
  let journals = journalsOf.get(db);
  if (!journals) {
    journals = new Set();
    journalsOf.set(db, journals);
  }
  journals.add(rowsDeleted);

  const direct = opts.storeInTransaction;
  const commitGroup = db.transaction((group: readonly Pending[]) => {
    let n = 0;
    for (const p of group) {
      if (direct) direct(p.rows);
      else {
        const encoded = encodeJournalReadings(p.rows);
        const row = insert.run((p.rows[0] as Reading).probeId, p.receivedMs, p.rows.length, encoded);
        // Taken back out by the caller if the transaction fails.
        if (tailComplete)
          tail.push({ id: Number(row.lastInsertRowid), rows: p.rows, receivedMs: p.receivedMs });
      }
      n += p.rows.length;
    }
    return n;
  });

  let walSync = createWalSync(db);
  /** Appends waiting for the next group. */
  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** A committed group's fsync is running: the next group waits for it (and grows meanwhile). */
  let syncing = false;
  let idleWaiters: (() => void)[] = [];

  function settled(group: readonly Pending[], err: unknown): void {
    const error = err ? (err instanceof Error ? err : new Error(String(err))) : null;
    for (const p of group) {
      try {
        p.done(error);
      } catch {
        // One caller's failure is its own: the others of the group still hear of their commit.
      }
    }
    if (error) return;
    try {
      opts.onCommit?.(group.length === 1 ? (group[0] as Pending).rows : group.flatMap((p) => p.rows));
    } catch {
      // A listener's failure is its own: the readings are durable and their appends resolved.
    }
  }

  function commitNow(): void {
    timer = null;
    if (syncing) return; // the running sync commits the queue when it completes
    const group = queue;
    queue = [];
    if (group.length === 0) {
      wakeIdle();
      return;
    }
    const sync = walSync;
    let n: number;
    const tailBefore = tail.length;
    try {
      n = sync ? writeUnsynced(db, () => commitGroup(group)) : commitGroup(group);
    } catch (e) {
      if (tailComplete) tail.length = tailBefore;
      settled(group, e);
      wakeIdle();
      return;
    }
    if (!direct) depth += n;
    if (tailComplete && tail.length - tailHead > TAIL_MAX_MESSAGES) leaveTail();
    if (!sync) {
      settled(group, null);
      wakeIdle();
      return;
    }
    syncing = true;
    sync.sync((err) => {
      syncing = false;
      settled(group, err);
      if (queue.length === 0) wakeIdle();
      else if (idleWaiters.length > 0) commitNow();
      // The group gathered while the disk synced: no reason to wait `maxWaitMs` for more.
      else timer ??= setImmediate(commitNow);
    });
  }

  function wakeIdle(): void {
    if (syncing || queue.length > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  function schedule(): void {
    if (timer || syncing) return;
    // setImmediate runs after the I/O callbacks of this turn, so every message already read from
    // the sockets joins the group; a small timer lets a busy broker gather a larger group.
    timer = opts.maxWaitMs > 0 ? setTimeout(commitNow, opts.maxWaitMs) : setImmediate(commitNow);
  }

  function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
      timer = null;
    }
    if (!syncing && queue.length === 0) return Promise.resolve();
    const idle = new Promise<void>((resolve) => idleWaiters.push(resolve));
    commitNow();
    return idle;
  }

  function appendThen(rows: readonly Reading[], receivedMs: number, done: (err: Error | null) => void): void {
    if (rows.length === 0) {
      queueMicrotask(() => done(null));
      return;
    }
    if (rows.some((r) => r.probeId !== (rows[0] as Reading).probeId)) {
      const err = new Error("journal.append takes the readings of one probe (one message) at a time");
      queueMicrotask(() => done(err));
      return;
    }
    queue.push({ rows, receivedMs, done });
    schedule();
  }

  return {
    append(rows, receivedMs) {
      return new Promise<void>((resolve, reject) =>
        appendThen(rows, receivedMs, (err) => (err ? reject(err) : resolve())),
      );
    },
    appendThen,
    peek(limit, afterId = 0) {
      const out: JournalEntry[] = [];
      if (tailComplete) {
        for (let i = tailIndexAfter(afterId); i < tail.length && out.length < limit; i++) {
          const { id, rows, receivedMs } = tail[i] as TailEntry;
          for (const r of rows) {
            out.push({
              id,
              probeId: r.probeId,
              tsMs: r.tsMs,
              tempC: r.tempC,
              seq: r.seq,
              serverTimed: r.serverTimed,
              receivedMs,
            });
          }
        }
        return out;
      }
      let after = afterId;
      while (out.length < limit) {
        const want = Math.max(1, Math.ceil((limit - out.length) / readingsPerMessage));
        const rows = select.all(after, want) as [number, string, number, unknown][];
        let readings = 0;
        let messages = 0;
        for (const [id, probeId, receivedMs, value] of rows) {
          const before = out.length;
          const read = forEachJournalReading(value, (tsMs, tempC, seq, serverTimed) => {
            out.push({ id, probeId, tsMs, tempC, seq, serverTimed, receivedMs });
          });
          if (!read.ok) throw new Error(`journal message ${id} of probe ${probeId}: ${read.reason}`);
          readings += out.length - before;
          messages++;
          after = id;
          if (out.length >= limit) break;
        }
        if (messages > 0) readingsPerMessage = Math.max(1, readings / messages);
        if (rows.length < want) break;
      }
      return out;
    },
    ack(upToId) {
      // Not synced (synchronous=NORMAL): a removal lost to a power cut only forwards those entries
      // again, and the stores are idempotent on (probe, ts). The next sync makes it durable. Each
      // ack of a replay otherwise blocked the event loop on the disk.
      writeUnsynced(db, () => acknowledge(upToId));
      // Empty (counted in the file, not trusted to bookkeeping): every row from now on is seen.
      if (depth === 0 && !tailComplete) {
        depth = count.get() as number;
        tailComplete = depth === 0;
      }
    },
    depth: () => depth,
    flush,
    async close() {
      await flush();
      walSync?.close();
      walSync = null;
      journals?.delete(rowsDeleted);
    },
  };
}
