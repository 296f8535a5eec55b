import { describe, expect, it } from "vitest";
import {
  assessTemperatureReach,
  FREEZER_REQUIRED_MIN_C,
  identifySensor,
  SENSOR_CAPABILITIES,
} from "./capabilities.js";
import { FORMAT_IDS } from "./registry.js";

describe("sensor capabilities", () => {
  it("every format maps to a capability that lists it", () => {
    for (const format of FORMAT_IDS) expect(identifySensor({ format }).formats).toContain(format);
  });

  it("every entry names a source, and a known lower limit is below its upper limit", () => {
    for (const c of Object.values(SENSOR_CAPABILITIES)) {
      expect(c.source.length).toBeGreaterThan(20);
      if (c.minTempC !== null && c.maxTempC !== null) expect(c.minTempC).toBeLessThan(c.maxTempC);
    }
  });

  it("the freezer requirement is the milk-bank freezer limit (RULES.md MB-1)", () => {
    expect(FREEZER_REQUIRED_MIN_C).toBe(-20);
  });

  it.each([
    [
      { format: "pvvx" as const },
      "out-of-range",
      /cannot read freezer temperatures: .*LYWSD03MMC.* rated down to 0 °C, the unit needs -20 °C/,
    ],
    [{ format: "atc1441" as const, name: "ATC_D5D498" }, "out-of-range", /cannot read freezer temperatures/],
    [{ format: "bthome-v2" as const, name: "ATC_8D18B2" }, "out-of-range", /LYWSD03MMC/],
    [{ format: "govee-h5075" as const }, "out-of-range", /Govee H5075.* rated down to 0 °C/],
    [{ format: "govee-h5074" as const }, "unknown", /rated range is unknown/],
    [{ format: "bthome-v2" as const, name: "SBHT-003C" }, "unknown", /Shelly BLU H&T/],
    [{ format: "bthome-v2" as const, name: "DIY-sensor" }, "unknown", /model not recognised/],
    [{ format: "inkbird-ibs-th" as const, externalProbe: false }, "unknown", /internal sensor/],
  ])("%j is flagged (%s)", (q, kind, message) => {
    const r = assessTemperatureReach(q);
    expect(r).toMatchObject({ ok: false, kind, message: expect.stringMatching(message) });
  });

  it.each([
    { format: "ruuvi-5" as const },
    { format: "ruuvi-3" as const },
    { format: "inkbird-ibs-th" as const, externalProbe: true },
  ])("%j can read a freezer", (q) => {
    expect(assessTemperatureReach(q)).toMatchObject({ ok: true });
  });

  it("a fridge (0 °C) needs less: an LCD hygrometer is fine there", () => {
    expect(assessTemperatureReach({ format: "pvvx" }, 0)).toMatchObject({ ok: true });
    expect(assessTemperatureReach({ format: "pvvx" }, -1)).toMatchObject({ ok: false, kind: "out-of-range" });
  });
});
