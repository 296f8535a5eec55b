import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  defaultProfileId,
  LIMITS_IDS,
  PROFILE_IDS,
  PROFILES,
  resolveProfile,
  TIME_LIMITS,
} from "./registry.js";

describe("profile registry", () => {
  it("lists the four unit profiles and three sets of time limits", () => {
    expect(PROFILE_IDS).toEqual(["home-freezer", "milk-bank-freezer", "fridge", "cool-bag"]);
    expect(LIMITS_IDS).toEqual(["conservative", "uk-nhs", "abm-clean"]);
    for (const id of PROFILE_IDS) {
      expect(PROFILES[id].id).toBe(id);
      expect(PROFILES[id].limits.id).toBe("conservative");
      expect(PROFILES[id].overrides).toEqual({});
    }
  });

  it.each([
    ["freezer", "household", "home-freezer"],
    ["freezer", "milk-bank", "milk-bank-freezer"],
    ["fridge", "household", "fridge"],
    ["cool-bag", "milk-bank", "cool-bag"],
  ] as const)("a %s at a %s defaults to %s", (kind, site, id) => {
    expect(defaultProfileId(kind, site)).toBe(id);
  });

  it("holds RULES.md's numbers", () => {
    const c = TIME_LIMITS.conservative;
    expect([c.freshCold.safeMaxH, c.freshCold.checkMaxH]).toEqual([96, 96]); // FR-1
    expect([c.freshWarm.safeMaxH, c.freshWarm.checkMaxH]).toEqual([72, 72]); // FR-2
    expect([c.frozen.safeMaxH / 24, c.frozen.checkMaxH / 24]).toEqual([182, 365]); // FZ-1
    expect([c.thawedCold.safeMaxH, c.thawedCold.checkMaxH]).toEqual([12, 24]); // TH-1
    expect([c.thawedRoom.safeMaxH, c.thawedRoom.checkMaxH]).toEqual([1, 2]); // TH-2
    expect([c.room.safeMaxH, c.room.checkMaxH]).toEqual([4, 4]); // RT-1
    expect([c.coolBag.safeMaxH, c.coolBag.checkMaxH]).toEqual([24, 24]); // CB-1
    expect(TIME_LIMITS["uk-nhs"].freshCold).toEqual({ rule: "FR-1", safeMaxH: 192, checkMaxH: 192 });
    expect(TIME_LIMITS["abm-clean"].freshCold).toEqual({ rule: "FR-1", safeMaxH: 96, checkMaxH: 192 });
    expect(TIME_LIMITS["abm-clean"].room).toEqual({ rule: "RT-1", safeMaxH: 4, checkMaxH: 8 });
    expect(PROFILES["home-freezer"].high).toMatchObject({ aboveC: -18, forMin: 30 });
    expect(PROFILES["home-freezer"].cumulative).toEqual({ windowH: 24, maxMin: 120 });
    expect(PROFILES["milk-bank-freezer"].high.aboveC).toBe(-20);
    expect(PROFILES.fridge.high).toMatchObject({ aboveC: 4, forMin: 30 });
    expect(PROFILES.fridge.low).toMatchObject({ belowC: 0 });
    expect(PROFILES["cool-bag"].room.aboveC).toBe(15);
    expect(PROFILES["home-freezer"].thaw).toMatchObject({
      frozenMaxC: -2,
      thawAboveC: -0.5,
      airAboveC: -1,
      airForMin: 60,
    });
  });

  it("every number in a profile file cites a RULES.md row, section, design choice or datasheet", () => {
    const dir = dirname(fileURLToPath(import.meta.url));
    const files = readdirSync(dir).filter(
      (f) => f.endsWith(".ts") && !/(test|types|registry|overrides)\.ts$/.test(f),
    );
    expect(files.length).toBeGreaterThanOrEqual(10);
    const uncited: string[] = [];
    for (const f of files) {
      const lines = readFileSync(join(dir, f), "utf8").split("\n");
      lines.forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, "");
        if (!/:\s*-?\d|=\s*-?\d|\[\d/.test(code) || line.trim().startsWith("*")) return;
        // The citation may sit on the line itself or in the comment lines just above it.
        const context = lines.slice(Math.max(0, i - 6), i + 1).join("\n");
        if (!/[A-Z]{2}-\d|§\d|Design|datasheet/.test(context)) uncited.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(uncited).toEqual([]);
  });
});

describe("resolveProfile", () => {
  it("applies valid overrides and records them", () => {
    const r = resolveProfile({
      kind: "freezer",
      overrides: { limits: "uk-nhs", "high.forMin": 45, "gap.checkAfterMin": 60 },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile.id).toBe("home-freezer");
    expect(r.profile.high.forMin).toBe(45);
    expect(r.profile.limits.id).toBe("uk-nhs");
    expect(r.profile.overrides).toEqual({ "high.forMin": 45, "gap.checkAfterMin": 60 });
    // The shared default is untouched.
    expect(PROFILES["home-freezer"].high.forMin).toBe(30);
    expect(PROFILES["home-freezer"].overrides).toEqual({});
  });

  it("lets staff change a time limit", () => {
    const r = resolveProfile({
      kind: "fridge",
      overrides: { "limits.freshCold.safeMaxH": 48, "limits.freshCold.checkMaxH": 72 },
    });
    expect(r.ok && r.profile.limits.freshCold).toEqual({ rule: "FR-1", safeMaxH: 48, checkMaxH: 72 });
  });

  it.each([
    [{ profileId: "deep-freezer" }, /profile "deep-freezer" is not known; choose one of "home-freezer"/],
    [
      { overrides: { limits: "lenient" } },
      /"limits" must be one of "conservative", "uk-nhs", "abm-clean", got "lenient"/,
    ],
    [{ overrides: { "high.forMinutes": 10 } }, /"high.forMinutes" is not a number of profile "home-freezer"/],
    [{ overrides: { "low.belowC": 0 } }, /"low.belowC" is not a number/],
    [{ overrides: { "high.forMin": "30" } }, /"high.forMin" must be a finite number, got "30"/],
    [{ overrides: { "high.forMin": 0 } }, /"high.forMin" must be > 0 and ≤ 527040, got 0/],
    [{ overrides: { "high.aboveC": -80 } }, /"high.aboveC" must be ≥ -60 and ≤ 60, got -80/],
    [
      { overrides: { "high.clearC": -17 } },
      /inconsistent: high.clearC \(-17\) must be ≤ high.aboveC \(-18\)/,
    ],
    [
      { overrides: { "limits.frozen.safeMaxH": 9000 } },
      /limits.frozen.safeMaxH \(9000\) must be ≤ limits.frozen.checkMaxH \(8760\)/,
    ],
    [{ overrides: { "sensor.sentinelsC": 1 } }, /"sensor.sentinelsC" is not a number/],
    [{ overrides: { "__proto__.x": 1 } }, /is not a number/],
    [{ overrides: { overrides: 1 } }, /is not a number/],
  ])("refuses %j", (spec, reason) => {
    const r = resolveProfile({ kind: "freezer", ...spec });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
