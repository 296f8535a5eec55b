import { describe, expect, it } from "vitest";
import { HUMAN_MILK, ICE_PACK, liquidFractionOf, massAt, temperatureOf } from "./phase-change.js";

describe("phase change bookkeeping", () => {
  it("round-trips temperatures on both sides of the freezing point", () => {
    for (const t of [-30, -18, -1, 0, 4, 37]) {
      expect(temperatureOf(massAt(HUMAN_MILK, 1.2, t))).toBeCloseTo(t, 9);
    }
  });

  it("holds the temperature at the freezing point while melting (latent plateau)", () => {
    const frozen = massAt(HUMAN_MILK, 1, HUMAN_MILK.freezingPointC, 0);
    const latentJ = HUMAN_MILK.latentJPerKg;
    for (const f of [0, 0.25, 0.5, 1]) {
      const m = { ...frozen, enthalpyJ: f * latentJ };
      expect(temperatureOf(m)).toBe(-0.54);
      expect(liquidFractionOf(m)).toBeCloseTo(f, 12);
    }
    // One more joule per kg past full melt warms the liquid.
    expect(temperatureOf({ ...frozen, enthalpyJ: latentJ + 3900 })).toBeCloseTo(-0.54 + 1, 9);
  });

  it("ice packs take 334 kJ/kg to melt at 0 °C", () => {
    const ice = massAt(ICE_PACK, 2, 0, 0);
    const water = massAt(ICE_PACK, 2, 0, 1);
    expect(water.enthalpyJ - ice.enthalpyJ).toBe(668_000);
    expect(temperatureOf(massAt(ICE_PACK, 2, -10))).toBeCloseTo(-10, 9);
  });

  it("a mass of 0 kg has no temperature", () => {
    expect(temperatureOf(massAt(HUMAN_MILK, 0, -18))).toBeNaN();
  });
});
