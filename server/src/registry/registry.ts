import type { Db } from "../db/open.js";
import { PROFILE_IDS } from "../rules/index.js";
import { createAudit } from "./audit.js";
import { createBatches } from "./batches.js";
import { createDeadLetters } from "./deadletters.js";
import { createProbeLive } from "./probe-live.js";
import { createProbeLookups } from "./probe-lookups.js";
import { createProbes } from "./probes.js";
import { createUnits } from "./units.js";

/** The registry's tables behind their modules: units, probes, batches, audit, dead letters. */
export function createRegistry(db: Db) {
  const audit = createAudit(db);
  const probes = createProbes(db, audit);
  return {
    audit,
    units: createUnits(db, audit, () => new Set(PROFILE_IDS)),
    probes,
    batches: createBatches(db, audit),
    deadLetters: createDeadLetters(db),
    /** Battery, status and last seen: in memory, flushed to the registry every few seconds. */
    live: createProbeLive(probes),
    /** Cached lookups on the ingest path (secret hashes, calibration offsets). */
    lookups: createProbeLookups(probes),
  };
}
export type Registry = ReturnType<typeof createRegistry>;
