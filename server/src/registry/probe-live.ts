import type { Probe, ProbeLiveState, Probes } from "./probes.js";

/** Live fields of a probe (battery, last seen, status), newer in memory than in the registry. */
export interface LiveView {
  batteryPct: number | null;
  batteryMv: number | null;
  rssi: number | null;
  status: string | null;
  fw: string | null;
  lastSeen: string | null;
}

/**
 * Battery, RSSI, status and last-seen change with every message; writing them to the registry
 * per message would cost a transaction each on the ingest hot path. They are kept here and
 * written in one transaction every few seconds (losing at most that much of last-seen on a crash;
 * the readings themselves are journaled).
 */
export function createProbeLive(probes: Probes) {
  const pending = new Map<string, ProbeLiveState>();
  const latest = new Map<string, ProbeLiveState>();
  return {
    /** Once per message: merged into this probe's own entries in place (`s` itself is not kept). */
    update(probeId: string, s: ProbeLiveState): void {
      const l = latest.get(probeId);
      if (l) Object.assign(l, s);
      else latest.set(probeId, { ...s });
      const p = pending.get(probeId);
      if (p) Object.assign(p, s);
      else pending.set(probeId, { ...s });
    },
    /** Writes every pending probe's fields (at stop). */
    async flush(): Promise<void> {
      while (await this.flushSome(Number.POSITIVE_INFINITY));
    },
    /**
     * Writes the pending fields of at most `max` probes in one transaction; true when some are
     * left. With thousands of probes, one transaction for all would stall the event loop (and every
     * PUBACK waiting on it) for as long as it takes to write them all. The slice leaves `pending`
     * before the write, so updates arriving meanwhile wait for the next one; a failed write puts it
     * back under them.
     */
    async flushSome(max: number): Promise<boolean> {
      if (pending.size === 0) return false;
      const some = new Map<string, ProbeLiveState>();
      for (const [id, s] of pending) {
        if (some.size >= max) break;
        some.set(id, s);
      }
      for (const id of some.keys()) pending.delete(id);
      try {
        await probes.saveLive(some);
      } catch (error) {
        for (const [id, s] of some) pending.set(id, { ...s, ...pending.get(id) });
        throw error;
      }
      return pending.size > 0;
    },
    view(p: Probe): LiveView {
      const m = latest.get(p.id);
      const lastSeenMs = m?.lastSeenMs ?? p.lastSeenMs;
      return {
        batteryPct: m?.batteryPct ?? p.batteryPct,
        batteryMv: m?.batteryMv ?? p.batteryMv,
        rssi: m?.rssi ?? p.rssi,
        status: m?.status ?? p.status,
        fw: m?.fw ?? p.fw,
        lastSeen: lastSeenMs ? new Date(lastSeenMs).toISOString() : null,
      };
    },
  };
}
