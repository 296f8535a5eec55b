import { describe, expect, it } from "vitest";
import { prepareReadings } from "./prepare-readings.js";
import { ds18b20Limits } from "./profiles/sensor-limits.js";

describe("prepareReadings", () => {
  it("keeps the window, sorts, and keeps one reading per time: valid over faulty, then warmer", () => {
    const out = prepareReadings(
      [
        { tsMs: 30, tempC: -20 },
        { tsMs: 10, tempC: -19 },
        { tsMs: 10, tempC: -18 },
        { tsMs: 20, tempC: 85 },
        { tsMs: 20, tempC: -21 },
        { tsMs: 5, tempC: 0 },
        { tsMs: 40, tempC: 1 },
      ],
      10,
      40,
      false,
      ds18b20Limits,
    );
    expect(out).toEqual([
      { tsMs: 10, tempC: -18 },
      { tsMs: 20, tempC: -21 },
      { tsMs: 30, tempC: -20 },
    ]);
  });

  it("includes a reading at the end when the window is open", () => {
    expect(prepareReadings([{ tsMs: 40, tempC: 1 }], 10, 40, true, ds18b20Limits)).toEqual([
      { tsMs: 40, tempC: 1 },
    ]);
  });
});
