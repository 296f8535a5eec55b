/**
 * Readings made from simple functions of time, for the scenario tests, property tests and the
 * bench. Pure and deterministic.
 */
import type { TempSample } from "./types.js";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** One reading every `everyMs` in [fromMs, toMs), valued by `tempAt`. */
export function series(
  fromMs: number,
  toMs: number,
  everyMs: number,
  tempAt: (tsMs: number) => number,
): TempSample[] {
  const out: TempSample[] = [];
  for (let t = fromMs; t < toMs; t += everyMs) out.push({ tsMs: t, tempC: tempAt(t) });
  return out;
}

/** A temperature that moves linearly from `fromC` at `startMs` to `toC` at `endMs`, flat outside. */
export function ramp(startMs: number, endMs: number, fromC: number, toC: number): (tsMs: number) => number {
  return (t) => {
    if (t <= startMs) return fromC;
    if (t >= endMs) return toC;
    return fromC + ((toC - fromC) * (t - startMs)) / (endMs - startMs);
  };
}

/** Piecewise: the first matching [fromMs, toMs) segment's function, else `otherwise`. */
export function piecewise(
  segments: readonly { fromMs: number; toMs: number; tempAt: (tsMs: number) => number }[],
  otherwise: (tsMs: number) => number,
): (tsMs: number) => number {
  return (t) => {
    for (const s of segments) if (t >= s.fromMs && t < s.toMs) return s.tempAt(t);
    return otherwise(t);
  };
}

/** Deterministic noise in [−amplitude, +amplitude] (a hash of the time, no state). */
export function noise(tsMs: number, amplitudeC: number): number {
  let x = Math.floor(tsMs / 1000) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x ^= x >>> 16;
  return (((x >>> 0) / 0xffffffff) * 2 - 1) * amplitudeC;
}
