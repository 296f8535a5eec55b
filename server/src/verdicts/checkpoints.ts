import { deserialize, serialize } from "node:v8";
import type { Db } from "../db/open.js";
import type { Logger } from "../logger.js";
import type { Reading } from "../reading.js";
import type { UnitReadings } from "../readings/unit-readings.js";
import type { StayCheckpoint } from "../rules/index.js";
import type { ReadingsStore } from "../stores/types.js";

/** A stay's checkpoint with what it was taken over: which probes, and how many of their readings. */
export interface SavedCheckpoint {
  /** The probes, attachment times and calibration offsets behind the stay (see `sourceKeyOf`). */
  sourceKey: string;
  /** Readings of those probes within the stay up to `checkpoint.throughMs`: a late one changes the count. */
  readings: number;
  checkpoint: StayCheckpoint;
}

/** Keep in memory at most this many stays' checkpoints (each a machine state and its events). */
const MAX_IN_MEMORY = 5_000;
/** Write a stay's checkpoint to the database again once it has moved on this far (Design). */
const PERSIST_EVERY_MS = 3_600_000;

type Sources = ReturnType<UnitReadings["sources"]>;

/** What a checkpoint of a stay was computed from, stable while the stay goes on. */
export function sourceKeyOf(sources: Sources): string {
  return JSON.stringify(sources.map((s) => [s.probeId, s.fromMs, s.attachedUntilMs, s.offsetC]));
}

/**
 * Where each batch's stays were last walked, so that a verdict over a year of readings reads only
 * the readings since (rules/walk.ts takes and resumes the checkpoints). In memory, and in the
 * database every hour of progress, so the first verdict after a restart is as quick.
 *
 * A checkpoint stands for the readings it saw: a reading stored later at or before its
 * `throughMs` drops it (`observe`, fed by every reading the store confirms). What one read back
 * from the database is worth depends on how the last run ended (`saved`, readings/clean-stop.ts).
 */
export function createVerdictCheckpoints(deps: {
  db: Db;
  store: ReadingsStore;
  log: Logger;
  /**
   * - "trust": the last run stopped cleanly and nothing wrote the readings since (the SQLite store,
   *   whose tripwire would have said so): a checkpoint read back stands as saved.
   * - "count": the last run stopped cleanly, but another program may write the store (InfluxDB):
   *   one read back is checked first by counting the stay's readings up to `throughMs`.
   * - "discard": the last run did not stop cleanly. A reading it stored but never observed may lie
   *   behind any checkpoint, and a reading stored again at the same time with another temperature
   *   changes no count: every saved checkpoint is deleted at start-up.
   */
  saved: "trust" | "count" | "discard";
}) {
  const { db, store } = deps;
  if (deps.saved === "discard") {
    const { changes } = db.prepare("DELETE FROM verdict_checkpoint").run();
    if (changes > 0) deps.log.info({ checkpoints: changes }, "verdict.checkpoints_discarded_after_crash");
  }
  const memory = new Map<string, SavedCheckpoint & { persistedThroughMs: number | null }>();
  /** Per probe, the latest `throughMs` of any checkpoint in memory that reads it. */
  const newestThrough = new Map<string, number>();
  const select = db.prepare<
    [string, number],
    { source_key: string; through_ms: number; readings: number; body: Buffer }
  >(
    "SELECT source_key, through_ms, readings, body FROM verdict_checkpoint WHERE batch_id = ? AND stay_from_ms = ?",
  );
  const upsert = db.prepare<[string, number, string, number, number, Buffer, number]>(
    `INSERT INTO verdict_checkpoint (batch_id, stay_from_ms, source_key, through_ms, readings, body, saved_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (batch_id, stay_from_ms) DO UPDATE SET source_key = excluded.source_key,
       through_ms = excluded.through_ms, readings = excluded.readings, body = excluded.body, saved_ms = excluded.saved_ms`,
  );
  const removeOne = db.prepare<[string, number]>(
    "DELETE FROM verdict_checkpoint WHERE batch_id = ? AND stay_from_ms = ?",
  );
  const removeOfProbe = db.prepare<[number, string]>(
    "DELETE FROM verdict_checkpoint WHERE through_ms >= ? AND instr(source_key, ?) > 0",
  );
  const keyOf = (batchId: string, stayFromMs: number) => `${batchId}\u0000${stayFromMs}`;
  const probesOf = (sourceKey: string) => (JSON.parse(sourceKey) as [string][]).map((s) => s[0]);

  function remember(key: string, saved: SavedCheckpoint, persistedThroughMs: number | null): void {
    memory.delete(key);
    memory.set(key, { ...saved, persistedThroughMs });
    for (const probeId of probesOf(saved.sourceKey))
      newestThrough.set(probeId, Math.max(newestThrough.get(probeId) ?? 0, saved.checkpoint.throughMs));
    if (memory.size > MAX_IN_MEMORY) memory.delete(memory.keys().next().value as string);
  }

  // Checkpoints on disk count too: a late reading must drop them even before they are read back.
  for (const row of db
    .prepare<[], { source_key: string; through_ms: number }>(
      "SELECT source_key, through_ms FROM verdict_checkpoint",
    )
    .all())
    for (const probeId of probesOf(row.source_key))
      newestThrough.set(probeId, Math.max(newestThrough.get(probeId) ?? 0, row.through_ms));

  /**
   * Verdicts being computed, each with the earliest reading of its probes observed meanwhile: a
   * store that answers asynchronously (InfluxDB) lets a late reading be stored and observed
   * after the walk read the readings, and a checkpoint from that walk would stand without it.
   */
  const watches = new Set<{ probeIds: ReadonlySet<string>; earliestMs: number }>();

  async function countUpTo(sources: Sources, throughMs: number): Promise<number> {
    let n = 0;
    for (const s of sources) {
      const toMs = Math.min(s.toMs, throughMs + 1);
      if (toMs > s.fromMs) n += await store.count(s.probeId, s.fromMs, toMs);
    }
    return n;
  }

  return {
    /** The checkpoint of the batch's stay that starts at `stayFromMs`, if it still fits its sources. */
    async get(batchId: string, stayFromMs: number, sources: Sources): Promise<SavedCheckpoint | null> {
      const key = keyOf(batchId, stayFromMs);
      const sourceKey = sourceKeyOf(sources);
      const held = memory.get(key);
      if (held !== undefined) return held.sourceKey === sourceKey ? held : null;
      const row = select.get(batchId, stayFromMs);
      if (row === undefined || row.source_key !== sourceKey) return null;
      if (deps.saved === "count" && (await countUpTo(sources, row.through_ms)) !== row.readings) {
        deps.log.info({ batchId, stayFromMs }, "verdict.checkpoint_stale");
        removeOne.run(batchId, stayFromMs);
        return null;
      }
      const saved = {
        sourceKey,
        readings: row.readings,
        checkpoint: deserialize(row.body) as StayCheckpoint,
      };
      remember(key, saved, row.through_ms);
      return saved;
    },

    /**
     * Call before reading a stay's checkpoint and readings; `put` it with the checkpoint taken,
     * and `end` it when the verdict is done.
     */
    watch(sources: Sources) {
      const w = { probeIds: new Set(sources.map((s) => s.probeId)), earliestMs: Number.POSITIVE_INFINITY };
      watches.add(w);
      return {
        /** A reading of these probes at or before `throughMs` was observed since the watch began. */
        missed: (throughMs: number) => w.earliestMs <= throughMs,
        end: () => void watches.delete(w),
      };
    },

    put(batchId: string, stayFromMs: number, saved: SavedCheckpoint, nowMs: number): void {
      const key = keyOf(batchId, stayFromMs);
      const persisted = memory.get(key)?.persistedThroughMs ?? null;
      const due =
        persisted === null ||
        saved.checkpoint.throughMs < persisted ||
        saved.checkpoint.throughMs - persisted >= PERSIST_EVERY_MS;
      if (due)
        upsert.run(
          batchId,
          stayFromMs,
          saved.sourceKey,
          saved.checkpoint.throughMs,
          saved.readings,
          serialize(saved.checkpoint),
          nowMs,
        );
      remember(key, saved, due ? saved.checkpoint.throughMs : persisted);
    },

    /** Readings the store confirmed: one at or before a checkpoint's end makes it stale. */
    observe(readings: readonly Reading[]): void {
      for (const w of watches)
        for (const r of readings)
          if (r.tsMs < w.earliestMs && w.probeIds.has(r.probeId)) w.earliestMs = r.tsMs;
      for (const r of readings) {
        const newest = newestThrough.get(r.probeId);
        if (newest === undefined || r.tsMs > newest) continue;
        for (const [key, saved] of memory)
          if (r.tsMs <= saved.checkpoint.throughMs && probesOf(saved.sourceKey).includes(r.probeId))
            memory.delete(key);
        removeOfProbe.run(r.tsMs, `[${JSON.stringify(r.probeId)},`);
      }
    },
  };
}
export type VerdictCheckpoints = ReturnType<typeof createVerdictCheckpoints>;
