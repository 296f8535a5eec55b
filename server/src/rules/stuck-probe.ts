/**
 * A stuck probe, found in hindsight (RULES.md §3 "Sensor faults", Design): a raw value that has not
 * changed at all for `sensor.stuckMin` or longer. Real freezers and fridges cycle, so a flat line
 * is a probe frozen in ice or a dead converter. The whole flat stretch is unmonitored, from when
 * the value first appeared: the batch verdict marks it so; the live monitor only knows it at the
 * end of the window and marks what follows.
 */
import type { RuleProfile } from "./profiles/types.js";
import { faultOf } from "./sensor-fault.js";
import type { TempSample } from "./types.js";

export interface StuckStretch {
  /** When the flat value first appeared. */
  fromMs: number;
  /** The last reading with that value. */
  toMs: number;
  valueC: number;
}

/**
 * Stretches of identical valid readings lasting `sensor.stuckMin` or longer, among sorted
 * readings (one per timestamp). Readings faulty on their own (−127, 85, …) neither break nor
 * extend a stretch.
 */
export function stuckStretches(
  readings: readonly TempSample[],
  sensor: RuleProfile["sensor"],
): StuckStretch[] {
  const out: StuckStretch[] = [];
  const minMs = sensor.stuckMin * 60_000;
  let cur: StuckStretch | null = null;
  const flush = () => {
    if (cur !== null && cur.toMs - cur.fromMs >= minMs) out.push(cur);
  };
  for (const r of readings) {
    if (faultOf(r.tempC, sensor) !== null) continue;
    if (cur !== null && Object.is(cur.valueC, r.tempC)) {
      cur.toMs = r.tsMs;
      continue;
    }
    flush();
    cur = { fromMs: r.tsMs, toMs: r.tsMs, valueC: r.tempC };
  }
  flush();
  return out;
}

/** True when the reading belongs to one of the stretches (sorted, non-overlapping). */
export function inStretch(stretches: readonly StuckStretch[], r: TempSample): StuckStretch | null {
  for (const s of stretches)
    if (r.tsMs >= s.fromMs && r.tsMs <= s.toMs && Object.is(r.tempC, s.valueC)) return s;
  return null;
}
