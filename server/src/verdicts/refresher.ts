import type { DueBatch } from "../alerts/engine.js";
import type { Logger } from "../logger.js";
import type { Reading } from "../reading.js";
import type { Batches } from "../registry/batches.js";
import { ADMIN } from "../registry/caller.js";
import type { Probes } from "../registry/probes.js";
import type { BatchVerdicts } from "./batch-verdict.js";

/**
 * Keeps every batch's stored verdict current as readings stream in: the units that stored
 * readings touched are noted, and a moment later (readings arrive in bursts: a replayed buffer is
 * many messages) the verdicts of the batches that were in those units at those times are
 * recomputed and stored with their reasons. Late readings hours in the past reach the batches that
 * were there then, even if they have moved on since. A probe's calibration correction applies to
 * its whole history, so it touches every unit the probe was ever attached to, over those times.
 */
export function createVerdictRefresher(deps: {
  batches: Batches;
  probes: Probes;
  batchVerdicts: BatchVerdicts;
  log: Logger;
  now(): number;
  debounceMs: number;
}) {
  const { batches, probes, log } = deps;
  const touched = new Map<string, { fromMs: number; toMs: number }>();
  let timer: NodeJS.Timeout | null = null;
  // After stop, readings still stored while the server shuts down (the BLE bridge's last windows,
  // the journal's drain) schedule nothing: a refresh would run after the database has closed.
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function flush(): Promise<void> {
    timer = null;
    const units = [...touched];
    touched.clear();
    const ids = new Set<string>();
    try {
      for (const [unitId, span] of units)
        for (const id of await batches.inUnit(unitId, span.fromMs, span.toMs + 1)) ids.add(id);
    } catch (e) {
      // The database did not answer: try these units again at the next refresh.
      log.warn({ units: units.length, err: (e as Error).message }, "verdict.refresh_failed");
      for (const [unitId, span] of units) touch(unitId, span.fromMs, span.toMs);
      schedule();
      return;
    }
    for (const id of ids) {
      try {
        await deps.batchVerdicts.compute(await batches.get(ADMIN, id), deps.now());
      } catch (e) {
        log.warn({ batchId: id, err: (e as Error).message }, "verdict.refresh_failed");
      }
    }
    if (ids.size) log.debug({ batches: ids.size, units: units.length }, "verdict.refreshed");
  }

  function schedule(): void {
    if (touched.size && !timer && !stopped) {
      timer = setTimeout(() => {
        running = running.then(flush);
      }, deps.debounceMs);
    }
  }

  function touch(unitId: string, fromMs: number, toMs: number): void {
    const span = touched.get(unitId);
    if (span) {
      span.fromMs = Math.min(span.fromMs, fromMs);
      span.toMs = Math.max(span.toMs, toMs);
    } else touched.set(unitId, { fromMs, toMs });
  }

  /** Every stay of the probe, as it now reads differently (probes.setCalibration). */
  function calibrationChanged(probeId: string): void {
    const nowMs = deps.now();
    for (const a of probes.attachmentsOfProbe(probeId)) touch(a.unitId, a.fromMs, a.toMs ?? nowMs);
    log.info({ probeId }, "verdict.calibration_changed");
    schedule();
  }
  probes.onCalibrationChanged(calibrationChanged);

  return {
    onStored(rows: readonly Reading[]): void {
      const attachments = new Map<string, ReturnType<Probes["attachmentsOfProbe"]>>();
      for (const r of rows) {
        let atts = attachments.get(r.probeId);
        if (!atts) {
          atts = probes.attachmentsOfProbe(r.probeId);
          attachments.set(r.probeId, atts);
        }
        const a = atts.find((x) => x.fromMs <= r.tsMs && (x.toMs === null || r.tsMs < x.toMs));
        if (a) touch(a.unitId, r.tsMs, r.tsMs);
      }
      schedule();
    },

    /** Recomputes the batches a probe's corrected readings reach (also subscribed at creation). */
    calibrationChanged,

    /** Waits for the refreshes already scheduled (tests; shutdown uses `stop`). */
    async settled(): Promise<void> {
      if (timer) {
        clearTimeout(timer);
        timer = null;
        running = running.then(flush);
      }
      await running;
    },

    /** Batches in custody whose storage budgets end within `horizonMs` (or have ended), for alerts. */
    dueBatches(nowMs: number, horizonMs: number): DueBatch[] {
      const out: DueBatch[] = [];
      // From memory (registry/custody-index.ts): the alert tick must not wait on the database.
      for (const b of batches.index.inCustody()) {
        for (const budget of b.budgets) {
          if (budget.untilMs === null || budget.untilMs > nowMs + horizonMs) continue;
          out.push({
            batchId: b.batchId,
            code: b.code,
            unitId: b.unitId,
            limit: budget.limit,
            band: budget.band,
            untilMs: budget.untilMs,
          });
        }
      }
      return out;
    },

    async stop(): Promise<void> {
      stopped = true;
      if (timer) {
        clearTimeout(timer);
        await flush();
      }
      await running;
    },
  };
}
