import { describe, expect, it } from "vitest";
import type { Unit } from "../api/types.js";
import { filterUnits, groupUnits, hasProblem, tempCheck } from "./unit-tiles.js";

const STALE_S = 900;

function unit(over: Partial<Unit>): Unit {
  return {
    id: "u_1",
    name: "Freezer",
    kind: "freezer",
    site: "household",
    profile: "home-freezer",
    profileOverrides: null,
    ownerId: "acct_a",
    createdAt: "2026-11-30T10:00:00.000Z",
    probes: ["p1"],
    lastReading: { ts: "2026-11-30T10:00:00.000Z", temp_c: -19, ageS: 60 },
    openAlerts: 0,
    alertCounts: { open: 0, acknowledged: 0 },
    probesOnline: ["p1"],
    ownerName: "Anna",
    ownerSite: { id: "site_n", name: "Northside" },
    safeRange: { minC: null, maxC: -18 },
    ...over,
  };
}

describe("a unit's temperature against its limit", () => {
  it("flags a freezer at −14.6 °C as too warm, in words", () => {
    const c = tempCheck(unit({ lastReading: { ts: "x", temp_c: -14.6, ageS: 10 } }));
    expect(c).toEqual({ kind: "too-warm", words: "Too warm: −14.6 °C is above the −18.0 °C limit" });
  });

  it("a fridge below its minimum is too cold; inside the range it is within the limit", () => {
    const range = { minC: 0, maxC: 4 };
    expect(tempCheck(unit({ safeRange: range, lastReading: { ts: "x", temp_c: -1, ageS: 1 } })).kind).toBe(
      "too-cold",
    );
    expect(tempCheck(unit({ safeRange: range, lastReading: { ts: "x", temp_c: 3, ageS: 1 } })).words).toBe(
      "Within the limit (0.0 °C to 4.0 °C)",
    );
  });

  it("with no reading or no known limit it says so and never claims the unit is fine", () => {
    expect(tempCheck(unit({ lastReading: null })).kind).toBe("unknown");
    expect(tempCheck(unit({ safeRange: null })).kind).toBe("unknown");
    expect(hasProblem(unit({ lastReading: null }), STALE_S)).toBe(true);
  });

  it("an open alert, a stale reading or a silent probe is a problem; an acknowledged alert alone is not", () => {
    expect(hasProblem(unit({}), STALE_S)).toBe(false);
    expect(hasProblem(unit({ alertCounts: { open: 1, acknowledged: 0 } }), STALE_S)).toBe(true);
    expect(hasProblem(unit({ alertCounts: { open: 0, acknowledged: 1 } }), STALE_S)).toBe(false);
    expect(hasProblem(unit({ lastReading: { ts: "x", temp_c: -19, ageS: 901 } }), STALE_S)).toBe(true);
    expect(hasProblem(unit({ probesOnline: [] }), STALE_S)).toBe(true);
  });
});

describe("filtering and grouping the tiles", () => {
  const units = [
    unit({ id: "a1", name: "Chest freezer", ownerId: "a", ownerName: "Anna" }),
    unit({
      id: "b1",
      name: "Kitchen fridge",
      kind: "fridge",
      ownerId: "b",
      ownerName: "Bella",
      safeRange: { minC: 0, maxC: 4 },
      lastReading: { ts: "x", temp_c: 3, ageS: 5 },
    }),
    unit({
      id: "a2",
      name: "Attic freezer",
      ownerId: "a",
      ownerName: "Anna",
      lastReading: { ts: "x", temp_c: -14.6, ageS: 5 },
    }),
    unit({ id: "c1", name: "Bank freezer", ownerId: "c", ownerName: null, ownerSite: null }),
  ];

  it("matches words in unit, owner and site names, by kind, and only problems", () => {
    const ids = (f: Parameters<typeof filterUnits>[1]) => filterUnits(units, f, STALE_S).map((u) => u.id);
    expect(ids({ text: "anna", kind: "", onlyProblems: false })).toEqual(["a1", "a2"]);
    expect(ids({ text: "NORTH fridge", kind: "", onlyProblems: false })).toEqual(["b1"]);
    expect(ids({ text: "", kind: "fridge", onlyProblems: false })).toEqual(["b1"]);
    expect(ids({ text: "", kind: "", onlyProblems: true })).toEqual(["a2"]);
  });

  it("groups by site and by donor, unknowns last, problems first inside a group", () => {
    expect(groupUnits(units, "site", STALE_S).map((g) => [g.title, g.units.map((u) => u.id)])).toEqual([
      ["Northside", ["a2", "a1", "b1"]],
      ["No site", ["c1"]],
    ]);
    expect(groupUnits(units, "donor", STALE_S).map((g) => [g.title, g.units.map((u) => u.id)])).toEqual([
      ["Anna", ["a2", "a1"]],
      ["Bella", ["b1"]],
      ["Unknown owner", ["c1"]],
    ]);
  });
});
