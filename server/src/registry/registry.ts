import type { Db } from "../db/open.js";
import type { SqlClient } from "../db/sql/client.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { PROFILE_IDS } from "../rules/index.js";
import { createAudit } from "./audit.js";
import { createBatches } from "./batches.js";
import { createDeadLetters } from "./deadletters.js";
import { createProbeLive } from "./probe-live.js";
import { createProbeLookups } from "./probe-lookups.js";
import { createProbes } from "./probes.js";
import { createRegistryIndex } from "./registry-index.js";
import { createUnits } from "./units.js";

/**
 * The registry's tables behind their modules: units, probes, batches, audit, dead letters. `sql` is
 * the asynchronous client the modules move onto (issue #13): SQLite by default (its own connection
 * to the same file), PostgreSQL when several instances share state. Units, probes and attachments
 * are on it already, with an in-memory index (loaded here) for the per-message reads.
 */
export async function createRegistry(db: Db, sql: SqlClient = createSqliteClient(db)) {
  const audit = createAudit(db);
  const index = createRegistryIndex();
  await index.load(sql);
  const probes = createProbes(sql, index);
  return {
    sql,
    audit,
    /** Units, probes and attachments in memory (registry-index.ts). */
    index,
    units: createUnits(sql, index, () => new Set(PROFILE_IDS)),
    probes,
    batches: createBatches(db, audit),
    deadLetters: createDeadLetters(db),
    /** Battery, status and last seen: in memory, flushed to the registry every few seconds. */
    live: createProbeLive(probes),
    /** The ingest path's lookups (secret hashes), from memory. */
    lookups: createProbeLookups(probes),
  };
}
export type Registry = Awaited<ReturnType<typeof createRegistry>>;
