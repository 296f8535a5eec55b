/**
 * Mean kinetic temperature: the single temperature that would cause the same total degradation as
 * the varying temperatures seen, by the Arrhenius equation. USP <1160> ("Pharmaceutical
 * Calculations in Pharmacy Practice") gives ΔH = 83.144 kJ/mol as the default activation energy,
 * so ΔH/R = 83 144 / 8.3144 = 10 000 K. It weights warm periods more than the plain mean does.
 * Milk spoilage has no published activation energy; the USP default is used as a convention.
 */
import { MKT_DELTA_H_OVER_R_K } from "./unit-machine.js";

const KELVIN = 273.15;

/** MKT from Σ exp(−ΔH/(R·T))·w and Σ w, as the state machine accumulates them. */
export function mktFromSums(arrheniusSum: number, totalWeight: number): number | null {
  if (totalWeight <= 0 || arrheniusSum <= 0) return null;
  return MKT_DELTA_H_OVER_R_K / -Math.log(arrheniusSum / totalWeight) - KELVIN;
}

/** MKT of temperatures with weights (e.g. durations). */
export function meanKineticTemperatureC(
  samples: readonly { tempC: number; weight: number }[],
): number | null {
  let sum = 0;
  let total = 0;
  for (const x of samples) {
    sum += Math.exp(-MKT_DELTA_H_OVER_R_K / (x.tempC + KELVIN)) * x.weight;
    total += x.weight;
  }
  return mktFromSums(sum, total);
}
