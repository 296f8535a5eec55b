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
import { createUnits } from "./units.js";

/**
 * The registry's tables behind their modules: units, probes, batches, audit, dead letters. `sql` is
 * the asynchronous client the modules move onto (issue #13): SQLite by default (its own connection
 * to the same file), PostgreSQL when several instances share state. Batches (with custody and
 * reviews) and dead letters run on it; units and probes still on `db`. The batches' custody index
 * starts empty: `batches.loadIndex()` reads it (app.ts does, before ingest starts).
 */
export function createRegistry(
  db: Db,
  sql: SqlClient = createSqliteClient(db),
  opts: { onDeadLetterWriteFailed?: (error: unknown) => void } = {},
) {
  const audit = createAudit(db);
  const probes = createProbes(db, audit);
  return {
    sql,
    audit,
    units: createUnits(db, audit, () => new Set(PROFILE_IDS)),
    probes,
    batches: createBatches(sql),
    deadLetters: createDeadLetters(sql, { onWriteFailed: opts.onDeadLetterWriteFailed }),
    /** Battery, status and last seen: in memory, flushed to the registry every few seconds. */
    live: createProbeLive(probes),
    /** Cached lookups on the ingest path (secret hashes, calibration offsets). */
    lookups: createProbeLookups(probes),
  };
}
export type Registry = ReturnType<typeof createRegistry>;
