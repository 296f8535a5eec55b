/**
 * The "software buffer probe" (DESIGN.md, "Rule profiles"): a first-order thermal lag that
 * estimates the milk's own temperature from the air temperature a probe measures,
 * dT/dt = (T_air − T) / τ. With the air held constant over a step the solution is exact:
 * T(t) = T_air + (T0 − T_air)·e^(−t/τ). Time constants and why: `profiles/milk-physics.ts`.
 */

/** The estimate after `dtMs` with the air held at `airC`. */
export function lagStep(milkC: number, airC: number, dtMs: number, tauMs: number): number {
  if (dtMs <= 0) return milkC;
  return airC + (milkC - airC) * Math.exp(-dtMs / tauMs);
}

/**
 * How long until the estimate reaches `targetC` with the air held at `airC`: 0 if the estimate is
 * already at the target or on the air's side of it, null if the air sits exactly on the target
 * (the estimate only approaches it).
 */
export function msToReach(milkC: number, airC: number, targetC: number, tauMs: number): number | null {
  if (airC > targetC) {
    if (milkC >= targetC) return 0;
    return tauMs * Math.log((milkC - airC) / (targetC - airC));
  }
  if (airC < targetC) {
    if (milkC <= targetC) return 0;
    return tauMs * Math.log((milkC - airC) / (targetC - airC));
  }
  return null;
}
