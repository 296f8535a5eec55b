import type { Db } from "../db/open.js";

/**
 * Triggers that stand only while coldtrail is stopped: any write to the readings table between a
 * clean stop and the next start (another program, a restore into the file) clears the mark.
 */
const TRIPWIRES = ["INSERT", "UPDATE", "DELETE"].map((op) => ({
  name: `reading_${op.toLowerCase()}_while_stopped`,
  create: `CREATE TRIGGER IF NOT EXISTS reading_${op.toLowerCase()}_while_stopped AFTER ${op} ON reading
     BEGIN DELETE FROM clean_stop; END`,
}));

/**
 * Whether every reading now in the store was seen by the last run's `observe` listeners.
 *
 * Checkpoints and hour rollups stand for the readings they were built from, and a reading the
 * store confirms drops those it lands in (`observe`). A run that dies between a readings commit
 * and `observe` (kill -9, power loss) leaves them stale, and no count can tell: a reading stored
 * again at the same time with another temperature leaves every count as it was. So a run marks
 * the database at its clean stop, after the journal and the forwarder have drained, and the next
 * start takes the mark away: a start without the mark (a crash, a first start, a write while
 * stopped) must not trust what earlier runs kept.
 */
export function openCleanStop(db: Db) {
  const row = db.prepare<[], { stopped_ms: number }>("SELECT stopped_ms FROM clean_stop").get();
  db.transaction(() => {
    for (const t of TRIPWIRES) db.exec(`DROP TRIGGER IF EXISTS ${t.name}`);
    db.prepare("DELETE FROM clean_stop").run();
  })();
  return {
    /** The last run stopped cleanly and nothing wrote readings since. */
    previousStopClean: row !== undefined,
    /** Every stored reading has been observed and no more will be stored by this run. */
    markClean(stoppedMs: number): void {
      db.transaction(() => {
        db.prepare("INSERT OR REPLACE INTO clean_stop (id, stopped_ms) VALUES (1, ?)").run(stoppedMs);
        for (const t of TRIPWIRES) db.exec(t.create);
      })();
    },
  };
}
export type CleanStop = ReturnType<typeof openCleanStop>;
