import type { Probes } from "./probes.js";

/**
 * Probe lookups on the ingest path (per connection, per message, per reading), kept in memory:
 * the secret hash the broker checks, and the calibration offset applied to a unit's readings.
 */
export function createProbeLookups(probes: Probes) {
  const secrets = new Map<string, string>();
  const offsets = new Map<string, number>();
  return {
    secretHashOf(probeId: string): string | null {
      const hit = secrets.get(probeId);
      if (hit) return hit;
      const auth = probes.auth(probeId);
      if (auth) secrets.set(probeId, auth.secretHash);
      return auth?.secretHash ?? null;
    },
    /** The probe's secret changed: the next lookup reads the registry. */
    forgetSecret(probeId: string): void {
      secrets.delete(probeId);
    },
    calibrationOffsetOf(probeId: string): number {
      let o = offsets.get(probeId);
      if (o === undefined) {
        o = probes.calibrationOffset(probeId) ?? 0;
        offsets.set(probeId, o);
      }
      return o;
    },
  };
}
export type ProbeLookups = ReturnType<typeof createProbeLookups>;
