import type { Logger } from "../logger.js";
import type { Reading } from "../reading.js";
import { type ReadingsStore, StoreUnavailableError } from "../stores/types.js";
import type { Journal } from "./journal.js";

export interface ForwarderOptions {
  batchSize: number;
  /**
   * Batches written at once. A replayed backlog is limited by round trips to the store, not by
   * the store itself; a few requests in flight fill the gap. Default 1.
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

  async function pump(): Promise<void> {
    if (running || stopped) {
      again = true;
      return;
    }
    running = true;
    try {
      for (;;) {
        again = false;
        const entries = journal.peek(opts.batchSize * (opts.concurrency ?? 1));
        if (entries.length === 0) break;
        try {
          // Entries leave the journal only once every batch is confirmed; if one fails, all are
          // written again (the stores are idempotent on probe and time, so none is stored twice).
          const batches = [];
          for (let i = 0; i < entries.length; i += opts.batchSize)
            batches.push(entries.slice(i, i + opts.batchSize));
          await Promise.all(batches.map(writeIsolating));
        } catch (e) {
          backoffMs = backoffMs === 0 ? opts.minBackoffMs : Math.min(backoffMs * 2, opts.maxBackoffMs);
          const level = e instanceof StoreUnavailableError ? "warn" : "error";
          log[level](
            { store: store.name, depth: journal.depth(), retryInMs: backoffMs, err: (e as Error).message },
            "store.write_failed",
          );
          opts.onError?.(e);
          retryTimer = setTimeout(() => {
            retryTimer = null;
            void pump();
          }, backoffMs);
          return;
        }
        if (backoffMs > 0) log.info({ store: store.name, depth: journal.depth() }, "store.recovered");
        backoffMs = 0;
        const last = entries[entries.length - 1] as (typeof entries)[number];
        lagMs = Date.now() - last.receivedMs;
        journal.ack(last.id);
        opts.onStored?.(entries);
        if (stopped) break;
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
