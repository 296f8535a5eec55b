import type { Db } from "../db/open.js";
import type { SqlClient } from "../db/sql/client.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { PROFILE_IDS } from "../rules/index.js";
import { createAudit } from "./audit.js";
import { createBatches } from "./batches.js";
import { createDeadLetters } from "./deadletters.js";
import { deleteLocalProbeRows } from "./local-probe-rows.js";
import { createProbeLive } from "./probe-live.js";
import { createProbeLookups } from "./probe-lookups.js";
import { createProbes, type Probe } from "./probes.js";
import { createRegistryIndex } from "./registry-index.js";
import { startRegistryListener } from "./registry-notify.js";
import { createUnits } from "./units.js";

/**
 * The registry's tables behind their modules: units, probes, batches, audit, dead letters. `sql` is
 * the asynchronous client the modules move onto (issue #13): SQLite by default (its own connection
 * to the same file), PostgreSQL when several instances share state. Units, probes and attachments
 * are on it, with an in-memory index (loaded here) for the per-message reads; so are batches (with
 * custody and reviews) and dead letters. The batches' custody index starts empty:
 * `batches.loadIndex()` reads it (app.ts does, before ingest starts).
 */
export async function createRegistry(
  db: Db,
  sql: SqlClient = createSqliteClient(db),
  opts: { onDeadLetterWriteFailed?: (error: unknown) => void } = {},
) {
  const audit = createAudit(db);
  const index = createRegistryIndex();
  await index.load(sql);
  const probes = createProbes(sql, index);
  const batches = createBatches(sql);
  return {
    sql,
    audit,
    /** Units, probes and attachments in memory (registry-index.ts). */
    index,
    units: createUnits(sql, index, () => new Set(PROFILE_IDS)),
    probes,
    batches,
    deadLetters: createDeadLetters(sql, { onWriteFailed: opts.onDeadLetterWriteFailed }),
    /** Battery, status and last seen: in memory, flushed to the registry every few seconds. */
    live: createProbeLive(probes),
    /** The ingest path's lookups (secret hashes), from memory. */
    lookups: createProbeLookups(probes),
    /**
     * On PostgreSQL (several instances): keeps the index and the batches' custody index current
     * with the other instances' writes (registry-notify.ts), and tells the calibration listeners when another instance corrected a
     * probe. A probe that is gone (an account's erasure deleted it) loses its rows in this
     * instance's own SQLite file too (readings, journal backlog), as on the erasing instance.
     * Close it before the SQL client.
     */
    followOtherInstances(connectionString: string, onError: (error: Error) => void) {
      return startRegistryListener({
        connectionString,
        sql,
        index,
        custody: batches.index,
        onError,
        onReloaded(change) {
          const was = (change.before as Probe | null)?.calibrationOffsetC;
          const is = (change.after as Probe | null)?.calibrationOffsetC;
          if (change.entity === "probe" && change.before !== null && change.after === null) {
            deleteLocalProbeRows(db, [change.id]);
          }
          // A new or deleted probe has no readings judged with an offset yet, or none to judge.
          if (change.entity === "probe" && was !== undefined && is !== undefined && was !== is) {
            probes.calibrationChanged(change.id);
          }
        },
      });
    },
  };
}
export type Registry = Awaited<ReturnType<typeof createRegistry>>;
