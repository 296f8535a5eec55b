import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lagStep, msToReach } from "./milk-temperature.js";

const TAU = 20 * 60_000;

describe("milk-temperature estimate", () => {
  it("after one time constant it has covered 1 − 1/e of the way to the air", () => {
    expect(lagStep(-20, 0, TAU, TAU)).toBeCloseTo(-20 / Math.E, 9);
    expect(lagStep(-20, 0, 0, TAU)).toBe(-20);
  });

  it("a 3-minute door opening to −5 °C barely warms frozen milk (τ = 20 min)", () => {
    expect(lagStep(-20, -5, 3 * 60_000, TAU)).toBeCloseTo(-17.91, 2);
  });

  it("msToReach is the inverse of lagStep", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (milk, air, share) => {
          fc.pre(Math.abs(air - milk) > 0.01);
          const target = milk + (air - milk) * share;
          const dt = msToReach(milk, air, target, TAU);
          expect(dt).not.toBeNull();
          expect(lagStep(milk, air, dt as number, TAU)).toBeCloseTo(target, 6);
        },
      ),
    );
  });

  it("msToReach: 0 when already on the air's side of the target, null when the air sits on it", () => {
    expect(msToReach(-1, 5, -2, TAU)).toBe(0);
    expect(msToReach(-1, -5, -0.5, TAU)).toBe(0);
    expect(msToReach(-20, -2, -2, TAU)).toBeNull();
  });
});
