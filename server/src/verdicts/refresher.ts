import type { DueBatch } from "../alerts/engine.js";
import type { Db } from "../db/open.js";
import type { Logger } from "../logger.js";
import type { Reading } from "../reading.js";
import type { Batches } from "../registry/batches.js";
import { ADMIN } from "../registry/caller.js";
import type { Probes } from "../registry/probes.js";
import type { Verdict } from "../rules/index.js";
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
  db: Db;
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
    for (const [unitId, span] of units)
      for (const id of batches.inUnit(unitId, span.fromMs, span.toMs + 1)) ids.add(id);
    for (const id of ids) {
      try {
        await deps.batchVerdicts.compute(batches.get(ADMIN, id), deps.now());
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

  const dueSelect = deps.db.prepare(
    `SELECT b.id, b.code, b.verdict_json, c.unit_id FROM batch b
       JOIN custody c ON c.batch_id = b.id AND c.to_ms IS NULL
      WHERE b.verdict_json IS NOT NULL`,
  );

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
      for (const r of dueSelect.all() as {
        id: string;
        code: string;
        verdict_json: string;
        unit_id: string | null;
      }[]) {
        const v = JSON.parse(r.verdict_json) as Verdict;
        for (const b of v.budgets) {
          if (b.untilMs === null || b.untilMs > nowMs + horizonMs) continue;
          out.push({
            batchId: r.id,
            code: r.code,
            unitId: r.unit_id,
            limit: b.limit,
            band: b.band,
            untilMs: b.untilMs,
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
