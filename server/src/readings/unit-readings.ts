import type { Probes } from "../registry/probes.js";
import type { ReadingBucket, ReadingsStore } from "../stores/types.js";

export interface UnitReading {
  tsMs: number;
  tempC: number;
  probeId: string;
}

/**
 * A unit's readings are its attached probes' readings over exactly the attachment intervals
 * (DESIGN.md, "Domain model"), with each probe's calibration offset applied (offsets apply before
 * any rule). Readings are stored as the device sent them, so a corrected offset corrects history.
 */
export function createUnitReadings(
  probes: Probes,
  store: ReadingsStore,
  offsetOf: (probeId: string) => number,
) {
  function pieces(unitId: string, fromMs: number, toMs: number) {
    return probes.attachmentsOfUnit(unitId, fromMs, toMs).map((a) => ({
      probeId: a.probeId,
      fromMs: Math.max(fromMs, a.fromMs),
      toMs: Math.min(toMs, a.toMs ?? Number.POSITIVE_INFINITY),
      /** The attachment's own end (null: still attached), for keys that must not move with the clock. */
      attachedUntilMs: a.toMs,
      offsetC: offsetOf(a.probeId),
    }));
  }

  return {
    /** Which probes' readings make the unit's history over [fromMs, toMs), and their offsets. */
    sources: pieces,

    async raw(unitId: string, fromMs: number, toMs: number): Promise<UnitReading[]> {
      const parts = await Promise.all(
        pieces(unitId, fromMs, toMs).map(async (p) =>
          (await store.range(p.probeId, p.fromMs, p.toMs)).map((r) => ({
            tsMs: r.tsMs,
            tempC: r.tempC + p.offsetC,
            probeId: p.probeId,
          })),
        ),
      );
      return parts.flat().sort((a, b) => a.tsMs - b.tsMs);
    },

    /**
     * The unit's calibrated air temperatures for the rules engine, in time order. Without an
     * offset, a single probe's rows are passed through uncopied: a year is 525 600 of them.
     */
    async samples(
      unitId: string,
      fromMs: number,
      toMs: number,
    ): Promise<readonly { tsMs: number; tempC: number }[]> {
      const ps = pieces(unitId, fromMs, toMs);
      const parts = await Promise.all(
        ps.map(async (p) => {
          const rows = await store.range(p.probeId, p.fromMs, p.toMs);
          return p.offsetC === 0 ? rows : rows.map((r) => ({ tsMs: r.tsMs, tempC: r.tempC + p.offsetC }));
        }),
      );
      if (parts.length === 1) return parts[0] as readonly { tsMs: number; tempC: number }[];
      return parts.flat().sort((a, b) => a.tsMs - b.tsMs);
    },

    /** Buckets aligned to multiples of everyMs; buckets of several probes merge (min, max, count-weighted mean). */
    async bucketed(unitId: string, fromMs: number, toMs: number, everyMs: number): Promise<ReadingBucket[]> {
      const merged = new Map<number, ReadingBucket>();
      for (const p of pieces(unitId, fromMs, toMs)) {
        for (const b of await store.buckets(p.probeId, p.fromMs, p.toMs, everyMs)) {
          const c = { ...b, minC: b.minC + p.offsetC, maxC: b.maxC + p.offsetC, meanC: b.meanC + p.offsetC };
          const prev = merged.get(b.startMs);
          if (!prev) merged.set(b.startMs, c);
          else {
            const count = prev.count + c.count;
            merged.set(b.startMs, {
              startMs: b.startMs,
              minC: Math.min(prev.minC, c.minC),
              maxC: Math.max(prev.maxC, c.maxC),
              meanC: (prev.meanC * prev.count + c.meanC * c.count) / count,
              count,
            });
          }
        }
      }
      return [...merged.values()].sort((a, b) => a.startMs - b.startMs);
    },

    /** The newest reading of the probes attached now. */
    async latest(unitId: string, nowMs: number): Promise<UnitReading | null> {
      let best: UnitReading | null = null;
      for (const a of probes.attachmentsOfUnit(unitId, nowMs, nowMs + 1)) {
        const r = await store.latest(a.probeId);
        if (r && r.tsMs >= a.fromMs && (!best || r.tsMs > best.tsMs)) {
          best = { tsMs: r.tsMs, tempC: r.tempC + offsetOf(a.probeId), probeId: a.probeId };
        }
      }
      return best;
    },
  };
}
export type UnitReadings = ReturnType<typeof createUnitReadings>;
