/**
 * Turns API readings into the column arrays uPlot draws. Pure. Silences longer than the gap
 * threshold become a null row, so the line breaks there: unmonitored time is shown as a hole,
 * never bridged by a line that would look like the milk was watched (DESIGN.md "Verdict").
 */
import type { ProfileNumbers, ReadingPoint } from "../api/types.js";

/** The safe range that applied over [fromMs, toMs). */
export interface LimitSpan {
  fromMs: number;
  toMs: number;
  minC: number | null;
  maxC: number;
}

/** x in seconds (uPlot's time scale), then temperature, bucket min, bucket max, limit max, limit min. */
export type ChartColumns = [
  number[],
  (number | null)[],
  (number | null)[],
  (number | null)[],
  (number | null)[],
  (number | null)[],
];

export interface ChartInput {
  points: readonly ReadingPoint[];
  limits: readonly LimitSpan[];
  /** A silence longer than this between two points breaks the line. */
  gapMs: number;
}

function limitAt(limits: readonly LimitSpan[], tMs: number): LimitSpan | null {
  for (const l of limits) if (tMs >= l.fromMs && tMs < l.toMs) return l;
  return null;
}

export function chartColumns({ points, limits, gapMs }: ChartInput): ChartColumns {
  const rows = points
    .map((p) => ({ t: Date.parse(p.ts), v: p.temp_c, lo: p.min_c ?? null, hi: p.max_c ?? null }))
    .filter((r) => Number.isFinite(r.t) && Number.isFinite(r.v))
    .sort((a, b) => a.t - b.t);
  const out: ChartColumns = [[], [], [], [], [], []];
  const push = (tMs: number, v: number | null, lo: number | null, hi: number | null) => {
    const l = limitAt(limits, tMs);
    out[0].push(tMs / 1000);
    out[1].push(v);
    out[2].push(lo);
    out[3].push(hi);
    out[4].push(l ? l.maxC : null);
    out[5].push(l ? l.minC : null);
  };
  let prev: number | null = null;
  for (const r of rows) {
    if (prev !== null && r.t === prev) continue; // a duplicate x would confuse the scale
    if (prev !== null && r.t - prev > gapMs) push(prev + Math.floor((r.t - prev) / 2), null, null, null);
    push(r.t, r.v, r.lo, r.hi);
    prev = r.t;
  }
  return out;
}

/** Parses the API's bucket width ("300s") to ms, or null. */
export function parseEveryMs(every: string | null | undefined): number | null {
  const m = every ? /^(\d+(?:\.\d+)?)s$/.exec(every) : null;
  return m ? Number(m[1]) * 1000 : null;
}

/**
 * How long a silence must be to count as a hole in the chart: two buckets when bucketed, else
 * three times the usual spacing of the readings (a probe that skips one report is not a gap),
 * at least two minutes.
 */
export function gapThresholdMs(points: readonly ReadingPoint[], everyMs: number | null): number {
  if (everyMs !== null) return 2 * everyMs;
  const ts = points.map((p) => Date.parse(p.ts)).sort((a, b) => a - b);
  const steps: number[] = [];
  for (let i = 1; i < ts.length; i++) {
    const d = (ts[i] as number) - (ts[i - 1] as number);
    if (d > 0) steps.push(d);
  }
  steps.sort((a, b) => a - b);
  const median = steps.length ? (steps[Math.floor(steps.length / 2)] as number) : 60_000;
  return Math.max(120_000, 3 * median);
}

export interface CustodyStay {
  kind: string;
  from: string;
  to: string | null;
}

/** The safe air limit of a profile for milk in this state (a cool bag keeps frozen milk ≤ −1 °C). */
export function safeRange(p: ProfileNumbers, milkFrozen: boolean): { minC: number | null; maxC: number } {
  return { minC: p.safe.minC, maxC: milkFrozen ? p.safe.frozenMaxC : p.safe.maxC };
}

/**
 * Limit spans along a custody chain. The server lists one profile per monitored stay, in order;
 * stays out of monitored custody have none.
 */
export function custodyLimits(
  custody: readonly CustodyStay[],
  profiles: readonly ProfileNumbers[],
  milkFrozen: boolean,
  nowMs: number,
): LimitSpan[] {
  const out: LimitSpan[] = [];
  let i = 0;
  for (const c of custody) {
    if (c.kind === "out-of-custody") continue;
    const p = profiles[i++];
    if (!p) break;
    out.push({
      fromMs: Date.parse(c.from),
      toMs: c.to === null ? nowMs + 1 : Date.parse(c.to),
      ...safeRange(p, milkFrozen),
    });
  }
  return out;
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayOfMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

/**
 * Time-axis labels in the viewer's locale and zone: the time of day, with the date under it where
 * the day changes; only dates when every tick falls on midnight (long histories).
 */
export function timeTicks(ticksSec: readonly number[]): string[] {
  const allMidnight = ticksSec.every((t) => {
    const d = new Date(t * 1000);
    return d.getHours() === 0 && d.getMinutes() === 0;
  });
  let prevDay = "";
  return ticksSec.map((t) => {
    const day = dayOfMonth.format(t * 1000);
    const label = allMidnight
      ? day
      : day !== prevDay
        ? `${timeOfDay.format(t * 1000)}\n${day}`
        : timeOfDay.format(t * 1000);
    prevDay = day;
    return label;
  });
}
