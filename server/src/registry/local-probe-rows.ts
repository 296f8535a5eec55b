import type { Db } from "../db/open.js";
import { deleteJournalRowsOfProbes } from "../journal/journal.js";

/**
 * Deletes deleted probes' rows from this instance's own SQLite file: their stored readings and
 * their journal backlog (readings journaled here, not yet forwarded). Used by erasure on the
 * instance that erased the account, and on PostgreSQL by every other instance when it hears the
 * probe is gone (registry.ts `followOtherInstances`).
 */
export function deleteLocalProbeRows(db: Db, probeIds: readonly string[]): void {
  if (probeIds.length === 0) return;
  const readings = db.prepare("DELETE FROM reading WHERE probe_id = ?");
  db.transaction(() => {
    for (const p of probeIds) readings.run(p);
    // The journal forgets them too: its in-memory tail would otherwise still forward them.
    deleteJournalRowsOfProbes(db, probeIds);
  })();
}
