/** SQLite-only behaviour beyond the shared contract, on a real temp file in WAL mode. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Reading } from "../reading.js";
import { createSqliteReadingsStore, SQLITE_READINGS_DDL } from "./sqlite.js";
import type { ReadingsStore } from "./types.js";
import { StoreUnavailableError } from "./types.js";

const T0 = Date.UTC(2026, 4, 3, 14, 0, 0);

function reading(
  probeId: string,
  tsMs: number,
  tempC: number,
  seq: number | null = null,
  serverTimed = false,
): Reading {
  return { probeId, tsMs, tempC, seq, serverTimed };
}

describe("sqlite readings store", () => {
  let dir: string;
  let opened: { db: Database.Database; file: string };
  let store: ReadingsStore;
  beforeEach(() => {
    // As the lead's migration will: a file in WAL mode, the DDL applied once.
    dir = mkdtempSync(join(tmpdir(), "coldtrail-sqlite-store-"));
    const file = join(dir, "coldtrail.db");
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    for (const statement of SQLITE_READINGS_DDL) db.exec(statement);
    opened = { db, file };
    store = createSqliteReadingsStore(db);
  });
  afterEach(() => {
    if (opened.db.open) opened.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates a STRICT, WITHOUT ROWID table whose primary key serves range and latest queries", () => {
    const sql = opened.db
      .prepare("SELECT sql FROM sqlite_schema WHERE name = 'reading'")
      .pluck()
      .get() as string;
    expect(sql).toMatch(/WITHOUT ROWID, STRICT$/);
    for (const query of [
      "SELECT ts, temp_c, seq FROM reading WHERE probe_id = 'p' AND ts >= 1 AND ts < 2 ORDER BY ts",
      "SELECT ts, temp_c, seq FROM reading WHERE probe_id = 'p' AND ts <= 1 ORDER BY ts DESC LIMIT 1",
    ]) {
      const plan = opened.db.prepare(`EXPLAIN QUERY PLAN ${query}`).all() as { detail: string }[];
      expect(plan.map((step) => step.detail).join("; ")).toMatch(
        /^SEARCH reading USING PRIMARY KEY \(probe_id=\? AND ts[<>]/,
      );
    }
  });

  it("stores the later write's value, seq and server_timed; a null seq keeps the earlier one, as InfluxDB does", async () => {
    await store.write([reading("p1", T0, -18, 5, false)]);
    await store.write([reading("p1", T0, -17, null, true)]);
    expect(await store.range("p1", T0, T0 + 1)).toEqual([{ tsMs: T0, tempC: -17, seq: 5 }]);
    await store.write([reading("p1", T0, -16, 6, false)]);
    expect(opened.db.prepare("SELECT * FROM reading").all()).toEqual([
      { probe_id: "p1", ts: T0, temp_c: -16, seq: 6, server_timed: 0 },
    ]);
  });

  it("writes a batch all or nothing: one reading the table refuses leaves none of the batch behind", async () => {
    const error = await store
      .write([reading("p1", T0, -18), reading("p1", T0 + 0.5, -18), reading("p1", T0 + 2, -18)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/cannot store REAL value in INTEGER column reading.ts/);
    expect(await store.range("p1", T0 - 1, T0 + 10)).toEqual([]);

    const nan = await store.write([reading("p1", T0, Number.NaN)]).catch((e: unknown) => e);
    expect((nan as Error).message).toMatch(/NOT NULL constraint failed: reading.temp_c/);
  });

  it("throws StoreUnavailableError while another connection holds the write lock, and writes once it is free", async () => {
    opened.db.pragma("busy_timeout = 0");
    const other = new Database(opened.file);
    other.exec("BEGIN IMMEDIATE");
    const error = await store.write([reading("p1", T0, -18)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).store).toBe("sqlite");
    expect((error as Error).message).toBe("sqlite readings store: write failed with SQLITE_BUSY");
    other.exec("ROLLBACK");
    other.close();
    await store.write([reading("p1", T0, -18)]);
    expect(await store.latest("p1")).toEqual({ tsMs: T0, tempC: -18, seq: null });
  });

  it("leaves the shared database open on close() but refuses further use", async () => {
    await store.write([reading("p1", T0, -18)]);
    await store.close();
    expect(opened.db.open).toBe(true);
    await expect(store.range("p1", T0, T0 + 1)).rejects.toThrow("sqlite readings store: range after close()");
    await expect(store.write([reading("p1", T0, -18)])).rejects.toThrow("write after close()");
  });

  it("keeps readings across closing and reopening the file", async () => {
    await store.write([reading("p1", T0, -19.4375, 3)]);
    opened.db.close();
    const reopened = new Database(opened.file);
    const again = createSqliteReadingsStore(reopened);
    expect(await again.latest("p1")).toEqual({ tsMs: T0, tempC: -19.4375, seq: 3 });
    reopened.close();
  });

  it("floors bucket starts before 1970 too (SQLite's % truncates towards zero)", async () => {
    await store.write([
      reading("p1", -7000, -1),
      reading("p1", -5000, -3),
      reading("p1", -1, 5),
      reading("p1", 0, 7),
    ]);
    expect(await store.buckets("p1", -10_000, 1, 3000)).toEqual([
      { startMs: -9000, minC: -1, meanC: -1, maxC: -1, count: 1 },
      { startMs: -6000, minC: -3, meanC: -3, maxC: -3, count: 1 },
      { startMs: -3000, minC: 5, meanC: 5, maxC: 5, count: 1 },
      { startMs: 0, minC: 7, meanC: 7, maxC: 7, count: 1 },
    ]);
  });
});
