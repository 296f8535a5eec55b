import type { Probes } from "./probes.js";

/**
 * Probe lookups on the ingest path (per connection, per message), kept in memory: the secret hash
 * the broker checks. (Calibration offsets are cached by the probe registry, which owns their changes.)
 */
export function createProbeLookups(probes: Probes) {
  const secrets = new Map<string, string>();
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
  };
}
export type ProbeLookups = ReturnType<typeof createProbeLookups>;
