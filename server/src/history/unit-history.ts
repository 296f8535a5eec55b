import type { UnitReadings } from "../readings/unit-readings.js";
import type { Probes } from "../registry/probes.js";
import type { Unit } from "../registry/units.js";
import type { CustodyInterval } from "../rules/index.js";
import { profileOf } from "./profile-of.js";

/**
 * A unit's history as the rules see it, built in one place for verdicts and alerts: which probes
 * were attached when (readings/unit-readings.ts), each probe's calibration (from the probe
 * registry, corrected everywhere at once), the unit's rule profile (profile-of.ts) and the
 * reporting interval the readings are judged against.
 */
export function createUnitHistory(deps: { probes: Probes; unitReadings: UnitReadings }) {
  const { probes, unitReadings } = deps;

  /**
   * The interval the unit's probes declared for [fromMs, toMs): the shortest declared one, or null
   * when none declared one (the rules then learn it from the readings' spacing).
   */
  function expectedIntervalOf(unitId: string, fromMs: number, toMs: number): number | null {
    let best: number | null = null;
    for (const a of probes.attachmentsOfUnit(unitId, fromMs, toMs)) {
      const p = probes.byId(a.probeId);
      if (p?.intervalDeclared)
        best = best === null ? p.expectedIntervalMs : Math.min(best, p.expectedIntervalMs);
    }
    return best;
  }

  return {
    profileOf,
    expectedIntervalOf,

    /**
     * One stay of milk in a unit, [fromMs, toMs) (toMs null = still there, as of nowMs): the
     * unit's calibrated readings over exactly that time with its profile, ready for the engine.
     */
    /** Which probes' readings make the unit's history over [fromMs, toMs), and their offsets. */
    sources: unitReadings.sources,

    /**
     * `afterMs`: only the readings after it (a verdict resuming from a checkpoint there); the
     * interval's other fields describe the whole stay.
     */
    async stay(
      unit: Unit,
      fromMs: number,
      toMs: number | null,
      nowMs: number,
      afterMs?: number,
    ): Promise<{
      interval: CustodyInterval;
      profileError: string | null;
    }> {
      const p = profileOf(unit);
      // [fromMs, toMs) with the reading at exactly nowMs included for the current stay.
      const endMs = toMs ?? Math.max(nowMs + 1, fromMs);
      const readFromMs = afterMs === undefined ? fromMs : Math.max(fromMs, afterMs + 1);
      const readings = readFromMs < endMs ? await unitReadings.samples(unit.id, readFromMs, endMs) : [];
      return {
        interval: {
          unitId: unit.id,
          unitKind: unit.kind,
          profile: p.profile,
          fromMs,
          toMs,
          readings,
          expectedIntervalMs: expectedIntervalOf(unit.id, fromMs, endMs),
        },
        profileError: p.error,
      };
    },
  };
}
export type UnitHistory = ReturnType<typeof createUnitHistory>;
