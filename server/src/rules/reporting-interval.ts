/**
 * How often a probe reports, when nobody said (RULES.md §3 gap rule, Design): the median spacing of
 * consecutive distinct reading times. A gap is silence longer than `gap.factor` × this, so a
 * probe reporting every 10 min is not read as 90 % silence.
 */
import type { TempSample } from "./types.js";

/** Design: no probe reports faster than every 10 s; closer spacings are bursts of a replay. */
export const MIN_LEARNED_INTERVAL_MS = 10_000;
/** Design: with fewer than two readings, assume the firmware's default of one a minute. */
export const FALLBACK_INTERVAL_MS = 60_000;

/** How many times each spacing occurs (ms → count): enough to learn the interval again later. */
export type SpacingCounts = Map<number, number>;

/**
 * Adds the spacings of sorted readings `from` ≤ i < `to` to `counts`: each from the reading
 * before it, or from `prevTsMs` for the first when given (a walk resumed after that reading).
 */
export function countSpacings(
  counts: SpacingCounts,
  sorted: readonly TempSample[],
  from: number,
  to: number,
  prevTsMs: number | null,
): void {
  for (let i = from; i < to; i++) {
    const prev = i > 0 ? (sorted[i - 1] as TempSample).tsMs : prevTsMs;
    if (prev === null) continue;
    const d = (sorted[i] as TempSample).tsMs - prev;
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
}

/** `learnIntervalMs` from spacing counts: the same median, without the readings. */
export function learnIntervalFromCounts(counts: SpacingCounts): number {
  let n = 0;
  for (const c of counts.values()) n += c;
  if (n === 0) return FALLBACK_INTERVAL_MS;
  const mid = Math.floor(n / 2);
  const at = (k: number): number => {
    let seen = 0;
    for (const d of [...counts.keys()].sort((a, b) => a - b)) {
      seen += counts.get(d) as number;
      if (k < seen) return d;
    }
    throw new Error("unreachable: k is below the total count");
  };
  const median = n % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  return Math.max(MIN_LEARNED_INTERVAL_MS, median);
}

/** The median spacing of sorted, distinct timestamps; the fallback with fewer than two. */
export function learnIntervalMs(sorted: readonly TempSample[]): number {
  const spacings: number[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const d = (sorted[i] as TempSample).tsMs - (sorted[i - 1] as TempSample).tsMs;
    if (d > 0) spacings.push(d);
  }
  if (spacings.length === 0) return FALLBACK_INTERVAL_MS;
  spacings.sort((a, b) => a - b);
  const mid = Math.floor(spacings.length / 2);
  const median =
    spacings.length % 2 === 1
      ? (spacings[mid] as number)
      : ((spacings[mid - 1] as number) + (spacings[mid] as number)) / 2;
  return Math.max(MIN_LEARNED_INTERVAL_MS, median);
}
