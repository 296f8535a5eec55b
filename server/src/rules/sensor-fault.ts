/**
 * Which readings are sensor faults rather than temperatures. A fault counts as unmonitored time:
 * never an excursion, never safe. Thresholds: `profiles/sensor-limits.ts`.
 */
import type { RuleProfile } from "./profiles/types.js";

/** "stuck": the same raw value for `sensor.stuckMin` or longer (RULES.md §3 "Sensor faults"). */
export type FaultKind = "not-a-number" | "out-of-range" | "sentinel" | "jump" | "stuck";

/** What a fault most likely means for the probe, in words a person can act on. */
export type ProbeTrouble = "disconnected" | "restarted" | "stuck" | "impossible";

/** −127 °C: disconnected (DS18B20 driver value); 85 °C: its power-on value; else impossible. */
export function troubleOf(fault: FaultKind, tempC: number, sensor: RuleProfile["sensor"]): ProbeTrouble {
  if (fault === "stuck") return "stuck";
  if (fault === "sentinel") return "restarted";
  if (Object.is(tempC, sensor.disconnectedC)) return "disconnected";
  return "impossible";
}

/** A fault visible in one reading alone. */
export function faultOf(tempC: number, sensor: RuleProfile["sensor"]): FaultKind | null {
  if (!Number.isFinite(tempC)) return "not-a-number";
  if (tempC < sensor.minC || tempC > sensor.maxC) return "out-of-range";
  // Exact match: a real reading lands on 85.0 only if the air really is 85 °C, which no unit is.
  if (sensor.sentinelsC.includes(tempC)) return "sentinel";
  return null;
}

/** True when going from (fromMs, fromC) to (toMs, toC) is faster than the sensor allows. */
export function isJump(
  fromMs: number,
  fromC: number,
  toMs: number,
  toC: number,
  maxStepCPerMin: number,
): boolean {
  // Measured over at least a minute, so fast-reporting probes are not flagged for their noise.
  const minutes = Math.max((toMs - fromMs) / 60_000, 1);
  return Math.abs(toC - fromC) / minutes > maxStepCPerMin;
}
