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
