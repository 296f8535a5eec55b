/**
 * Readings in the embedded SQLite file (shared with the registry and the journal; DESIGN.md
 * "Storage"). The lead's migration runner creates the table from `SQLITE_READINGS_DDL`.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { Reading } from "../reading.js";
import { assertBucketWidth, assertTimeRange, assertWholeMs, BUCKET_TEMP_RANGE_C } from "./query-bounds.js";
import type { ReadingBucket, ReadingsStore, StoredReading } from "./types.js";
import { StoreUnavailableError } from "./types.js";

/**
 * The readings table. The primary key (probe_id, ts) is the idempotency key of the wire protocol
 * and also the only index range, bucket and latest queries need; WITHOUT ROWID keeps rows in
 * that order. STRICT refuses a fractional ts or a non-number temperature instead of storing it.
 */
export const SQLITE_READINGS_DDL: readonly string[] = [
  `CREATE TABLE reading (
    probe_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    temp_c REAL NOT NULL,
    seq INTEGER,
    server_timed INTEGER NOT NULL CHECK (server_timed IN (0, 1)),
    PRIMARY KEY (probe_id, ts)
  ) WITHOUT ROWID, STRICT`,
];

interface ReadingRow {
  ts: number;
  temp_c: number;
  seq: number | null;
}

interface BucketRow {
  start_ms: number;
  min_c: number;
  mean_c: number;
  max_c: number;
  n: number;
}

/**
 * SQLite result codes that mean "not now" rather than "never": another connection holds the
 * write lock, the disk is full or failing. The forwarder retries these like a down InfluxDB.
 * (https://www.sqlite.org/rescode.html)
 */
const TRANSIENT_SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR)/;

/**
 * The idempotent upsert (the later write wins; a rewrite without seq keeps the earlier seq, as
 * InfluxDB must, since it merges fields), without a transaction of its own, for a caller that already holds one:
 * the journal writes acknowledged readings straight into this table in its group commit when the
 * readings live in the same SQLite file (one write and one fsync instead of two of each).
 */
export function createSqliteReadingsUpsert(db: BetterSqlite3.Database): (batch: readonly Reading[]) => void {
  const upsert = db.prepare<[string, number, number, number | null, number]>(
    `INSERT INTO reading (probe_id, ts, temp_c, seq, server_timed) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (probe_id, ts) DO UPDATE SET
       temp_c = excluded.temp_c, seq = coalesce(excluded.seq, reading.seq), server_timed = excluded.server_timed`,
  );
  return (batch) => {
    for (const r of batch) upsert.run(r.probeId, r.tsMs, r.tempC, r.seq, r.serverTimed ? 1 : 0);
  };
}

/** `db` stays open after `close()`: its owner (main) shares it with the registry and journal. */
export function createSqliteReadingsStore(db: BetterSqlite3.Database): ReadingsStore {
  const upsertAll = createSqliteReadingsUpsert(db);
  const selectRange = db.prepare<[string, number, number], ReadingRow>(
    "SELECT ts, temp_c, seq FROM reading WHERE probe_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
  );
  // Floor to a multiple of everyMs: SQLite's % truncates towards zero, so fold negatives back.
  const selectBuckets = db.prepare<
    { probeId: string; fromMs: number; toMs: number; everyMs: number; minC: number; maxC: number },
    BucketRow
  >(
    `SELECT ts - (((ts % @everyMs) + @everyMs) % @everyMs) AS start_ms,
            MIN(temp_c) AS min_c, AVG(temp_c) AS mean_c, MAX(temp_c) AS max_c, COUNT(*) AS n
     FROM reading WHERE probe_id = @probeId AND ts >= @fromMs AND ts < @toMs
       AND temp_c BETWEEN @minC AND @maxC
     GROUP BY start_ms ORDER BY start_ms`,
  );
  const selectCount = db.prepare<[string, number, number], { n: number }>(
    "SELECT count(*) AS n FROM reading WHERE probe_id = ? AND ts >= ? AND ts < ?",
  );
  const selectLatest = db.prepare<[string, number], ReadingRow>(
    "SELECT ts, temp_c, seq FROM reading WHERE probe_id = ? AND ts <= ? ORDER BY ts DESC LIMIT 1",
  );
  const writeAll = db.transaction(upsertAll);

  let closed = false;
  function guard<T>(operation: string, run: () => T): T {
    if (closed) throw new Error(`sqlite readings store: ${operation} after close()`);
    try {
      return run();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && TRANSIENT_SQLITE_CODES.test(code)) {
        throw new StoreUnavailableError("sqlite", `sqlite readings store: ${operation} failed with ${code}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  return {
    name: "sqlite",
    async write(batch) {
      guard("write", () => writeAll(batch));
    },
    async range(probeId, fromMs, toMs) {
      assertTimeRange(fromMs, toMs);
      return guard("range", () => selectRange.all(probeId, fromMs, toMs).map(toStoredReading));
    },
    async buckets(probeId, fromMs, toMs, everyMs) {
      assertTimeRange(fromMs, toMs);
      assertBucketWidth(everyMs);
      return guard("buckets", () =>
        selectBuckets
          .all({
            probeId,
            fromMs,
            toMs,
            everyMs,
            minC: BUCKET_TEMP_RANGE_C.min,
            maxC: BUCKET_TEMP_RANGE_C.max,
          })
          .map(
            (row): ReadingBucket => ({
              startMs: row.start_ms,
              minC: row.min_c,
              meanC: row.mean_c,
              maxC: row.max_c,
              count: row.n,
            }),
          ),
      );
    },
    async count(probeId, fromMs, toMs) {
      assertTimeRange(fromMs, toMs);
      return guard("count", () => (selectCount.get(probeId, fromMs, toMs) as { n: number }).n);
    },
    async latest(probeId, beforeMs = Number.MAX_SAFE_INTEGER) {
      assertWholeMs("beforeMs", beforeMs);
      const row = guard("latest", () => selectLatest.get(probeId, beforeMs));
      return row === undefined ? null : toStoredReading(row);
    },
    async close() {
      closed = true;
    },
  };
}

function toStoredReading(row: ReadingRow): StoredReading {
  return { tsMs: row.ts, tempC: row.temp_c, seq: row.seq };
}
