/**
 * One reading per probe per window (default 60 s) out of the many advertisements a sensor sends
 * (pvvx firmware advertises every 2.5 s by default, Govee and Inkbird every few seconds).
 *
 * Why one a minute: it is the interval the server expects of a probe (`probe.expected_interval_ms`
 * defaults to 60 000; silence beyond 1.5 × that counts as unmonitored, server `rules/profiles/monitoring.ts`),
 * and the shortest rule the readings feed lasts 15 minutes (milk-bank freezer excursion, DESIGN.md
 * "Rule profiles"), so a minute loses nothing a rule can see, while sending every advertisement would
 * be 20-30 times the traffic and storage for the same verdicts.
 *
 * Why the median: one odd advertisement (a bit error in a format without a checksum such as
 * atc1441 or Govee, or another device's packet that happens to parse) cannot move it, unlike the mean
 * or the last value. The lower median is an actual sample, so the reading's `ts` is that
 * advertisement's own time and value and time belong together. Battery and RSSI are the window's latest.
 *
 * Windows are aligned to the clock (`floor(atMs / windowMs)`), so consecutive readings are about one
 * window apart whatever the advertising rhythm. Pure: times come in with the samples and `nowMs`.
 */
export interface WindowSample {
  /** Advertisement time (unix ms). */
  atMs: number;
  tempC: number;
  batteryPct?: number;
  batteryMv?: number;
  rssi?: number;
}

export interface WindowedReading {
  tsMs: number;
  tempC: number;
  batteryPct?: number;
  batteryMv?: number;
  rssi?: number;
  /** How many advertisements the window held (for logs and tests). */
  samples: number;
}

interface OpenWindow {
  key: number;
  samples: WindowSample[];
  /** Receive-clock time the window opened, so a source that falls silent still gets its reading out. */
  openedAtMs: number;
}

export type AddOutcome =
  | { kind: "added"; closed: WindowedReading | null }
  /** The sample belongs to a window already closed (an out-of-order or repeated advertisement). */
  | { kind: "late" };

export function medianReading(samples: readonly WindowSample[]): WindowedReading {
  const byTemp = [...samples].sort((a, b) => a.tempC - b.tempC || a.atMs - b.atMs);
  const mid = byTemp[Math.floor((byTemp.length - 1) / 2)] as WindowSample;
  const latest = (pick: (s: WindowSample) => number | undefined): number | undefined => {
    for (let i = samples.length - 1; i >= 0; i--) {
      const v = pick(samples[i] as WindowSample);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const batteryPct = latest((s) => s.batteryPct);
  const batteryMv = latest((s) => s.batteryMv);
  const rssi = latest((s) => s.rssi);
  return {
    tsMs: mid.atMs,
    tempC: mid.tempC,
    ...(batteryPct !== undefined && { batteryPct }),
    ...(batteryMv !== undefined && { batteryMv }),
    ...(rssi !== undefined && { rssi }),
    samples: samples.length,
  };
}

export function createReadingWindows(windowMs: number) {
  if (!(windowMs >= 1)) throw new RangeError(`windowMs must be ≥ 1, got ${windowMs}`);
  const open = new Map<string, OpenWindow>();
  const lastClosedKey = new Map<string, number>();

  function close(probeId: string, w: OpenWindow): WindowedReading {
    open.delete(probeId);
    lastClosedKey.set(probeId, w.key);
    return medianReading(w.samples);
  }

  return {
    /** Adds a sample; a sample of a later window closes the open one and returns its reading. */
    add(probeId: string, sample: WindowSample, receivedMs: number): AddOutcome {
      const key = Math.floor(sample.atMs / windowMs);
      const done = lastClosedKey.get(probeId);
      if (done !== undefined && key <= done) return { kind: "late" };
      const w = open.get(probeId);
      if (w && key === w.key) {
        w.samples.push(sample);
        return { kind: "added", closed: null };
      }
      if (w && key < w.key) return { kind: "late" };
      const closed = w ? close(probeId, w) : null;
      open.set(probeId, { key, samples: [sample], openedAtMs: receivedMs });
      return { kind: "added", closed };
    },
    /** Windows open for a whole window on the receive clock: the sensor fell silent; close them. */
    due(nowMs: number): { probeId: string; reading: WindowedReading }[] {
      const out: { probeId: string; reading: WindowedReading }[] = [];
      for (const [probeId, w] of open) {
        if (nowMs - w.openedAtMs >= windowMs) out.push({ probeId, reading: close(probeId, w) });
      }
      return out;
    },
    /** Closes every open window (the source ended, or the gateway stops). */
    flushAll(): { probeId: string; reading: WindowedReading }[] {
      return [...open].map(([probeId, w]) => ({ probeId, reading: close(probeId, w) }));
    },
    get openCount(): number {
      return open.size;
    },
  };
}
export type ReadingWindows = ReturnType<typeof createReadingWindows>;
