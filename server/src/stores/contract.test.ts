/**
 * The contract of `ReadingsStore` (types.ts), run against every store on real parts: a SQLite
 * temp file in WAL mode and the test run's influxd (test/global-setup.ts), one database per test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { uniqueDatabaseName } from "../../../test/influxd.js";
import type { Reading } from "../reading.js";
import { createInfluxReadingsStore } from "./influx.js";
import { BUCKET_TEMP_RANGE_C, bucketStartMs } from "./query-bounds.js";
import { createSqliteReadingsStore, SQLITE_READINGS_DDL } from "./sqlite.js";
import type { ReadingBucket, ReadingsStore, StoredReading } from "./types.js";
import { StoreUnavailableError } from "./types.js";

interface OpenedStore {
  store: ReadingsStore;
  cleanup(): Promise<void>;
}

interface StoreUnderTest {
  name: string;
  skip: boolean;
  open(): Promise<OpenedStore>;
}

const influxUrl = inject("influxUrl");

async function openSqliteStore(): Promise<OpenedStore> {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-sqlite-store-"));
  const file = join(dir, "coldtrail.db");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  for (const statement of SQLITE_READINGS_DDL) db.exec(statement);
  const store = createSqliteReadingsStore(db);
  return {
    store,
    async cleanup() {
      await store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openInfluxStore(url: string, prefix = "contract"): Promise<OpenedStore> {
  const database = uniqueDatabaseName(prefix);
  const store = createInfluxReadingsStore({ url, database });
  return {
    store,
    async cleanup() {
      await store.close();
      const response = await fetch(`${url}/query`, {
        method: "POST",
        body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }),
      });
      await response.arrayBuffer();
    },
  };
}

const storesUnderTest: StoreUnderTest[] = [
  { name: "sqlite", skip: false, open: openSqliteStore },
  { name: "influx", skip: influxUrl === "", open: () => openInfluxStore(influxUrl) },
];

const T0 = Date.UTC(2026, 4, 3, 14, 0, 0); // 2026-05-03T14:00:00Z, a multiple of every bucket width below
const MIN = 60_000;

function reading(
  probeId: string,
  tsMs: number,
  tempC: number,
  seq: number | null = null,
  serverTimed = false,
): Reading {
  return { probeId, tsMs, tempC, seq, serverTimed };
}

function stored(r: Reading): StoredReading {
  return { tsMs: r.tsMs, tempC: r.tempC, seq: r.seq };
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** What the buckets must be, computed here the slow and obvious way. */
function expectedBuckets(
  readings: readonly Reading[],
  fromMs: number,
  toMs: number,
  everyMs: number,
): ReadingBucket[] {
  const groups = new Map<number, number[]>();
  for (const r of readings) {
    if (r.tsMs < fromMs || r.tsMs >= toMs) continue;
    const start = Math.floor(r.tsMs / everyMs) * everyMs;
    groups.set(start, [...(groups.get(start) ?? []), r.tempC]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([startMs, temps]) => ({
      startMs,
      minC: Math.min(...temps),
      meanC: temps.reduce((sum, t) => sum + t, 0) / temps.length,
      maxC: Math.max(...temps),
      count: temps.length,
    }));
}

function expectBucketsClose(actual: ReadingBucket[], expected: ReadingBucket[]): void {
  // min, max, count and start are exact; a mean may differ in the last bits with summation order.
  expect(actual.map(({ meanC: _, ...rest }) => rest)).toEqual(expected.map(({ meanC: _, ...rest }) => rest));
  actual.forEach((bucket, i) => {
    expect(bucket.meanC).toBeCloseTo((expected[i] as ReadingBucket).meanC, 9);
  });
}

describe.each(storesUnderTest)("ReadingsStore contract: $name", (under) => {
  let opened: OpenedStore;
  let store: ReadingsStore;

  beforeEach(async () => {
    if (under.skip) return;
    opened = await under.open();
    store = opened.store;
  });
  afterEach(async () => {
    if (under.skip) return;
    await opened.cleanup();
  });

  describe.skipIf(under.skip)("on a real store", () => {
    it("names itself", () => {
      expect(store.name).toBe(under.name);
    });

    it("returns what was written, ascending by time", async () => {
      const batch = [
        reading("p1", T0, -18.5, 1),
        reading("p1", T0 + MIN, -18.25, 2),
        reading("p1", T0 + 2 * MIN, -18, 3),
      ];
      await store.write(batch);
      expect(await store.range("p1", T0, T0 + 3 * MIN)).toEqual(batch.map(stored));
    });

    it("covers [from, to): from included, to excluded", async () => {
      const batch = [
        reading("p1", T0 - 1, -20),
        reading("p1", T0, -19),
        reading("p1", T0 + 999, -18),
        reading("p1", T0 + 1000, -17),
      ];
      await store.write(batch);
      expect(await store.range("p1", T0, T0 + 1000)).toEqual([
        { tsMs: T0, tempC: -19, seq: null },
        { tsMs: T0 + 999, tempC: -18, seq: null },
      ]);
      expect(await store.range("p1", T0 + 1, T0 + 999)).toEqual([]);
      expect(await store.range("p1", T0 + 999, T0 + 1000)).toEqual([
        { tsMs: T0 + 999, tempC: -18, seq: null },
      ]);
    });

    it("answers empty ranges, unknown probes and inverted ranges with nothing", async () => {
      await store.write([reading("p1", T0, -18)]);
      expect(await store.range("p1", T0, T0)).toEqual([]);
      expect(await store.range("p1", T0 + 1, T0)).toEqual([]);
      expect(await store.range("p1", T0 + 1, T0 + MIN)).toEqual([]);
      expect(await store.range("nobody", T0 - MIN, T0 + MIN)).toEqual([]);
      expect(await store.buckets("p1", T0, T0, MIN)).toEqual([]);
      expect(await store.buckets("nobody", T0 - MIN, T0 + MIN, MIN)).toEqual([]);
      expect(await store.latest("nobody")).toBeNull();
    });

    it("accepts an empty batch", async () => {
      await store.write([]);
      expect(await store.latest("p1")).toBeNull();
    });

    it("stores a replayed batch once", async () => {
      const batch = [reading("p1", T0, -18.5, 7), reading("p1", T0 + MIN, -18.75, 8)];
      await store.write(batch);
      await store.write(batch);
      await store.write([...batch].reverse());
      expect(await store.range("p1", T0 - MIN, T0 + 2 * MIN)).toEqual(batch.map(stored));
      expect((await store.buckets("p1", T0, T0 + 2 * MIN, 2 * MIN))[0]?.count).toBe(2);
    });

    it("lets the later write of a (probe, ts) win its value, in later batches and within one batch", async () => {
      await store.write([reading("p1", T0, -18.5, 7)]);
      await store.write([reading("p1", T0, -3.25, 9, true)]);
      expect(await store.range("p1", T0, T0 + 1)).toEqual([{ tsMs: T0, tempC: -3.25, seq: 9 }]);

      await store.write([reading("p1", T0 + MIN, 1, 1), reading("p1", T0 + MIN, 2, 2)]);
      expect(await store.range("p1", T0 + MIN, T0 + MIN + 1)).toEqual([{ tsMs: T0 + MIN, tempC: 2, seq: 2 }]);
    });

    it("does not care in which order readings arrive", async () => {
      const random = randomSource(42);
      const all = Array.from({ length: 200 }, (_, i) => reading("p1", T0 + i * 1000, -20 + i / 16, i));
      const batches = [all.slice(150), all.slice(0, 50), all.slice(100, 150), all.slice(50, 100)];
      for (const batch of batches) await store.write(shuffled(batch, random));
      expect(await store.range("p1", T0, T0 + 200_000)).toEqual(all.map(stored));
    });

    it("keeps probes apart, also probes whose ids share a prefix", async () => {
      await store.write([
        reading("p1", T0, -18, 1),
        reading("p10", T0, 4, 1),
        reading("P1", T0, 20, 1),
        reading("p1", T0 + MIN, -17.5, 2),
        reading("p10", T0 + MIN, 4.5, 2),
      ]);
      expect(await store.range("p1", T0, T0 + 2 * MIN)).toEqual([
        { tsMs: T0, tempC: -18, seq: 1 },
        { tsMs: T0 + MIN, tempC: -17.5, seq: 2 },
      ]);
      expect(await store.range("p10", T0, T0 + 2 * MIN)).toEqual([
        { tsMs: T0, tempC: 4, seq: 1 },
        { tsMs: T0 + MIN, tempC: 4.5, seq: 2 },
      ]);
      expect(await store.range("P1", T0, T0 + 2 * MIN)).toEqual([{ tsMs: T0, tempC: 20, seq: 1 }]);
      expect(await store.buckets("p10", T0, T0 + 2 * MIN, 2 * MIN)).toEqual([
        { startMs: T0, minC: 4, meanC: 4.25, maxC: 4.5, count: 2 },
      ]);
      expect(await store.latest("p1")).toEqual({ tsMs: T0 + MIN, tempC: -17.5, seq: 2 });
    });

    it("keeps negative, fractional, whole and extreme temperatures exact", async () => {
      const temps = [
        -19.4375,
        -18,
        0,
        4,
        36.6,
        -0.1,
        0.1 + 0.2,
        -273.15,
        1e-7,
        -1e-7,
        123456.789,
        1e21,
        -5e-324,
      ];
      const batch = temps.map((t, i) => reading("p1", T0 + i, t));
      await store.write(batch);
      const back = await store.range("p1", T0, T0 + temps.length);
      expect(back.map((r) => r.tempC)).toEqual(temps);
    });

    it("keeps seq null apart from 0 and keeps the whole uint32 range", async () => {
      const batch = [
        reading("p1", T0, -18, null),
        reading("p1", T0 + 1, -18, 0),
        reading("p1", T0 + 2, -18, 1),
        reading("p1", T0 + 3, -18, 4294967295),
        reading("p1", T0 + 4, -18, null, true),
      ];
      await store.write(batch);
      expect((await store.range("p1", T0, T0 + 5)).map((r) => r.seq)).toEqual([null, 0, 1, 4294967295, null]);
    });

    it("keeps the earlier seq when a rewrite of the same reading brings none (both stores agree)", async () => {
      await store.write([reading("p1", T0, -18, 41)]);
      await store.write([reading("p1", T0, -17.5, null)]);
      expect(await store.range("p1", T0, T0 + 1)).toEqual([{ tsMs: T0, tempC: -17.5, seq: 41 }]);
    });

    it("buckets min/mean/max/count per multiple of everyMs since the epoch", async () => {
      const random = randomSource(7);
      // Irregular times over 3 hours, some minutes empty; quarter-degree steps like a DS18B20 at 10 bits.
      const readings: Reading[] = [];
      for (let t = T0 - 7 * MIN; t < T0 + 180 * MIN; t += Math.floor(random() * 4 * MIN) + 1) {
        readings.push(reading("p1", t, Math.round((-22 + random() * 8) * 4) / 4, readings.length));
      }
      await store.write(shuffled(readings, random));

      for (const [fromMs, toMs, everyMs] of [
        [T0, T0 + 180 * MIN, 15 * MIN], // aligned
        [T0 - 7 * MIN + 13, T0 + 95 * MIN - 1, 10 * MIN], // unaligned: first bucket starts before fromMs
        [T0, T0 + 180 * MIN, 7 * MIN], // width not dividing an hour
        [T0 - 60 * MIN, T0 + 240 * MIN, 24 * 60 * MIN], // one day-wide bucket
        [T0, T0 + 30 * MIN, 1000], // many small buckets, most of them empty
      ] as const) {
        const actual = await store.buckets("p1", fromMs, toMs, everyMs);
        const expected = expectedBuckets(readings, fromMs, toMs, everyMs);
        expect(expected.length).toBeGreaterThan(0);
        expectBucketsClose(actual, expected);
        for (const b of actual) expect(bucketStartMs(b.startMs, everyMs)).toBe(b.startMs);
      }
    });

    it("reports a bucket's start before fromMs when fromMs is not aligned, counting only readings in range", async () => {
      await store.write([
        reading("p1", T0 + 1 * MIN, -20),
        reading("p1", T0 + 6 * MIN, -10),
        reading("p1", T0 + 9 * MIN, -12),
        reading("p1", T0 + 12 * MIN, -30),
      ]);
      expect(await store.buckets("p1", T0 + 5 * MIN, T0 + 12 * MIN, 10 * MIN)).toEqual([
        { startMs: T0, minC: -12, meanC: -11, maxC: -10, count: 2 },
      ]);
    });

    it("stores sensor-fault markers raw (−127, 6553.5, 1e308, −300) and leaves them out of buckets only", async () => {
      const faults = [-127, 6553.5, 1e308, -300, -1e308];
      const batch = [
        reading("p1", T0, -19.5, 1),
        ...faults.map((t, i) => reading("p1", T0 + (i + 1) * MIN, t, i + 2)),
        reading("p1", T0 + 6 * MIN, -18.5, 7),
        // The plausible range's edges and 85 (power-on) are temperatures: bucketed.
        reading("p1", T0 + 7 * MIN, BUCKET_TEMP_RANGE_C.min, 8),
        reading("p1", T0 + 8 * MIN, BUCKET_TEMP_RANGE_C.max, 9),
        reading("p1", T0 + 9 * MIN, 85, 10),
      ];
      await store.write(batch);
      expect(await store.range("p1", T0, T0 + 10 * MIN)).toEqual(batch.map(stored));
      expect(await store.latest("p1", T0 + 5 * MIN)).toEqual({ tsMs: T0 + 5 * MIN, tempC: -1e308, seq: 6 });
      const plausible = [-19.5, -18.5];
      expect(await store.buckets("p1", T0, T0 + 7 * MIN, 10 * MIN)).toEqual([
        { startMs: T0, minC: -19.5, meanC: -19, maxC: -18.5, count: plausible.length },
      ]);
      expect(await store.buckets("p1", T0, T0 + 10 * MIN, MIN)).toEqual([
        { startMs: T0, minC: -19.5, meanC: -19.5, maxC: -19.5, count: 1 },
        { startMs: T0 + 6 * MIN, minC: -18.5, meanC: -18.5, maxC: -18.5, count: 1 },
        {
          startMs: T0 + 7 * MIN,
          minC: BUCKET_TEMP_RANGE_C.min,
          meanC: BUCKET_TEMP_RANGE_C.min,
          maxC: BUCKET_TEMP_RANGE_C.min,
          count: 1,
        },
        {
          startMs: T0 + 8 * MIN,
          minC: BUCKET_TEMP_RANGE_C.max,
          meanC: BUCKET_TEMP_RANGE_C.max,
          maxC: BUCKET_TEMP_RANGE_C.max,
          count: 1,
        },
        { startMs: T0 + 9 * MIN, minC: 85, meanC: 85, maxC: 85, count: 1 },
      ]);
      // A bucket holding only faults is no bucket.
      expect(await store.buckets("p1", T0 + MIN, T0 + 6 * MIN, MIN)).toEqual([]);
    });

    it("refuses a bucket width that is not a positive whole number of ms", async () => {
      await expect(store.buckets("p1", T0, T0 + MIN, 0)).rejects.toThrow(/everyMs must be a positive/);
      await expect(store.buckets("p1", T0, T0 + MIN, -MIN)).rejects.toThrow(/everyMs/);
      await expect(store.buckets("p1", T0, T0 + MIN, 1.5)).rejects.toThrow(/everyMs/);
      await expect(store.range("p1", T0 + 0.5, T0 + MIN)).rejects.toThrow(/fromMs must be a whole number/);
    });

    it("counts a probe's readings in [from, to), fault markers included", async () => {
      await store.write([
        reading("p1", T0, -19, 1),
        reading("p1", T0 + MIN, -127, 2),
        reading("p1", T0 + 2 * MIN, -18, 3),
        reading("p1", T0 + 2 * MIN, -17.5, 3),
        reading("p2", T0 + MIN, 4, 9),
      ]);
      expect(await store.count("p1", T0, T0 + 3 * MIN)).toBe(3);
      expect(await store.count("p1", T0, T0 + 2 * MIN)).toBe(2);
      expect(await store.count("p1", T0 + 1, T0 + 3 * MIN)).toBe(2);
      expect(await store.count("p2", T0, T0 + 3 * MIN)).toBe(1);
      expect(await store.count("nobody", T0, T0 + 3 * MIN)).toBe(0);
      expect(await store.count("p1", T0 + 3 * MIN, T0 + 3 * MIN)).toBe(0);
    });

    it("finds the latest reading, at or before a time", async () => {
      await store.write([
        reading("p1", T0 + 2 * MIN, -17, 3),
        reading("p1", T0, -19, 1),
        reading("p1", T0 + MIN, -18, 2),
        reading("p2", T0 + 5 * MIN, 4, 9),
      ]);
      expect(await store.latest("p1")).toEqual({ tsMs: T0 + 2 * MIN, tempC: -17, seq: 3 });
      expect(await store.latest("p1", T0 + MIN)).toEqual({ tsMs: T0 + MIN, tempC: -18, seq: 2 });
      expect(await store.latest("p1", T0 + MIN - 1)).toEqual({ tsMs: T0, tempC: -19, seq: 1 });
      expect(await store.latest("p1", T0 - 1)).toBeNull();
      // A device clock far in the future is still "the latest".
      const year2100 = Date.UTC(2100, 0, 1);
      await store.write([reading("p1", year2100, -16)]);
      expect(await store.latest("p1")).toEqual({ tsMs: year2100, tempC: -16, seq: null });
    });

    it("round-trips 10 000 points written in batches of 500 exactly", async () => {
      const random = randomSource(2026);
      const all = Array.from({ length: 10_000 }, (_, i) =>
        reading(
          "replay-probe",
          T0 + i * 30_000 + Math.floor(random() * 1000),
          Math.round((-25 + random() * 30) * 16) / 16 + (i % 7 === 0 ? 0.001 : 0),
          i % 5 === 0 ? null : i,
          i % 11 === 0,
        ),
      );
      const batches = Array.from({ length: 20 }, (_, b) => all.slice(b * 500, b * 500 + 500));
      for (const batch of shuffled(batches, random)) await store.write(batch);
      const last = all.at(-1) as Reading;
      const back = await store.range("replay-probe", T0, last.tsMs + 1);
      expect(back.length).toBe(10_000);
      expect(back).toEqual(all.map(stored));
      const hourly = await store.buckets("replay-probe", T0, last.tsMs + 1, 60 * MIN);
      expect(hourly.reduce((n, b) => n + b.count, 0)).toBe(10_000);
      expectBucketsClose(hourly, expectedBuckets(all, T0, last.tsMs + 1, 60 * MIN));
    });

    it("treats hostile probe ids as data: stored exactly under that id, or refused naming it", async () => {
      const victim = [reading("victim", T0, -18, 1), reading("victim", T0 + MIN, -18.5, 2)];
      await store.write(victim);
      const hostile = [
        "a b",
        "a,b=c",
        "a\\",
        "x' OR '1'='1",
        "a\nb",
        'a"b',
        "victim temp_c=99 1",
        "victim\nreading,probe_id=victim temp_c=99",
        "x\\' OR probe_id=~/.*/ OR '",
        "=",
        "v\u00edctim-\u{1F9CA}",
      ];
      for (const [i, id] of hostile.entries()) {
        const r = reading(id, T0 + i, -(i + 1) / 4, i);
        const outcome = await store.write([r]).then(
          () => "stored" as const,
          (error: unknown) => error,
        );
        if (outcome === "stored") {
          expect(await store.range(id, T0 - MIN, T0 + MIN)).toEqual([stored(r)]);
          expect(await store.latest(id)).toEqual(stored(r));
          expect(await store.buckets(id, T0 - MIN, T0 + MIN, MIN)).toHaveLength(1);
        } else {
          expect(outcome).toBeInstanceOf(Error);
          expect(outcome).not.toBeInstanceOf(StoreUnavailableError);
          expect((outcome as Error).message).toContain(JSON.stringify(id));
          expect(await store.range(id, T0 - MIN, T0 + MIN)).toEqual([]);
        }
      }
      // None of them reached the victim, in writes or in queries.
      expect(await store.range("victim", T0 - MIN, T0 + 2 * MIN)).toEqual(victim.map(stored));
      for (const id of hostile) {
        for (const r of await store.range(id, T0 - MIN, T0 + 2 * MIN)) expect(r.tempC).toBeLessThan(0);
        expect((await store.range(id, T0 - MIN, T0 + 2 * MIN)).length).toBeLessThanOrEqual(1);
      }
    });
  });
});
