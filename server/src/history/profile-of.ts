import type { Unit } from "../registry/units.js";
import { type RuleProfile, resolveProfile } from "../rules/index.js";

export interface UnitProfile {
  profile: RuleProfile;
  /** Changes whenever the unit's choice of profile or its overrides change (for saved monitor state). */
  key: string;
  /** Why the unit's own choice could not be used (the kind's default applies instead), or null. */
  error: string | null;
}

/**
 * The rule profile a unit is judged by: its chosen profile with staff overrides, resolved once
 * for verdicts and alerts alike. Overrides are validated when staff set them; if a stored choice
 * no longer resolves (a later version tightened a range), the kind's default applies and the
 * error is reported rather than leaving the unit unjudged.
 */
export function profileOf(
  unit: Pick<Unit, "id" | "kind" | "site" | "profile" | "profileOverrides">,
): UnitProfile {
  const chosen = resolveProfile({
    kind: unit.kind,
    site: unit.site,
    profileId: unit.profile,
    overrides: unit.profileOverrides,
  });
  if (chosen.ok)
    return {
      profile: chosen.profile,
      key: JSON.stringify([unit.profile, unit.profileOverrides]),
      error: null,
    };
  const fallback = resolveProfile({ kind: unit.kind, site: unit.site });
  if (!fallback.ok) throw new Error(`no default profile for unit kind "${unit.kind}": ${fallback.reason}`);
  return {
    profile: fallback.profile,
    key: JSON.stringify([null, null]),
    error: `unit "${unit.id}": ${chosen.reason}; the ${fallback.profile.id} defaults apply`,
  };
}
