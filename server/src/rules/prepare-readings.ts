/**
 * Puts one unit's readings in the order the state machine needs: inside the window, by time,
 * one reading per timestamp. The result does not depend on the input's order or duplicates.
 */
import type { RuleProfile } from "./profiles/types.js";
import { faultOf } from "./sensor-fault.js";
import type { TempSample } from "./types.js";

/**
 * Readings with fromMs ≤ tsMs < toMs (≤ toMs when `toInclusive`), sorted, one per tsMs. When two
 * readings share a time (a replay with a different value), a valid one beats a faulty one and the
 * warmer beats the colder — the cautious choice, and independent of arrival order.
 */
export function prepareReadings(
  readings: readonly TempSample[],
  fromMs: number,
  toMs: number,
  toInclusive: boolean,
  sensor: RuleProfile["sensor"],
): TempSample[] {
  const inWindow: TempSample[] = [];
  let sorted = true;
  let prevMs = Number.NEGATIVE_INFINITY;
  for (const r of readings) {
    if (!Number.isFinite(r.tsMs) || r.tsMs < fromMs || r.tsMs > toMs || (!toInclusive && r.tsMs === toMs))
      continue;
    if (r.tsMs < prevMs) sorted = false;
    prevMs = r.tsMs;
    inWindow.push(r);
  }
  if (!sorted) inWindow.sort((a, b) => a.tsMs - b.tsMs);

  const out: TempSample[] = [];
  for (const r of inWindow) {
    const last = out[out.length - 1];
    if (last === undefined || last.tsMs !== r.tsMs) {
      out.push(r);
      continue;
    }
    // Replace rather than edit: the caller's objects are never changed.
    if (preferred(r.tempC, last.tempC, sensor)) out[out.length - 1] = { tsMs: r.tsMs, tempC: r.tempC };
  }
  return out;
}

function preferred(candidateC: number, currentC: number, sensor: RuleProfile["sensor"]): boolean {
  const candidateOk = faultOf(candidateC, sensor) === null;
  const currentOk = faultOf(currentC, sensor) === null;
  if (candidateOk !== currentOk) return candidateOk;
  if (Number.isNaN(currentC)) return !Number.isNaN(candidateC);
  return candidateC > currentC;
}
