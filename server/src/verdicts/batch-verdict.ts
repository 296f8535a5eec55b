import { conflict } from "../errors.js";
import type { UnitReadings } from "../readings/unit-readings.js";
import type { Batch, Batches, Custody } from "../registry/batches.js";
import { ADMIN } from "../registry/caller.js";
import type { Probes } from "../registry/probes.js";
import type { Unit, Units } from "../registry/units.js";
import {
  type BatchInput,
  type CustodyInterval,
  computeVerdict,
  resolveProfile,
  type Verdict,
} from "../rules/index.js";

/** Design: probes report once a minute unless registered otherwise (the firmware's default). */
const DEFAULT_EXPECTED_INTERVAL_MS = 60_000;

export interface StitchedCustody extends Custody {
  unit: Unit | null;
}

export interface BatchVerdict {
  batch: Batch;
  custody: StitchedCustody[];
  verdict: Verdict;
}

/**
 * Stitches a batch's custody chain with each unit's readings over exactly those intervals and
 * runs the pure rules engine on it. The verdict is stored with its reasons, never as a bare flag.
 */
export function createBatchVerdicts(deps: {
  batches: Batches;
  units: Units;
  probes: Probes;
  unitReadings: UnitReadings;
}) {
  const { batches, units, probes, unitReadings } = deps;

  function expectedIntervalOf(unitId: string, fromMs: number, toMs: number): number {
    const intervals = probes
      .attachmentsOfUnit(unitId, fromMs, toMs)
      .map((a) => probes.get(ADMIN, a.probeId).expectedIntervalMs);
    return intervals.length ? Math.min(...intervals) : DEFAULT_EXPECTED_INTERVAL_MS;
  }

  async function compute(batch: Batch, nowMs: number): Promise<BatchVerdict> {
    const chain = batches
      .custody(batch.id)
      .map((c) => ({ ...c, unit: c.unitId ? units.get(ADMIN, c.unitId) : null }));
    const intervals: CustodyInterval[] = [];
    for (const c of chain) {
      if (!c.unit) continue; // out of monitored custody: the chain ends there
      const profile = resolveProfile({
        kind: c.unit.kind,
        profileId: c.unit.profile,
        site: c.unit.site,
        overrides: c.unit.profileOverrides,
      });
      if (!profile.ok) throw conflict(`unit "${c.unit.id}": ${profile.reason}`);
      // [fromMs, toMs) with the reading at exactly nowMs included for the current stay.
      const toMs = c.toMs ?? Math.max(nowMs + 1, c.fromMs);
      const readings = await unitReadings.samples(c.unit.id, c.fromMs, toMs);
      intervals.push({
        unitId: c.unit.id,
        unitKind: c.unit.kind,
        profile: profile.profile,
        fromMs: c.fromMs,
        toMs: c.toMs,
        readings,
        expectedIntervalMs: expectedIntervalOf(c.unit.id, c.fromMs, toMs),
      });
    }
    const input: BatchInput = {
      expressedAtMs: batch.expressedAtMs,
      initialState: batch.initialState,
      thawedAtMs: batch.thawedAtMs,
      volumeMl: batch.volumeMl,
      container: batch.container,
      custody: intervals,
    };
    const r = computeVerdict(input, nowMs);
    if (!r.ok) throw conflict(`cannot compute a verdict for batch "${batch.id}": ${r.reason}`);
    batches.saveVerdict(batch.id, r.verdict.verdict, r.verdict, nowMs);
    return { batch, custody: chain, verdict: r.verdict };
  }

  return { compute };
}
export type BatchVerdicts = ReturnType<typeof createBatchVerdicts>;
