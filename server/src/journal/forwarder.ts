import type { Logger } from "../logger.js";
import type { Reading } from "../reading.js";
import { type ReadingsStore, StoreUnavailableError } from "../stores/types.js";
import type { Journal, JournalEntry } from "./journal.js";

export interface ForwarderOptions {
  batchSize: number;
  /**
   * Batches in flight at once. A replayed backlog is limited by round trips to the store, not by
   * the store itself; a few requests in flight fill the gap, and the next batch is read from the
   * journal and sent while the others are with the store. Default 1.
   */
  concurrency?: number;
  /** Back-off after a failed write: starts at minBackoffMs, doubles, capped at maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Called with each batch the store confirmed, e.g. to run the live rules on it. */
  onStored?: (readings: readonly Reading[]) => void;
  onError?: (error: unknown) => void;
  /**
   * Readings the store refused for good (not "unavailable": e.g. a field-type conflict). They are
   * handed over here, to be kept as dead letters, so that one bad reading cannot block the journal.
   */
  onRefused?: (readings: readonly Reading[], error: Error) => void;
}

export interface Forwarder {
  /** Wakes the forwarder (new entries were journaled). */
  poke(): void;
  /** Resolves when the journal is empty (or rejects after timeoutMs). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  readonly backoffMs: number;
  readonly lagMs: number;
}

/**
 * Moves journaled readings to the store, oldest first, at least once; the stores are idempotent on
 * (probe, ts), so the store holds each exactly once. An entry leaves the journal only after the
 * store confirmed it, so a store that is down for minutes loses nothing: the forwarder retries with
 * exponential back-off and catches up in large batches when it is back.
 */
export function createForwarder(
  journal: Journal,
  store: ReadingsStore,
  log: Logger,
  opts: ForwarderOptions,
): Forwarder {
  let running = false;
  let stopped = false;
  let again = false;
  let backoffMs = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  let lagMs = 0;
  let idleWaiters: (() => void)[] = [];

  /**
   * Writes a batch; when the store refuses it for good, halves it until the refused readings are
   * isolated, hands those to `onRefused` and writes the rest. "Unavailable" propagates: retry all.
   */
  async function writeIsolating(entries: readonly Reading[]): Promise<void> {
    try {
      await store.write(entries);
    } catch (e) {
      if (e instanceof StoreUnavailableError) throw e;
      if (entries.length === 1) {
        log.error(
          { store: store.name, probeId: entries[0]?.probeId, err: (e as Error).message },
          "store.refused_reading",
        );
        opts.onRefused?.(entries, e as Error);
        return;
      }
      const half = Math.ceil(entries.length / 2);
      await writeIsolating(entries.slice(0, half));
      await writeIsolating(entries.slice(half));
    }
  }

  /** One peek's worth of whole messages, written while the next ones are read and sent. */
  interface InFlight {
    entries: JournalEntry[];
    /** Resolves (never rejects) with the write's failure, or null once the store confirmed it. */
    written: Promise<unknown>;
  }

  function send(entries: JournalEntry[]): InFlight {
    const batches: Promise<void>[] = [];
    for (let i = 0; i < entries.length; i += opts.batchSize) {
      batches.push(
        writeIsolating(
          i === 0 && entries.length <= opts.batchSize ? entries : entries.slice(i, i + opts.batchSize),
        ),
      );
    }
    return {
      entries,
      written: Promise.all(batches).then(
        () => null,
        (e: unknown) => e ?? new Error("store write failed"),
      ),
    };
  }

  /**
   * Keeps up to `concurrency` peeks in flight: while the store takes one, the next is already read
   * from the journal and sent, so the store is never left waiting on the forwarder. Entries leave
   * the journal in order, each peek once it and every peek before it were confirmed; after a
   * failure nothing later is acknowledged and everything unacknowledged is written again after the
   * back-off (the stores are idempotent on probe and time, so none is stored twice).
   */
  async function pump(): Promise<void> {
    if (running || stopped) {
      again = true;
      return;
    }
    running = true;
    const window = Math.max(1, opts.concurrency ?? 1);
    const inFlight: InFlight[] = [];
    let cursor = 0;
    let failure: unknown = null;
    try {
      for (;;) {
        again = false;
        while (failure === null && !stopped && inFlight.length < window) {
          const entries = journal.peek(opts.batchSize, cursor);
          if (entries.length === 0) break;
          cursor = (entries[entries.length - 1] as JournalEntry).id;
          inFlight.push(send(entries));
        }
        const oldest = inFlight.shift();
        if (oldest === undefined) break;
        const error = await oldest.written;
        if (failure !== null) continue;
        if (error !== null) {
          failure = error;
          continue;
        }
        if (backoffMs > 0) log.info({ store: store.name, depth: journal.depth() }, "store.recovered");
        backoffMs = 0;
        const last = oldest.entries[oldest.entries.length - 1] as JournalEntry;
        lagMs = Date.now() - last.receivedMs;
        journal.ack(last.id);
        opts.onStored?.(oldest.entries);
      }
      if (failure !== null) {
        backoffMs = backoffMs === 0 ? opts.minBackoffMs : Math.min(backoffMs * 2, opts.maxBackoffMs);
        const level = failure instanceof StoreUnavailableError ? "warn" : "error";
        log[level](
          {
            store: store.name,
            depth: journal.depth(),
            retryInMs: backoffMs,
            err: (failure as Error).message,
          },
          "store.write_failed",
        );
        opts.onError?.(failure);
        if (!stopped) {
          retryTimer = setTimeout(() => {
            retryTimer = null;
            void pump();
          }, backoffMs);
        }
        return;
      }
      lagMs = 0;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    } finally {
      running = false;
      if (again && !stopped && retryTimer === null) setImmediate(() => void pump());
    }
  }

  return {
    poke() {
      if (retryTimer === null) void pump();
    },
    drain(timeoutMs = 30_000) {
      if (journal.depth() === 0 && !running) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`journal not drained after ${timeoutMs} ms (${journal.depth()} left)`)),
          timeoutMs,
        );
        idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
        if (retryTimer === null) void pump();
      });
    },
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
    },
    get backoffMs() {
      return backoffMs;
    },
    get lagMs() {
      return lagMs;
    },
  };
}
