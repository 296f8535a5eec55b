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

interface HourRow {
  hour_ms: number;
  min_c: number | null;
  max_c: number | null;
  sum_c: number;
  n: number;
}

/**
 * Per probe and hour: min, max, sum and count of its readings (fault markers left out, as
 * `buckets` does), kept in the registry database as hours are first asked for. Buckets a whole
 * number of hours wide (a year-long passport chart, `?every=1h`) then merge at most 8,760 rows a
 * year instead of reading 525,600 readings, whichever store holds the readings. An hour a late
 * reading lands in is dropped and rolled up again when next asked for.
 */
export function createHourRollups(deps: { db: Db; store: ReadingsStore; now(): number }) {
  const { db, store } = deps;
  const select = db.prepare<[string, number, number], HourRow>(
    "SELECT hour_ms, min_c, max_c, sum_c, n FROM reading_hour WHERE probe_id = ? AND hour_ms >= ? AND hour_ms < ? ORDER BY hour_ms",
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
      const got = new Map((await store.buckets(probeId, from, to, HOUR_MS)).map((b) => [b.startMs, b]));
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

      const rows = select.all(probeId, firstHour, lastHour);
      if (rows.length < (lastHour - firstHour) / HOUR_MS) {
        await fill(probeId, firstHour, lastHour, new Set(rows.map((r) => r.hour_ms)));
        rows.splice(0, rows.length, ...select.all(probeId, firstHour, lastHour));
      }
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
      for (const r of rows) add(bucketOf(r.hour_ms), r.min_c as number, r.max_c as number, r.sum_c, r.n);
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
