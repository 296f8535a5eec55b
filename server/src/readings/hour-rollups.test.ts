/**
 * Hour rollups on a real SQLite registry and readings store: the same buckets as the store's own,
 * for any bounds and any whole number of hours, rolled up once, and right again after late readings.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../db/open.js";
import type { Reading } from "../reading.js";
import { createSqliteReadingsStore } from "../stores/sqlite.js";
import type { ReadingBucket, ReadingsStore } from "../stores/types.js";
import { openCleanStop } from "./clean-stop.js";
import { createHourRollups, HOUR_MS } from "./hour-rollups.js";

const MIN = 60_000;
const T0 = Date.UTC(2026, 4, 3, 0, 0, 0);
const NOW = T0 + 4 * 24 * HOUR_MS;

let dir: string;
let db: Db;
let store: ReadingsStore;
/** Hour-wide bucket reads that reached the store. */
let storeReads: [number, number][];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "coldtrail-rollups-"));
  db = openDatabase(dir);
  const sqlite = createSqliteReadingsStore(db);
  storeReads = [];
  store = {
    ...sqlite,
    buckets: (probeId, fromMs, toMs, everyMs) => {
      storeReads.push([fromMs, toMs]);
      return sqlite.buckets(probeId, fromMs, toMs, everyMs);
    },
  };
  const readings: Reading[] = [];
  // Three days, every minute, with a silent afternoon and a fault marker now and then.
  for (let m = 0; m < 3 * 1440; m++) {
    if (m > 1800 && m < 2100) continue;
    readings.push({
      probeId: "p1",
      tsMs: T0 + m * MIN + 7_000,
      tempC: m % 97 === 0 ? -127 : -19 + Math.sin(m / 50) * 3,
      seq: m,
      serverTimed: false,
    });
  }
  await sqlite.write(readings);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function expectSame(got: ReadingBucket[], want: ReadingBucket[]) {
  expect(got.map((b) => [b.startMs, b.count, b.minC, b.maxC])).toEqual(
    want.map((b) => [b.startMs, b.count, b.minC, b.maxC]),
  );
  for (const [i, b] of got.entries()) expect(b.meanC).toBeCloseTo((want[i] as ReadingBucket).meanC, 9);
}

describe("hour rollups", () => {
  it("give the store's own buckets, for any bounds and any whole number of hours", async () => {
    const rollups = createHourRollups({ db, store, now: () => NOW, savedTrusted: true });
    for (const everyH of [1, 3, 17]) {
      for (const [from, to] of [
        [T0, T0 + 3 * 24 * HOUR_MS],
        [T0 + 37 * MIN + 5, T0 + 50 * HOUR_MS + 11 * MIN],
        [T0 - 5 * HOUR_MS, NOW],
      ] as const) {
        const sqlite = createSqliteReadingsStore(db);
        expectSame(
          await rollups.buckets("p1", from, to, everyH * HOUR_MS),
          await sqlite.buckets("p1", from, to, everyH * HOUR_MS),
        );
      }
    }
  });

  it("roll each settled hour up once, and read only the unsettled ends from the store after", async () => {
    const rollups = createHourRollups({ db, store, now: () => NOW, savedTrusted: true });
    await rollups.buckets("p1", T0, NOW, 6 * HOUR_MS);
    expect(db.prepare("SELECT count(*) AS n FROM reading_hour").get()).toEqual({ n: 4 * 24 - 2 });
    storeReads = [];
    await rollups.buckets("p1", T0, NOW, 6 * HOUR_MS);
    // Only the last two hours, not yet settled, come from the store.
    expect(storeReads).toEqual([[NOW - 2 * HOUR_MS, NOW]]);
    // After a restart the rollups are still there.
    const again = createHourRollups({ db, store, now: () => NOW, savedTrusted: true });
    storeReads = [];
    await again.buckets("p1", T0, NOW, 6 * HOUR_MS);
    expect(storeReads).toEqual([[NOW - 2 * HOUR_MS, NOW]]);
    // A late reading seen after the restart still drops the hour it lands in.
    again.observe([{ probeId: "p1", tsMs: T0 + 5 * HOUR_MS + 1, tempC: -20, seq: null, serverTimed: false }]);
    expect(
      db.prepare("SELECT count(*) AS n FROM reading_hour WHERE hour_ms = ?").get(T0 + 5 * HOUR_MS),
    ).toEqual({
      n: 0,
    });
  });

  it("drop an hour a late reading lands in, and roll it up again with it", async () => {
    const rollups = createHourRollups({ db, store, now: () => NOW, savedTrusted: true });
    const before = await rollups.buckets("p1", T0, NOW, HOUR_MS);
    const late: Reading = { probeId: "p1", tsMs: T0 + 1900 * MIN, tempC: 5, seq: null, serverTimed: false };
    await store.write([late]);
    rollups.observe([late]);
    const after = await rollups.buckets("p1", T0, NOW, HOUR_MS);
    const hour = Math.floor(late.tsMs / HOUR_MS) * HOUR_MS;
    expect(before.find((b) => b.startMs === hour)).toBeUndefined();
    expect(after.find((b) => b.startMs === hour)).toEqual({
      startMs: hour,
      minC: 5,
      maxC: 5,
      meanC: 5,
      count: 1,
    });
    expectSame(after, await createSqliteReadingsStore(db).buckets("p1", T0, NOW, HOUR_MS));
  });

  it("are rolled up again after a crash: a reading stored again in a rolled-up hour changes no count", async () => {
    const first = openCleanStop(db);
    const rollups = createHourRollups({ db, store, now: () => NOW, savedTrusted: first.previousStopClean });
    await rollups.buckets("p1", T0, NOW, HOUR_MS);
    // Minute 10 sent again, warmer; the commit lands, then the process dies before `observe`.
    await store.write([
      { probeId: "p1", tsMs: T0 + 10 * MIN + 7_000, tempC: 4, seq: 10, serverTimed: false },
    ]);
    const afterCrash = openCleanStop(db);
    expect(afterCrash.previousStopClean).toBe(false);
    const again = createHourRollups({
      db,
      store,
      now: () => NOW,
      savedTrusted: afterCrash.previousStopClean,
    });
    const got = await again.buckets("p1", T0, NOW, HOUR_MS);
    expect(got[0]?.maxC).toBe(4);
    expectSame(got, await createSqliteReadingsStore(db).buckets("p1", T0, NOW, HOUR_MS));
  });

  it("are kept across a clean stop, and rolled up again after a write while stopped", async () => {
    const first = openCleanStop(db);
    await createHourRollups({ db, store, now: () => NOW, savedTrusted: first.previousStopClean }).buckets(
      "p1",
      T0,
      NOW,
      HOUR_MS,
    );
    first.markClean(NOW);
    const second = openCleanStop(db);
    expect(second.previousStopClean).toBe(true);
    storeReads = [];
    const kept = createHourRollups({ db, store, now: () => NOW, savedTrusted: second.previousStopClean });
    await kept.buckets("p1", T0, NOW, HOUR_MS);
    expect(storeReads).toEqual([[NOW - 2 * HOUR_MS, NOW]]);
    second.markClean(NOW);
    // Another program writes the readings table while coldtrail is stopped.
    await createSqliteReadingsStore(db).write([
      { probeId: "p1", tsMs: T0 + 30 * MIN, tempC: -2, seq: null, serverTimed: false },
    ]);
    const third = openCleanStop(db);
    expect(third.previousStopClean).toBe(false);
    const rebuilt = createHourRollups({ db, store, now: () => NOW, savedTrusted: third.previousStopClean });
    const got = await rebuilt.buckets("p1", T0, NOW, HOUR_MS);
    expect(got[0]?.maxC).toBe(-2);
    expectSame(got, await createSqliteReadingsStore(db).buckets("p1", T0, NOW, HOUR_MS));
  });
});
