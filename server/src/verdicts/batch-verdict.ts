import { conflict } from "../errors.js";
import type { UnitHistory } from "../history/unit-history.js";
import type { Logger } from "../logger.js";
import type { Batch, Batches, Custody } from "../registry/batches.js";
import { knownUnit, type Unit, type Units } from "../registry/units.js";
import {
  type BatchInput,
  type CustodyInterval,
  computeVerdict,
  describeReason,
  type Verdict,
} from "../rules/index.js";
import { type SavedCheckpoint, sourceKeyOf, type VerdictCheckpoints } from "./checkpoints.js";

export interface StitchedCustody extends Custody {
  unit: Unit | null;
}

export interface BatchVerdict {
  batch: Batch;
  custody: StitchedCustody[];
  verdict: Verdict;
}

/**
 * Stitches a batch's custody chain with each unit's history over exactly those intervals and
 * runs the pure rules engine on it. The verdict is stored with its reasons, never as a bare flag.
 */
export function createBatchVerdicts(deps: {
  batches: Batches;
  units: Units;
  history: UnitHistory;
  /** Where each stay was last walked; without it every verdict walks every reading. */
  checkpoints?: VerdictCheckpoints;
  log?: Logger;
  /** The zone reasons are worded in when the caller names none (COLDTRAIL_TIME_ZONE); stored verdicts use it. */
  timeZone?: string;
}) {
  const { batches, units, history, checkpoints } = deps;

  interface StayPlan {
    unit: Unit;
    fromMs: number;
    toMs: number | null;
    sources: ReturnType<UnitHistory["sources"]>;
    saved: SavedCheckpoint | null;
    watch: ReturnType<VerdictCheckpoints["watch"]> | undefined;
  }

  /**
   * The batch's verdict as of nowMs, stored with its reasons. `timeZone` words the reasons for one
   * reader (a page sends the browser's zone); the stored copy is always in the server's zone.
   */
  async function compute(
    batch: Batch,
    nowMs: number,
    opts: { timeZone?: string } = {},
  ): Promise<BatchVerdict> {
    const chain = (await batches.custody(batch.id)).map((c) => ({
      ...c,
      unit: c.unitId ? knownUnit(units, c.unitId) : null,
    }));
    const watches: ReturnType<VerdictCheckpoints["watch"]>[] = [];
    try {
      return await walk(batch, chain, nowMs, opts, watches);
    } finally {
      for (const w of watches) w.end();
    }
  }

  async function walk(
    batch: Batch,
    chain: StitchedCustody[],
    nowMs: number,
    opts: { timeZone?: string },
    watches: ReturnType<VerdictCheckpoints["watch"]>[],
  ): Promise<BatchVerdict> {
    const intervals: CustodyInterval[] = [];
    const plans: StayPlan[] = [];
    for (const c of chain) {
      if (!c.unit) continue; // out of monitored custody: the chain ends (or pauses) there
      const endMs = c.toMs ?? Math.max(nowMs + 1, c.fromMs);
      const sources = history.sources(c.unit.id, c.fromMs, endMs);
      const watch = checkpoints?.watch(sources);
      if (watch) watches.push(watch);
      const saved = (await checkpoints?.get(batch.id, c.fromMs, sources)) ?? null;
      const stay = await history.stay(c.unit, c.fromMs, c.toMs, nowMs, saved?.checkpoint.throughMs);
      if (stay.profileError)
        deps.log?.warn({ unitId: c.unit.id, err: stay.profileError }, "unit.profile_invalid");
      intervals.push(saved ? { ...stay.interval, resume: saved.checkpoint } : stay.interval);
      plans.push({ unit: c.unit, fromMs: c.fromMs, toMs: c.toMs, sources, saved, watch });
    }
    const last = chain.at(-1);
    const input: BatchInput = {
      expressedAtMs: batch.expressedAtMs,
      initialState: batch.initialState,
      thawedAtMs: batch.thawedAtMs,
      volumeMl: batch.volumeMl,
      container: batch.container,
      custody: intervals,
      // A chain whose last stay is closed has left monitored custody (a move elsewhere opens a new stay).
      custodyEnd: last && last.toMs !== null ? { atMs: last.toMs, how: last.leftHow ?? "unknown" } : null,
    };
    const serverZone = deps.timeZone ?? "UTC";
    let r = computeVerdict(input, nowMs, { timeZone: serverZone });
    if (!r.ok && plans.some((p) => p.saved !== null)) {
      // A checkpoint that no longer fits (the milk arrived in another state, say): walk it all.
      deps.log?.info({ batchId: batch.id, reason: r.reason }, "verdict.checkpoint_refused");
      for (const [i, p] of plans.entries()) {
        if (p.saved === null) continue;
        intervals[i] = (await history.stay(p.unit, p.fromMs, p.toMs, nowMs)).interval;
        p.saved = null;
      }
      r = computeVerdict({ ...input, custody: intervals }, nowMs, { timeZone: serverZone });
    }
    if (!r.ok) throw conflict(`cannot compute a verdict for batch "${batch.id}": ${r.reason}`);
    if (checkpoints)
      for (const [i, p] of plans.entries()) {
        const cp = r.checkpoints[i] ?? null;
        if (cp === null || cp === p.saved?.checkpoint) continue;
        // A late reading observed while this walk ran may be missing from it: keep no checkpoint.
        if (p.watch?.missed(cp.throughMs)) continue;
        const walked = (intervals[i] as CustodyInterval).readings;
        let readings = p.saved?.readings ?? 0;
        for (const x of walked) if (x.tsMs <= cp.throughMs) readings++;
        checkpoints.put(
          batch.id,
          p.fromMs,
          { sourceKey: sourceKeyOf(p.sources), readings, checkpoint: cp },
          nowMs,
        );
      }
    await batches.saveVerdict(batch.id, r.verdict.verdict, r.verdict, nowMs);
    const zone = opts.timeZone ?? serverZone;
    if (zone === serverZone) return { batch, custody: chain, verdict: r.verdict };
    // Same history, same rules: only the words differ, so re-word each reason for the reader.
    const reasons = r.verdict.reasons.map((x) => ({ ...x, message: describeReason(x, { timeZone: zone }) }));
    return { batch, custody: chain, verdict: { ...r.verdict, reasons } };
  }

  return { compute };
}
export type BatchVerdicts = ReturnType<typeof createBatchVerdicts>;
