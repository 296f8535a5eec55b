import type { Config } from "../config.js";
import type { Db } from "../db/open.js";
import { createForwarder } from "../journal/forwarder.js";
import { createJournal } from "../journal/journal.js";
import type { Logger } from "../logger.js";
import { createMetrics, type Metrics } from "../metrics.js";
import type { Reading } from "../reading.js";
import type { DeadLetters } from "../registry/deadletters.js";
import { createInfluxReadingsStore } from "../stores/influx.js";
import { createSqliteReadingsStore, createSqliteReadingsUpsert } from "../stores/sqlite.js";
import type { ReadingsStore } from "../stores/types.js";
import { createReadingsCache } from "./cache.js";
import { openCleanStop } from "./clean-stop.js";
import { createHourRollups } from "./hour-rollups.js";

/** Readings kept in memory for verdicts (about 60 bytes each: 2 M ≈ 120 MB, four probe-years). */
const READINGS_CACHE_MAX = 2_000_000;

/** Readings a store request, and requests with the store at once (bench/backlog.ts measures them). */
export const FORWARDING = { batchSize: 5000, concurrency: 4 } as const;

export interface PipelineDeps {
  config: Pick<Config, "store" | "journal">;
  db: Db;
  log: Logger;
  metrics: Pick<Metrics, "stored" | "storeErrors" | "rejected">;
  deadLetters: Pick<DeadLetters, "add">;
  now(): number;
}

/**
 * From the journal to the readings store: the store chosen by configuration (SQLite or InfluxDB)
 * behind an in-memory cache, the durable journal, and the forwarder that moves journaled readings
 * into the store. `onStored` listeners hear of every reading the store confirmed; `start()`
 * forwards what was journaled before a crash once they are in place.
 */
export function createReadingsPipeline(deps: PipelineDeps) {
  const { config, db, log, metrics } = deps;
  const backing: ReadingsStore =
    config.store.kind === "influx"
      ? createInfluxReadingsStore({
          url: config.store.url,
          database: config.store.database,
          token: config.store.token,
        })
      : createSqliteReadingsStore(db);
  // Before anything is stored: from here on, a run that does not reach `stop` left no clean mark.
  const cleanStop = openCleanStop(db);
  const rollups = createHourRollups({
    db,
    store: backing,
    now: deps.now,
    savedTrusted: cleanStop.previousStopClean,
  });
  const store = createReadingsCache(backing, { maxReadings: READINGS_CACHE_MAX, buckets: rollups.buckets });
  const listeners: ((rows: readonly Reading[]) => void)[] = [];
  const stored = (rows: readonly Reading[]) => {
    store.observe(rows);
    rollups.observe(rows);
    metrics.stored.inc(rows.length);
    for (const l of listeners) l(rows);
  };
  const sqlite = config.store.kind === "sqlite";
  const journal = createJournal(db, {
    maxWaitMs: config.journal.maxWaitMs,
    ...(sqlite && { storeInTransaction: createSqliteReadingsUpsert(db) }),
    // Readings written in the commit itself are stored now; others once the forwarder confirms.
    onCommit: (rows) => {
      if (sqlite) stored(rows);
    },
  });
  const forwarder = createForwarder(journal, backing, log.child({ component: "forwarder" }), {
    ...FORWARDING,
    minBackoffMs: 250,
    maxBackoffMs: 15_000,
    onStored: stored,
    onError: () => metrics.storeErrors.inc(),
    onRefused: (rows, err) => {
      metrics.rejected.inc({ reason: "store_refused" }, rows.length);
      for (const r of rows) {
        deps.deadLetters.add({
          atMs: deps.now(),
          probeId: r.probeId,
          clientId: null,
          topic: "(journal)",
          reason: "store_refused",
          message: `the ${store.name} store refused this reading for good: ${err.message}`,
          payload: Buffer.from(JSON.stringify({ ts: r.tsMs, temp_c: r.tempC, seq: r.seq })),
        });
      }
    },
  });

  return {
    store,
    rollups,
    /**
     * The last run stopped cleanly and nothing wrote readings since: what it kept derived from
     * the readings (checkpoints, rollups) still fits them. Otherwise that was discarded.
     */
    previousStopClean: cleanStop.previousStopClean,
    journal,
    forwarder,
    onStored(listener: (rows: readonly Reading[]) => void): void {
      listeners.push(listener);
    },
    /** Forwards entries journaled before a crash. */
    start(): void {
      if (journal.depth() > 0) log.info({ depth: journal.depth() }, "journal.recovering");
      forwarder.poke();
    },
    /** New entries were journaled: with the SQLite store the commit itself stored them. */
    journaled(): void {
      if (journal.depth() > 0) forwarder.poke();
    },
    async stop(): Promise<void> {
      await journal.close();
      // The journal is durable: a store that is down only delays forwarding to the next start.
      const drained = await forwarder.drain(5000).then(
        () => true,
        (e: Error) => {
          log.warn({ err: e.message }, "journal.left_for_next_start");
          return false;
        },
      );
      await forwarder.stop();
      // A write still in flight may land unobserved: only a drained journal leaves a clean mark.
      if (drained) cleanStop.markClean(deps.now());
    },
  };
}
export type ReadingsPipeline = ReturnType<typeof createReadingsPipeline>;

/**
 * The process's metrics together with the pipeline they watch: the journal and forwarder gauges
 * are read on scrape only, once both exist.
 */
export function createMeteredPipeline(deps: Omit<PipelineDeps, "metrics">) {
  const metrics = createMetrics({
    journalDepth: () => pipeline.journal.depth(),
    storeLagMs: () => pipeline.forwarder.lagMs,
    storeBackoffMs: () => pipeline.forwarder.backoffMs,
  });
  const pipeline = createReadingsPipeline({ ...deps, metrics });
  return { metrics, pipeline };
}
