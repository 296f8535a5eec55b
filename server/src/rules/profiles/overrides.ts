/**
 * Staff may change a profile's numbers per unit (DESIGN.md, "Rule profiles": each number is
 * configuration) and choose alternative time limits. Overrides are validated here, once, and the
 * resolved profile records them so every verdict can say which numbers it used.
 *
 * Shape, as the registry stores it: `{ "limits": "uk-nhs", "high.forMin": 45, … }` — `limits`
 * picks a TimeLimits set; every other key is the dotted path of a number in RuleProfile.
 */
import type { LimitsId, RuleProfile, TimeLimits } from "./types.js";

export type OverrideResult = { ok: true; profile: RuleProfile } | { ok: false; reason: string };

const TEN_YEARS_H = 10 * 366 * 24;

/** The allowed range of a number, by its path. */
function rangeFor(path: string): { min: number; max: number; minExclusive: boolean } {
  if (path === "gap.factor") return { min: 1, max: 100, minExclusive: false };
  if (path === "coverage.checkBelowPct") return { min: 0, max: 100, minExclusive: false };
  if (path === "thaw.hysteresisC") return { min: 0, max: 10, minExclusive: false };
  if (path === "sensor.stuckMin") return { min: 0, max: 366 * 24 * 60, minExclusive: true };
  if (path.startsWith("sensor.")) {
    if (path === "sensor.maxStepCPerMin") return { min: 0, max: 1000, minExclusive: true };
    return { min: -273.15, max: 1000, minExclusive: false };
  }
  if (path.startsWith("milkTauMin.")) return { min: 0, max: 24 * 60, minExclusive: true };
  if (path.endsWith("Min")) return { min: 0, max: 366 * 24 * 60, minExclusive: true };
  if (path.endsWith("H")) return { min: 0, max: TEN_YEARS_H, minExclusive: true };
  // Temperatures of milk storage: nothing a freezer, fridge or bag could be set to lies outside.
  return { min: -60, max: 60, minExclusive: false };
}

function numberAt(obj: unknown, parts: readonly string[]): number | undefined {
  let cur: unknown = obj;
  for (const p of parts) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return typeof cur === "number" ? cur : undefined;
}

function setNumberAt(obj: Record<string, unknown>, parts: readonly string[], value: number): void {
  let cur = obj;
  for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  cur[parts[parts.length - 1] as string] = value;
}

/** Relations between numbers that every profile must keep, checked after overrides. */
function checkConsistency(p: RuleProfile): string | null {
  if (p.high.clearC > p.high.aboveC)
    return `high.clearC (${p.high.clearC}) must be ≤ high.aboveC (${p.high.aboveC})`;
  if (p.low !== null && p.low.clearC < p.low.belowC)
    return `low.clearC (${p.low.clearC}) must be ≥ low.belowC (${p.low.belowC})`;
  if (p.thaw.airClearC > p.thaw.airAboveC)
    return `thaw.airClearC (${p.thaw.airClearC}) must be ≤ thaw.airAboveC (${p.thaw.airAboveC})`;
  if (p.thaw.frozenMaxC >= p.thaw.thawAboveC)
    return `thaw.frozenMaxC (${p.thaw.frozenMaxC}) must be below thaw.thawAboveC (${p.thaw.thawAboveC})`;
  if (p.sensor.minC >= p.sensor.maxC)
    return `sensor.minC (${p.sensor.minC}) must be below sensor.maxC (${p.sensor.maxC})`;
  if (p.safe.minC !== null && p.safe.minC > p.safe.maxC)
    return `safe.minC (${p.safe.minC}) must be ≤ safe.maxC (${p.safe.maxC})`;
  for (const [name, limit] of Object.entries(p.limits)) {
    if (typeof limit !== "object") continue;
    if (limit.safeMaxH > limit.checkMaxH)
      return `limits.${name}.safeMaxH (${limit.safeMaxH}) must be ≤ limits.${name}.checkMaxH (${limit.checkMaxH})`;
  }
  return null;
}

/**
 * Applies staff overrides to a profile. `limitsById` lists the TimeLimits sets `limits` may name.
 * Unknown keys, non-numbers, numbers out of range and inconsistent results are refused with a
 * reason naming the key, the value seen and what is allowed.
 */
export function applyOverrides(
  base: RuleProfile,
  overrides: Readonly<Record<string, unknown>> | null | undefined,
  limitsById: Readonly<Record<LimitsId, TimeLimits>>,
): OverrideResult {
  const profile = structuredClone(base) as RuleProfile;
  const applied: Record<string, number> = { ...base.overrides };
  if (overrides === null || overrides === undefined) return { ok: true, profile };
  if (typeof overrides !== "object" || Array.isArray(overrides))
    return { ok: false, reason: `profile overrides must be an object, got ${JSON.stringify(overrides)}` };

  const limitsChoice = overrides.limits;
  if (limitsChoice !== undefined) {
    const ids = Object.keys(limitsById);
    if (typeof limitsChoice !== "string" || !ids.includes(limitsChoice))
      return {
        ok: false,
        reason: `profile override "limits" must be one of ${ids.map((i) => `"${i}"`).join(", ")}, got ${JSON.stringify(limitsChoice)}`,
      };
    profile.limits = structuredClone(limitsById[limitsChoice as LimitsId]);
  }

  for (const [path, value] of Object.entries(overrides)) {
    if (path === "limits") continue;
    const parts = path.split(".");
    if (path === "overrides" || parts[0] === "overrides" || parts.includes("__proto__"))
      return { ok: false, reason: `profile override "${path}" is not a number of profile "${base.id}"` };
    if (numberAt(profile, parts) === undefined)
      return {
        ok: false,
        reason: `profile override "${path}" is not a number of profile "${base.id}"; use a dotted path such as "high.forMin"`,
      };
    if (typeof value !== "number" || !Number.isFinite(value))
      return {
        ok: false,
        reason: `profile override "${path}" must be a finite number, got ${JSON.stringify(value)}`,
      };
    const r = rangeFor(path);
    const tooLow = r.minExclusive ? value <= r.min : value < r.min;
    if (tooLow || value > r.max)
      return {
        ok: false,
        reason: `profile override "${path}" must be ${r.minExclusive ? ">" : "≥"} ${r.min} and ≤ ${r.max}, got ${value}`,
      };
    setNumberAt(profile as unknown as Record<string, unknown>, parts, value);
    applied[path] = value;
  }

  const inconsistent = checkConsistency(profile);
  if (inconsistent !== null)
    return { ok: false, reason: `profile overrides are inconsistent: ${inconsistent}` };
  profile.overrides = applied;
  return { ok: true, profile };
}
