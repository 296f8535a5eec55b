/**
 * Verdict checkpoints on a real SQLite registry and readings store: a resumed verdict equals one
 * walked from the first reading, after new readings, a late reading, a calibration change and a
 * restart, including a reading stored while no process was watching.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { openDatabase } from "../db/open.js";
import { createLogger } from "../logger.js";
import type { Reading } from "../reading.js";
import { createMeteredPipeline } from "../readings/pipeline.js";
import { ADMIN } from "../registry/caller.js";
import { createRegistry } from "../registry/registry.js";
import { createSqliteReadingsStore } from "../stores/sqlite.js";
import { createBatchVerdicts } from "./batch-verdict.js";
import { createJudging } from "./judging.js";

const MIN = 60_000;
const T0 = Date.UTC(2026, 4, 3, 12, 0, 0);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** One server's verdict parts over the data folder `dir` (opened again = a restart). */
async function open(dir: string) {
  const db = openDatabase(dir);
  const log = createLogger("silent");
  const config = loadConfig({ COLDTRAIL_DATA_DIR: dir });
  const registry = await createRegistry(db);
  const { pipeline } = createMeteredPipeline({
    config,
    db,
    log,
    deadLetters: registry.deadLetters,
    now: Date.now,
  });
  /** Where each read of the readings store started: a resumed verdict reads only what is new. */
  const readFrom: number[] = [];
  const store = pipeline.store;
  /** Runs once after the next read, before its answer arrives (as over InfluxDB's network). */
  let beforeAnswer: (() => Promise<void>) | null = null;
  const watched = {
    ...store,
    range: async (probeId: string, fromMs: number, toMs: number) => {
      readFrom.push(fromMs);
      const rows = await store.range(probeId, fromMs, toMs);
      const hook = beforeAnswer;
      beforeAnswer = null;
      await hook?.();
      return rows;
    },
  };
  const judging = createJudging({
    ...registry,
    store: watched,
    db,
    log,
    previousStopClean: pipeline.previousStopClean,
  });
  /** Readings as the pipeline stores them: the store, then everyone who listens. */
  async function storeReadings(readings: Reading[]) {
    await store.write(readings);
    store.observe(readings);
    judging.checkpoints.observe(readings);
  }
  /** Readings stored and never observed: the process died between the commit and `observe`. */
  const storeUnobserved = (readings: Reading[]) => createSqliteReadingsStore(db).write(readings);
  /** The same verdict computed with no checkpoint at all, from the same readings. */
  const scratch = () =>
    createBatchVerdicts({ batches: registry.batches, units: registry.units, history: judging.history });
  return {
    db,
    registry,
    judging,
    store: storeReadings,
    storeUnobserved,
    beforeNextAnswer: (hook: () => Promise<void>) => {
      beforeAnswer = hook;
    },
    scratch,
    readFrom,
    /** An orderly stop: the journal drained, the clean mark left for the next start. */
    stop: async () => {
      await pipeline.stop();
      await registry.sql.close();
      db.close();
    },
    /** kill -9: no orderly stop. */
    crash: async () => {
      await registry.sql.close();
      db.close();
    },
  };
}

/** A freezer that cycles (no flat stretch), with an excursion now and then. */
function readings(probeId: string, fromMin: number, toMin: number): Reading[] {
  const out: Reading[] = [];
  for (let m = fromMin; m < toMin; m++)
    out.push({
      probeId,
      tsMs: T0 + m * MIN,
      tempC: m % 600 < 90 ? -9 + (m % 2) / 10 : -19.5 + (m % 5) / 10,
      seq: m,
      serverTimed: false,
    });
  return out;
}

async function setUp() {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-checkpoints-"));
  dirs.push(dir);
  const s = await open(dir);
  const unit = await s.registry.units.create(ADMIN, { name: "freezer", kind: "freezer" }, T0);
  const { probe } = await s.registry.probes.create(ADMIN, { intervalS: 60 }, T0);
  await s.registry.probes.attach(ADMIN, probe.id, unit.id, T0, T0);
  const batch = await s.registry.batches.create(
    ADMIN,
    { unitId: unit.id, expressedAtMs: T0 - 60 * MIN, atMs: T0, state: "frozen" },
    T0,
  );
  return { dir, s, unit, probeId: probe.id, batch };
}

const rows = (db: ReturnType<typeof openDatabase>) =>
  db.prepare("SELECT through_ms AS throughMs, readings FROM verdict_checkpoint").all() as {
    throughMs: number;
    readings: number;
  }[];

describe("verdict checkpoints", () => {
  it("resume where the last verdict stopped and agree with a walk from the first reading", async () => {
    const { s, probeId, batch } = await setUp();
    await s.store(readings(probeId, 0, 3 * 1440));
    const first = await s.judging.batchVerdicts.compute(batch, T0 + 3 * 1440 * MIN);
    expect(rows(s.db)).toEqual([{ throughMs: T0 + (3 * 1440 - 2) * MIN, readings: 3 * 1440 - 1 }]);
    expect(first.verdict.reasons.map((r) => r.code)).toContain("excursion");

    await s.store(readings(probeId, 3 * 1440, 4 * 1440));
    const nowMs = T0 + 4 * 1440 * MIN;
    const resumed = await s.judging.batchVerdicts.compute(batch, nowMs);
    expect(s.readFrom.at(-1)).toBe(T0 + (3 * 1440 - 2) * MIN + 1);
    const full = await s.scratch().compute(batch, nowMs);
    expect(resumed.verdict).toEqual(full.verdict);
    expect(rows(s.db)).toEqual([{ throughMs: nowMs - 2 * MIN, readings: 4 * 1440 - 1 }]);
    expect(resumed.verdict.stats.monitoredPct).toBe(100);
  });

  it("drop a checkpoint when a late reading lands before its end", async () => {
    const { s, probeId, batch } = await setUp();
    await s.store(readings(probeId, 0, 2 * 1440).filter((r) => r.tsMs !== T0 + 700 * MIN));
    const nowMs = T0 + 2 * 1440 * MIN;
    await s.judging.batchVerdicts.compute(batch, nowMs);
    expect(rows(s.db)).toHaveLength(1);
    // The missing minute arrives late, hot: a probe restart's 85 °C is a sensor fault, not silence.
    await s.store([{ probeId, tsMs: T0 + 700 * MIN, tempC: 85, seq: 700, serverTimed: false }]);
    expect(rows(s.db)).toHaveLength(0);
    const after = await s.judging.batchVerdicts.compute(batch, nowMs);
    expect(after.verdict).toEqual((await s.scratch().compute(batch, nowMs)).verdict);
    expect(after.verdict.reasons.map((r) => r.code)).toContain("sensor-fault");
  });

  it("keep none from a walk that a late reading raced with", async () => {
    const { s, probeId, batch } = await setUp();
    await s.store(readings(probeId, 0, 2 * 1440).filter((r) => r.tsMs !== T0 + 700 * MIN));
    const nowMs = T0 + 2 * 1440 * MIN;
    // The missing minute arrives late, hot, and is observed while the store's answer is on its way.
    s.beforeNextAnswer(() =>
      s.store([{ probeId, tsMs: T0 + 700 * MIN, tempC: 85, seq: 700, serverTimed: false }]),
    );
    await s.judging.batchVerdicts.compute(batch, nowMs);
    expect(rows(s.db)).toEqual([]);
    const after = await s.judging.batchVerdicts.compute(batch, nowMs);
    expect(after.verdict.reasons.map((r) => r.code)).toContain("sensor-fault");
    expect(after.verdict).toEqual((await s.scratch().compute(batch, nowMs)).verdict);
  });

  it("start again after a calibration change", async () => {
    const { s, probeId, batch } = await setUp();
    await s.store(readings(probeId, 0, 1440));
    const nowMs = T0 + 1440 * MIN;
    const before = await s.judging.batchVerdicts.compute(batch, nowMs);
    await s.registry.probes.setCalibration(ADMIN, probeId, -2, nowMs);
    const after = await s.judging.batchVerdicts.compute(batch, nowMs);
    expect(after.verdict.stats.maxC).toBeCloseTo((before.verdict.stats.maxC as number) - 2, 9);
    expect(after.verdict).toEqual((await s.scratch().compute(batch, nowMs)).verdict);
  });

  it("survive a restart, and are checked against the store when read back", async () => {
    const { dir, s, probeId, batch } = await setUp();
    await s.store(readings(probeId, 0, 2 * 1440));
    const nowMs = T0 + 2 * 1440 * MIN;
    const before = await s.judging.batchVerdicts.compute(batch, nowMs);
    await s.stop();

    const again = await open(dir);
    expect(rows(again.db)).toHaveLength(1);
    expect((await again.judging.batchVerdicts.compute(batch, nowMs)).verdict).toEqual(before.verdict);
    // Resumed from the saved checkpoint: only the readings after it were read.
    expect(again.readFrom).toEqual([T0 + (2 * 1440 - 2) * MIN + 1]);
    await again.stop();

    // While no process watched, a reading older than the checkpoint reached the store.
    const offline = openDatabase(dir);
    await createSqliteReadingsStore(offline).write([
      { probeId, tsMs: T0 + 100 * MIN + 30_000, tempC: -2, seq: null, serverTimed: false },
    ]);
    offline.close();
    const third = await open(dir);
    const after = await third.judging.batchVerdicts.compute(batch, nowMs);
    expect(after.verdict).not.toEqual(before.verdict);
    expect(after.verdict).toEqual((await third.scratch().compute(batch, nowMs)).verdict);
    await third.stop();
  });

  it("are discarded after a crash: a reading stored again at the same time changes no count", async () => {
    const { dir, s, probeId, batch } = await setUp();
    await s.store(readings(probeId, 0, 2 * 1440));
    const nowMs = T0 + 2 * 1440 * MIN;
    const before = await s.judging.batchVerdicts.compute(batch, nowMs);
    const saved = rows(s.db);
    expect(saved).toHaveLength(1);
    // The probe sends minute 100 again with another temperature; the commit lands, then the
    // process dies before `observe`: the saved checkpoint still counts the same readings.
    await s.storeUnobserved([{ probeId, tsMs: T0 + 100 * MIN, tempC: 9, seq: 100, serverTimed: false }]);
    await s.crash();

    const again = await open(dir);
    const after = await again.judging.batchVerdicts.compute(batch, nowMs);
    // A jump to 9 °C within a minute in a freezer reads as a sensor fault, which the stale checkpoint hid.
    expect(before.verdict.reasons.map((r) => r.code)).not.toContain("sensor-fault");
    expect(after.verdict.reasons.map((r) => r.code)).toContain("sensor-fault");
    expect(after.verdict).not.toEqual(before.verdict);
    expect(after.verdict).toEqual((await again.scratch().compute(batch, nowMs)).verdict);
    // Walked again from the first reading, and saved again.
    expect(again.readFrom[0]).toBe(T0);
    expect(rows(again.db)).toEqual(saved);
    await again.stop();
  });
});
