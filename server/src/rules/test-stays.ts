/**
 * Test helpers shared by the engine's scenario and rule tests: one stay of a batch in a unit of a
 * default profile, and the verdict of a batch (throwing on custody that cannot be right).
 */
import { computeVerdict } from "./engine.js";
import { resolveProfile } from "./profiles/registry.js";
import type { ProfileId } from "./profiles/types.js";
import { MINUTE_MS } from "./synthetic-readings.js";
import type { BatchInput, CustodyInterval, TempSample, UnitKind, Verdict } from "./types.js";

export const KIND_OF: Record<ProfileId, UnitKind> = {
  "home-freezer": "freezer",
  "milk-bank-freezer": "freezer",
  fridge: "fridge",
  "cool-bag": "cool-bag",
};

/** A stay in a unit of `profileId` (unit id = the profile id unless given), readings a minute apart by default. */
export function stay(
  profileId: ProfileId,
  fromMs: number,
  toMs: number | null,
  readings: TempSample[],
  opts: { unitId?: string; overrides?: Record<string, unknown>; expectedIntervalMs?: number | null } = {},
): CustodyInterval {
  const resolved = resolveProfile({ kind: KIND_OF[profileId], profileId, overrides: opts.overrides ?? null });
  if (!resolved.ok) throw new Error(resolved.reason);
  return {
    unitId: opts.unitId ?? profileId,
    unitKind: KIND_OF[profileId],
    profile: resolved.profile,
    fromMs,
    toMs,
    readings,
    expectedIntervalMs: opts.expectedIntervalMs === undefined ? MINUTE_MS : opts.expectedIntervalMs,
  };
}

export function verdictOf(batch: BatchInput, nowMs: number, timeZone?: string): Verdict {
  const r = computeVerdict(batch, nowMs, timeZone === undefined ? {} : { timeZone });
  if (!r.ok) throw new Error(r.reason);
  return r.verdict;
}
