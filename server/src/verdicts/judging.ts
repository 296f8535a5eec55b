import type { Db } from "../db/open.js";
import { createUnitHistory } from "../history/unit-history.js";
import type { Logger } from "../logger.js";
import { createUnitReadings } from "../readings/unit-readings.js";
import type { Batches } from "../registry/batches.js";
import type { Probes } from "../registry/probes.js";
import type { Units } from "../registry/units.js";
import type { ReadingsStore } from "../stores/types.js";
import { createBatchVerdicts } from "./batch-verdict.js";
import { createVerdictCheckpoints } from "./checkpoints.js";

/**
 * What judges a batch: each unit's calibrated readings over its attachments, the unit history the
 * rules read (profile, reporting interval), and the batch verdicts built on them.
 */
export function createJudging(deps: {
  probes: Probes;
  units: Units;
  batches: Batches;
  store: ReadingsStore;
  db: Db;
  log: Logger;
  /** COLDTRAIL_TIME_ZONE: the zone stored verdicts are worded in. */
  timeZone?: string;
  /** The last run stopped cleanly (ReadingsPipeline.previousStopClean). */
  previousStopClean: boolean;
}) {
  const { probes, units, batches, store, log } = deps;
  const unitReadings = createUnitReadings(probes, store, probes.calibrationOf);
  const history = createUnitHistory({ probes, unitReadings });
  const checkpoints = createVerdictCheckpoints({
    db: deps.db,
    store,
    log,
    // Only the SQLite store has the tripwire that tells of a write while coldtrail was stopped.
    saved: !deps.previousStopClean ? "discard" : store.name === "sqlite" ? "trust" : "count",
  });
  const batchVerdicts = createBatchVerdicts({
    batches,
    units,
    history,
    checkpoints,
    log,
    ...(deps.timeZone !== undefined && { timeZone: deps.timeZone }),
  });
  return { unitReadings, history, batchVerdicts, checkpoints };
}
