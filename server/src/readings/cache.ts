import type { Reading } from "../reading.js";
import type { ReadingsStore, StoredReading } from "../stores/types.js";

interface Entry {
  /** Every stored reading of the probe with ts >= fromMs, ascending by ts. */
  fromMs: number;
  rows: StoredReading[];
}

/** First index whose tsMs >= ts. */
function lowerBound(rows: readonly StoredReading[], ts: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rows[mid] as StoredReading).tsMs < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A read-through cache of recent readings per probe in front of a store. Verdicts read a batch's
 * whole history (a year is 525 600 readings), and materialising that from SQLite or InfluxDB costs
 * far more than the rules engine itself; kept here, it is a binary search and a slice.
 *
 * Correctness rests on `observe`: every reading the store confirms is passed to it (the journal and
 * the forwarder call it), so a cached probe never misses a write. An entry holds *all* readings of
 * its probe from `fromMs` on; a load that raced with a write is used once and not kept.
 * Least-recently-used probes are evicted beyond `maxReadings`.
 */
export function createReadingsCache(
  store: ReadingsStore,
  opts: { maxReadings: number; buckets?: ReadingsStore["buckets"] },
) {
  const entries = new Map<string, Entry>();
  const generation = new Map<string, number>();
  let size = 0;

  const touch = (probeId: string, e: Entry) => {
    entries.delete(probeId);
    entries.set(probeId, e);
  };
  function evict(): void {
    for (const [id, e] of entries) {
      if (size <= opts.maxReadings) break;
      entries.delete(id);
      size -= e.rows.length;
    }
  }

  async function load(probeId: string, fromMs: number): Promise<StoredReading[]> {
    const gen = generation.get(probeId) ?? 0;
    const old = entries.get(probeId);
    // Fetch only what the entry lacks, when there is one.
    const upTo = old ? old.fromMs : Number.MAX_SAFE_INTEGER;
    const fetched = await store.range(probeId, fromMs, upTo);
    const rows = old ? fetched.concat(old.rows) : fetched;
    if ((generation.get(probeId) ?? 0) === gen && rows.length <= opts.maxReadings) {
      if (old) size -= old.rows.length;
      const e = { fromMs, rows };
      size += rows.length;
      touch(probeId, e);
      evict();
    }
    return rows;
  }

  const cached: ReadingsStore & { observe(readings: readonly Reading[]): void; readonly size: number } = {
    name: store.name,
    write: (batch) => store.write(batch),
    buckets:
      opts.buckets ?? ((probeId, fromMs, toMs, everyMs) => store.buckets(probeId, fromMs, toMs, everyMs)),
    latest: (probeId, beforeMs) => store.latest(probeId, beforeMs),
    count: (probeId, fromMs, toMs) => store.count(probeId, fromMs, toMs),
    close: () => store.close(),

    async range(probeId, fromMs, toMs) {
      const e = entries.get(probeId);
      let rows: StoredReading[];
      if (e && fromMs >= e.fromMs) {
        touch(probeId, e);
        rows = e.rows;
      } else rows = await load(probeId, fromMs);
      return rows.slice(lowerBound(rows, fromMs), lowerBound(rows, toMs));
    },

    /** Readings the store has confirmed (idempotent on probe and ts: the later value wins). */
    observe(readings) {
      // Looked up once per run of one probe's readings (a replay is 500 of one probe).
      let probeId: string | null = null;
      let e: Entry | undefined;
      for (const r of readings) {
        if (r.probeId !== probeId) {
          probeId = r.probeId;
          generation.set(probeId, (generation.get(probeId) ?? 0) + 1);
          e = entries.get(probeId);
        }
        if (!e || r.tsMs < e.fromMs) continue;
        const row = { tsMs: r.tsMs, tempC: r.tempC, seq: r.seq };
        const last = e.rows[e.rows.length - 1];
        if (!last || r.tsMs > last.tsMs) {
          e.rows.push(row);
          size++;
          continue;
        }
        const i = lowerBound(e.rows, r.tsMs);
        if (e.rows[i]?.tsMs === r.tsMs) {
          // A replay keeps the earlier seq when it brings none, as the stores do.
          e.rows[i] = { ...row, seq: row.seq ?? (e.rows[i] as StoredReading).seq };
        } else {
          e.rows.splice(i, 0, row); // a late reading: rare, O(n) is fine
          size++;
        }
      }
      if (size > opts.maxReadings) evict();
    },
    get size() {
      return size;
    },
  };
  return cached;
}
export type ReadingsCache = ReturnType<typeof createReadingsCache>;
