import type { Probes } from "./probes.js";

/**
 * Probe lookups on the ingest path (per connection, per message): the secret hash the broker
 * checks, read from the registry's in-memory index (registry-index.ts), which every change of a
 * secret updates, so a rotated secret applies at once.
 */
export function createProbeLookups(probes: Pick<Probes, "auth">) {
  return {
    secretHashOf(probeId: string): string | null {
      return probes.auth(probeId)?.secretHash ?? null;
    },
  };
}
export type ProbeLookups = ReturnType<typeof createProbeLookups>;
