import type { Db } from "../db/open.js";
import type { Reading } from "../reading.js";
import type { ReadingBucket, ReadingsStore } from "../stores/types.js";

export const HOUR_MS = 3_600_000;
/**
 * Hours are rolled up once they are this far behind the clock (Design): readings of the current
 * hour still arrive, and a probe's buffer replayed after a short outage lands in hours kept raw.
 * Later arrivals reach rolled-up hours only through `observe`, which drops those hours.
 */
const SETTLE_MS = 2 * HOUR_MS;

interface BucketRow {
  start_ms: number;
  min_c: number;
  max_c: number;
  sum_c: number;
  n: number;
}

/**
 * Per probe and hour: min, max, sum and count of its readings (fault markers left out, as
 * `buckets` does), kept in the registry database as hours are first asked for. Buckets a whole
 * number of hours wide (a year-long passport chart, `?every=1h`) then merge at most 8,760 rows a
 * year instead of reading 525,600 readings, whichever store holds the readings. An hour a late
 * reading lands in is dropped and rolled up again when next asked for. Rollups kept by a run that
 * did not stop cleanly may have missed a reading (`savedTrusted`, readings/clean-stop.ts): they are
 * discarded at start-up and rolled up again as asked for.
 */
export function createHourRollups(deps: {
  db: Db;
  store: ReadingsStore;
  now(): number;
  /** The last run stopped cleanly: its rollups fit the store. */
  savedTrusted: boolean;
}) {
  const { db, store } = deps;
  if (!deps.savedTrusted) db.prepare("DELETE FROM reading_hour").run();
  const countHours = db.prepare<[string, number, number], number>(
    "SELECT count(*) FROM reading_hour WHERE probe_id = ? AND hour_ms >= ? AND hour_ms < ?",
  );
  countHours.pluck();
  const selectHours = db.prepare<[string, number, number], number>(
    "SELECT hour_ms FROM reading_hour WHERE probe_id = ? AND hour_ms >= ? AND hour_ms < ?",
  );
  selectHours.pluck();
  // Merged in SQLite into buckets of `every` (a multiple of an hour), floored as `buckets` floors.
  const selectMerged = db.prepare<
    { probeId: string; fromMs: number; toMs: number; every: number },
    BucketRow
  >(
    `SELECT hour_ms - (((hour_ms % @every) + @every) % @every) AS start_ms,
            min(min_c) AS min_c, max(max_c) AS max_c, sum(sum_c) AS sum_c, sum(n) AS n
     FROM reading_hour WHERE probe_id = @probeId AND hour_ms >= @fromMs AND hour_ms < @toMs AND n > 0
     GROUP BY start_ms ORDER BY start_ms`,
  );
  const insert = db.prepare<[string, number, number | null, number | null, number, number]>(
    `INSERT INTO reading_hour (probe_id, hour_ms, min_c, max_c, sum_c, n) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (probe_id, hour_ms) DO UPDATE SET min_c = excluded.min_c, max_c = excluded.max_c,
       sum_c = excluded.sum_c, n = excluded.n`,
  );
  const remove = db.prepare<[string, number]>("DELETE FROM reading_hour WHERE probe_id = ? AND hour_ms = ?");
  const selectNewest = db.prepare<[string], { h: number | null }>(
    "SELECT max(hour_ms) AS h FROM reading_hour WHERE probe_id = ?",
  );
  /**
   * Per probe, the newest hour rolled up (null: none): a reading after it cannot touch a rolled-up
   * hour. Read from the table the first time a probe is seen, not all at start-up.
   */
  const newest = new Map<string, number | null>();
  const newestOf = (probeId: string): number | null => {
    let h = newest.get(probeId);
    if (h === undefined) {
      h = selectNewest.get(probeId)?.h ?? null;
      newest.set(probeId, h);
    }
    return h;
  };

  /** Per probe, how many readings `observe` has seen: a roll-up that raced with one is not kept. */
  const seen = new Map<string, number>();

  /** Rolls up the settled hours in [fromHour, toHour) that are not yet, from the store's hourly buckets. */
  async function fill(probeId: string, fromHour: number, toHour: number, have: Set<number>): Promise<void> {
    let spanStart: number | null = null;
    const spans: [number, number][] = [];
    for (let h = fromHour; h <= toHour; h += HOUR_MS) {
      const missing = h < toHour && !have.has(h);
      if (missing && spanStart === null) spanStart = h;
      if (!missing && spanStart !== null) {
        spans.push([spanStart, h]);
        spanStart = null;
      }
    }
    for (const [from, to] of spans) {
      const before = seen.get(probeId) ?? 0;
      const got = new Map((await store.buckets(probeId, from, to, HOUR_MS)).map((b) => [b.startMs, b]));
      // A reading observed while the store answered may be missing from `got`: ask again next time.
      if ((seen.get(probeId) ?? 0) !== before) continue;
      db.transaction(() => {
        for (let h = from; h < to; h += HOUR_MS) {
          const b = got.get(h);
          // An hour with no valid reading is rolled up too (n = 0), so it is not asked for again.
          insert.run(probeId, h, b?.minC ?? null, b?.maxC ?? null, b ? b.meanC * b.count : 0, b?.count ?? 0);
        }
      })();
      newest.set(probeId, Math.max(newestOf(probeId) ?? 0, to - HOUR_MS));
    }
  }

  return {
    /**
     * `store.buckets` for buckets a whole number of hours wide: settled whole hours from the
     * rollups, the partial or recent hours at either end from the store.
     */
    async buckets(probeId: string, fromMs: number, toMs: number, everyMs: number): Promise<ReadingBucket[]> {
      if (everyMs % HOUR_MS !== 0 || toMs <= fromMs) return store.buckets(probeId, fromMs, toMs, everyMs);
      const firstHour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
      const settledEnd = Math.floor((deps.now() - SETTLE_MS) / HOUR_MS) * HOUR_MS;
      const lastHour = Math.min(Math.floor(toMs / HOUR_MS) * HOUR_MS, settledEnd);
      if (lastHour <= firstHour) return store.buckets(probeId, fromMs, toMs, everyMs);

      if ((countHours.get(probeId, firstHour, lastHour) ?? 0) < (lastHour - firstHour) / HOUR_MS) {
        await fill(probeId, firstHour, lastHour, new Set(selectHours.all(probeId, firstHour, lastHour)));
        // Hours a racing reading kept out are summed from the store this once.
        if ((countHours.get(probeId, firstHour, lastHour) ?? 0) < (lastHour - firstHour) / HOUR_MS)
          return store.buckets(probeId, fromMs, toMs, everyMs);
      }
      // Read before the ends below wait on the store, while every hour is known to be there.
      const hours = selectMerged.all({ probeId, fromMs: firstHour, toMs: lastHour, every: everyMs });
      const merged = new Map<number, { minC: number; maxC: number; sumC: number; count: number }>();
      const add = (startMs: number, minC: number, maxC: number, sumC: number, count: number) => {
        if (count === 0) return;
        const m = merged.get(startMs);
        if (m === undefined) merged.set(startMs, { minC, maxC, sumC, count });
        else {
          m.minC = Math.min(m.minC, minC);
          m.maxC = Math.max(m.maxC, maxC);
          m.sumC += sumC;
          m.count += count;
        }
      };
      const bucketOf = (ms: number) => ms - (((ms % everyMs) + everyMs) % everyMs);
      // The ends: before the first whole hour, and after the last settled one, straight from the store.
      const ends = [
        ...(fromMs < firstHour ? await store.buckets(probeId, fromMs, firstHour, HOUR_MS) : []),
        ...(lastHour < toMs ? await store.buckets(probeId, lastHour, toMs, HOUR_MS) : []),
      ];
      for (const b of ends) add(bucketOf(b.startMs), b.minC, b.maxC, b.meanC * b.count, b.count);
      for (const r of hours) add(r.start_ms, r.min_c, r.max_c, r.sum_c, r.n);
      return [...merged]
        .sort((a, b) => a[0] - b[0])
        .map(([startMs, m]) => ({
          startMs,
          minC: m.minC,
          maxC: m.maxC,
          meanC: m.sumC / m.count,
          count: m.count,
        }));
    },

    /** Readings the store confirmed: one in a rolled-up hour drops that hour. */
    observe(readings: readonly Reading[]): void {
      let probeId: string | null = null;
      let last: number | null = null;
      for (const r of readings) {
        seen.set(r.probeId, (seen.get(r.probeId) ?? 0) + 1);
        if (r.probeId !== probeId) {
          probeId = r.probeId;
          last = newestOf(probeId);
        }
        if (last === null || r.tsMs >= last + HOUR_MS) continue;
        remove.run(r.probeId, Math.floor(r.tsMs / HOUR_MS) * HOUR_MS);
      }
    },
  };
}
export type HourRollups = ReturnType<typeof createHourRollups>;
