/**
 * Every rule profile and every set of time limits, by id; the default profile per unit kind; and
 * `resolveProfile`, which turns what the registry stores for a unit into the profile to apply.
 */
import type { UnitKind } from "../types.js";
import { coolBag } from "./cool-bag.js";
import { fridge } from "./fridge.js";
import { homeFreezer } from "./home-freezer.js";
import { abmCleanLimits } from "./limits-abm-clean.js";
import { conservativeLimits } from "./limits-conservative.js";
import { ukNhsLimits } from "./limits-uk-nhs.js";
import { milkBankFreezer } from "./milk-bank-freezer.js";
import { applyOverrides, type OverrideResult } from "./overrides.js";
import type { LimitsId, ProfileId, RuleProfile, TimeLimits } from "./types.js";

export const PROFILES: Readonly<Record<ProfileId, RuleProfile>> = {
  "home-freezer": homeFreezer,
  "milk-bank-freezer": milkBankFreezer,
  fridge,
  "cool-bag": coolBag,
};

/** "conservative" is every profile's default (RULES.md §1). */
export const TIME_LIMITS: Readonly<Record<LimitsId, TimeLimits>> = {
  conservative: conservativeLimits,
  "uk-nhs": ukNhsLimits,
  "abm-clean": abmCleanLimits,
};

export const PROFILE_IDS = Object.keys(PROFILES) as ProfileId[];
export const LIMITS_IDS = Object.keys(TIME_LIMITS) as LimitsId[];

export function isProfileId(id: string): id is ProfileId {
  return Object.hasOwn(PROFILES, id);
}

/** DESIGN.md "Domain model": a unit's kind selects its default profile. */
export function defaultProfileId(kind: UnitKind, site: "household" | "milk-bank" = "household"): ProfileId {
  if (kind === "freezer") return site === "milk-bank" ? "milk-bank-freezer" : "home-freezer";
  return kind;
}

export interface ProfileSpec {
  kind: UnitKind;
  /** The unit's chosen profile id; null/undefined = the kind's default. */
  profileId?: string | null;
  site?: "household" | "milk-bank";
  /** As stored by the registry; see `applyOverrides`. */
  overrides?: Readonly<Record<string, unknown>> | null;
}

/** The profile to apply to a unit, with staff overrides validated and applied. */
export function resolveProfile(spec: ProfileSpec): OverrideResult {
  const id = spec.profileId ?? defaultProfileId(spec.kind, spec.site);
  if (!isProfileId(id))
    return {
      ok: false,
      reason: `profile "${id}" is not known; choose one of ${PROFILE_IDS.map((p) => `"${p}"`).join(", ")}`,
    };
  return applyOverrides(PROFILES[id], spec.overrides, TIME_LIMITS);
}
