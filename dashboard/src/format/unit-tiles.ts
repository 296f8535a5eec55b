/**
 * The staff units overview, as pure functions: how a unit's last temperature compares with its
 * safe range (the numbers come from the unit's rule profile on the server, each with its RULES.md
 * row; nothing here holds a food-safety number), which units need a look, how the filter narrows
 * them and how they group by site or by donor.
 */
import type { Unit, UnitKind } from "../api/types.js";
import { formatTemp } from "./verdict.js";

export type TempCheck =
  | { kind: "ok"; words: string }
  | { kind: "too-warm" | "too-cold"; words: string }
  | { kind: "unknown"; words: string };

/** "−14.6 °C is warmer than the −18.0 °C limit", or why there is nothing to compare. */
export function tempCheck(u: Pick<Unit, "lastReading" | "safeRange">): TempCheck {
  const t = u.lastReading?.temp_c;
  if (t === undefined) return { kind: "unknown", words: "No reading to compare with the limit" };
  const range = u.safeRange;
  if (!range) return { kind: "unknown", words: "Limit unknown: the unit's rule profile cannot be read" };
  if (t > range.maxC)
    return {
      kind: "too-warm",
      words: `Too warm: ${formatTemp(t)} is above the ${formatTemp(range.maxC)} limit`,
    };
  if (range.minC !== null && t < range.minC)
    return {
      kind: "too-cold",
      words: `Too cold: ${formatTemp(t)} is below the ${formatTemp(range.minC)} limit`,
    };
  const limit =
    range.minC === null
      ? `at or below ${formatTemp(range.maxC)}`
      : `${formatTemp(range.minC)} to ${formatTemp(range.maxC)}`;
  return { kind: "ok", words: `Within the limit (${limit})` };
}

/** A unit needs a look: outside its range, an open alert, no reading, a stale one or a silent probe. */
export function hasProblem(u: Unit, staleAfterS: number): boolean {
  const check = tempCheck(u).kind;
  return (
    check === "too-warm" ||
    check === "too-cold" ||
    u.alertCounts.open > 0 ||
    u.lastReading === null ||
    u.lastReading.ageS > staleAfterS ||
    u.probesOnline.length < u.probes.length
  );
}

export interface UnitFilter {
  /** Words matched against the unit's, owner's and site's names (any case). */
  text: string;
  kind: UnitKind | "";
  onlyProblems: boolean;
}

export function filterUnits(units: readonly Unit[], f: UnitFilter, staleAfterS: number): Unit[] {
  const words = f.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return units.filter((u) => {
    if (f.kind && u.kind !== f.kind) return false;
    if (f.onlyProblems && !hasProblem(u, staleAfterS)) return false;
    const hay = [u.name, u.ownerName ?? "", u.ownerSite?.name ?? ""].join(" ").toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

export type Grouping = "site" | "donor";

export interface UnitGroup {
  key: string;
  title: string;
  units: Unit[];
}

/**
 * Units by their owner's site or by owner, groups in name order ("No site" and "Unknown owner"
 * last); inside a group, units needing a look first, then by name.
 */
export function groupUnits(units: readonly Unit[], by: Grouping, staleAfterS: number): UnitGroup[] {
  const groups = new Map<string, UnitGroup>();
  for (const u of units) {
    const [key, title] =
      by === "site"
        ? u.ownerSite
          ? [`s:${u.ownerSite.id}`, u.ownerSite.name]
          : ["s:", "No site"]
        : u.ownerName
          ? [`o:${u.ownerId}`, u.ownerName]
          : ["o:", "Unknown owner"];
    let g = groups.get(key);
    if (!g) {
      g = { key, title, units: [] };
      groups.set(key, g);
    }
    g.units.push(u);
  }
  const last = (g: UnitGroup) => (g.key.endsWith(":") ? 1 : 0);
  const out = [...groups.values()].sort((a, b) => last(a) - last(b) || a.title.localeCompare(b.title));
  for (const g of out) {
    g.units.sort(
      (a, b) =>
        Number(hasProblem(b, staleAfterS)) - Number(hasProblem(a, staleAfterS)) ||
        a.name.localeCompare(b.name),
    );
  }
  return out;
}
