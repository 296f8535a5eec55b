import { describe, expect, it } from "vitest";
import { MKT_DELTA_H_OVER_R_K, meanKineticTemperatureC, mktFromSums } from "./index.js";

describe("mean kinetic temperature", () => {
  it("uses USP <1160>'s ΔH/R of 10 000 K", () => {
    expect(MKT_DELTA_H_OVER_R_K).toBeCloseTo(10_000, 9);
  });

  it("of a constant temperature is that temperature", () => {
    expect(meanKineticTemperatureC([{ tempC: -18, weight: 5 }])).toBeCloseTo(-18, 9);
  });

  it("weights warm periods more than the plain mean: 20 °C and 30 °C → about 26.3 °C", () => {
    const mkt = meanKineticTemperatureC([
      { tempC: 20, weight: 1 },
      { tempC: 30, weight: 1 },
    ]);
    // 10 000 / −ln((e^(−10000/293.15) + e^(−10000/303.15)) / 2) − 273.15 = 26.26 °C
    expect(mkt).toBeCloseTo(26.26, 2);
  });

  it("is null without weight", () => {
    expect(mktFromSums(0, 0)).toBeNull();
    expect(meanKineticTemperatureC([])).toBeNull();
  });
});
