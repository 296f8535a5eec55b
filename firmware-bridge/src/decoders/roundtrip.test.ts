/** Property: encode(values) then decode gives the values back, to the format's resolution. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EncodeOptions, EncodeValues, FormatId } from "./advert.js";
import { decodeAdvert, decoderFor, ENCODERS, encodeAdvert } from "./registry.js";

interface Spec {
  format: FormatId;
  tempStepC: number;
  tempC: [number, number];
  humidityStep?: number;
  humidity?: [number, number];
  batteryPct?: boolean;
  batteryMv?: [number, number];
  packetId?: number;
  options?: EncodeOptions;
}

const MAC = "A4:C1:38:8D:18:B2";
const KEY = "231d39c1d7cc1ab1aee224cd096db932";

const SPECS: Spec[] = [
  {
    format: "bthome-v2",
    tempStepC: 0.01,
    tempC: [-40, 85],
    humidityStep: 0.01,
    humidity: [0, 100],
    batteryPct: true,
    packetId: 255,
  },
  {
    format: "bthome-v2",
    tempStepC: 0.01,
    tempC: [-40, 85],
    humidityStep: 0.01,
    humidity: [0, 100],
    batteryPct: true,
    packetId: 255,
    options: { mac: MAC, bindkey: KEY, counter: 4_000_000_000 },
  },
  {
    format: "pvvx",
    tempStepC: 0.01,
    tempC: [-40, 85],
    humidityStep: 0.01,
    humidity: [0, 100],
    batteryPct: true,
    batteryMv: [0, 3600],
    packetId: 255,
    options: { mac: MAC },
  },
  {
    format: "atc1441",
    tempStepC: 0.1,
    tempC: [-40, 85],
    humidityStep: 1,
    humidity: [0, 100],
    batteryPct: true,
    batteryMv: [0, 3600],
    packetId: 255,
    options: { mac: MAC },
  },
  {
    format: "ruuvi-5",
    tempStepC: 0.005,
    tempC: [-40, 85],
    humidityStep: 0.0025,
    humidity: [0, 100],
    batteryMv: [1600, 3646],
    packetId: 65534,
    options: { mac: MAC },
  },
  {
    format: "ruuvi-3",
    tempStepC: 0.01,
    tempC: [-40, 85],
    humidityStep: 0.5,
    humidity: [0, 100],
    batteryMv: [0, 3600],
  },
  {
    format: "govee-h5075",
    tempStepC: 0.1,
    tempC: [-40, 85],
    humidityStep: 0.1,
    humidity: [0, 99.9],
    batteryPct: true,
  },
  {
    format: "govee-h5074",
    tempStepC: 0.01,
    tempC: [-40, 85],
    humidityStep: 0.01,
    humidity: [0, 100],
    batteryPct: true,
  },
  {
    format: "inkbird-ibs-th",
    tempStepC: 0.01,
    tempC: [-40, 85],
    humidityStep: 0.01,
    humidity: [1, 100],
    batteryPct: true,
  },
];

function arbValues(s: Spec): fc.Arbitrary<EncodeValues> {
  return fc.record(
    {
      tempC: fc.double({ min: s.tempC[0], max: s.tempC[1], noNaN: true }),
      ...(s.humidity && { humidityPct: fc.double({ min: s.humidity[0], max: s.humidity[1], noNaN: true }) }),
      ...(s.batteryPct && { batteryPct: fc.integer({ min: 0, max: 100 }) }),
      ...(s.batteryMv && { batteryMv: fc.integer({ min: s.batteryMv[0], max: s.batteryMv[1] }) }),
      ...(s.packetId !== undefined && { packetId: fc.integer({ min: 0, max: s.packetId }) }),
    },
    { requiredKeys: ["tempC"] },
  ) as fc.Arbitrary<EncodeValues>;
}

const near = (got: number | null | undefined, want: number, step: number) =>
  typeof got === "number" && Math.abs(got - want) <= step / 2 + 1e-9;

describe("encode → decode round trips", () => {
  it("every format has an encoder", () => {
    expect(ENCODERS.map((e) => e.id).sort()).toEqual([
      "atc1441",
      "bthome-v2",
      "govee-h5074",
      "govee-h5075",
      "inkbird-ibs-th",
      "pvvx",
      "ruuvi-3",
      "ruuvi-5",
    ]);
  });

  for (const s of SPECS) {
    it(`${s.format}${s.options?.bindkey ? " (encrypted)" : ""}`, () => {
      fc.assert(
        fc.property(arbValues(s), fc.boolean(), (values, external) => {
          const options = { ...s.options, ...(s.format === "inkbird-ibs-th" && { externalProbe: external }) };
          const e = encodeAdvert(s.format, values, options);
          if (!e.ok) throw new Error(e.reason);
          const ad = { ...e.advert, ...(s.options?.bindkey && { bindkey: s.options.bindkey }) };
          expect(decoderFor(s.format).matches(ad)).toBe(true);
          const r = decodeAdvert(ad);
          if (!r.ok) throw new Error(`${JSON.stringify(values)}: ${r.reason}`);
          expect(r.format).toBe(s.format);
          expect(near(r.tempC, values.tempC, s.tempStepC), `tempC ${values.tempC} → ${r.tempC}`).toBe(true);
          if (values.humidityPct !== undefined && s.humidityStep) {
            expect(
              near(r.humidityPct, values.humidityPct, s.humidityStep),
              `humidity ${values.humidityPct} → ${r.humidityPct}`,
            ).toBe(true);
          }
          if (values.batteryPct !== undefined) expect(r.batteryPct).toBe(values.batteryPct);
          if (values.batteryMv !== undefined) expect(r.batteryMv).toBe(values.batteryMv);
          if (values.packetId !== undefined) expect(r.packetId).toBe(values.packetId);
          if (s.options?.counter !== undefined) expect(r.counter).toBe(s.options.counter);
          if (s.format === "inkbird-ibs-th") expect(r.externalProbe).toBe(external);
        }),
        { numRuns: 1000 },
      );
    });
  }

  it("Govee H5075 packs a freezer reading with the sign bit, not into the humidity digits", () => {
    const e = encodeAdvert("govee-h5075", { tempC: -18.4, humidityPct: 61.2, batteryPct: 80 });
    if (!e.ok) throw new Error(e.reason);
    // 0x800000 | (184 × 1000 + 612) = 0x82d124
    expect(Buffer.from(e.advert.manufacturerData[0xec88] as Uint8Array).toString("hex")).toBe("0082d1245000");
    expect(decodeAdvert(e.advert)).toEqual({
      ok: true,
      format: "govee-h5075",
      tempC: -18.4,
      humidityPct: 61.2,
      batteryPct: 80,
    });
  });

  it("-0.04 °C rounds to 0.0, not to a negative zero", () => {
    for (const f of ["govee-h5075", "ruuvi-3"] as const) {
      const e = encodeAdvert(f, { tempC: -0.004 });
      if (!e.ok) throw new Error(e.reason);
      const r = decodeAdvert(e.advert);
      expect(r.ok && Object.is(r.tempC, 0), `${f}: ${JSON.stringify(r)}`).toBe(true);
    }
  });

  it.each<[FormatId, EncodeValues, EncodeOptions | undefined, RegExp]>([
    ["bthome-v2", { tempC: 400 }, undefined, /tempC must be/],
    ["bthome-v2", { tempC: 1, batteryPct: 101 }, undefined, /batteryPct must be 0-100/],
    ["bthome-v2", { tempC: 1 }, { bindkey: KEY }, /needs the device MAC/],
    ["bthome-v2", { tempC: 1 }, { bindkey: "xyz", mac: MAC }, /bindkey must be 32 hex digits/],
    ["pvvx", { tempC: 1 }, undefined, /needs the device MAC/],
    ["atc1441", { tempC: 1, humidityPct: 120 }, { mac: MAC }, /humidityPct must be 0-100/],
    ["ruuvi-5", { tempC: 200 }, undefined, /tempC must be/],
    ["ruuvi-5", { tempC: 1, batteryMv: 1000 }, undefined, /batteryMv must be 1600-3646/],
    ["ruuvi-3", { tempC: -130 }, undefined, /tempC must be/],
    ["govee-h5075", { tempC: 1, humidityPct: 100 }, undefined, /0-99.9/],
    ["govee-h5075", { tempC: -45 }, undefined, /tempC must be -40…100/],
    ["govee-h5074", { tempC: 120 }, undefined, /tempC must be -40…100/],
    ["inkbird-ibs-th", { tempC: 1, humidityPct: 0 }, undefined, /no humidity sensor/],
    ["pvvx", { tempC: Number.NaN }, { mac: MAC }, /tempC must be a finite number/],
    [
      "ruuvi-5",
      { tempC: 1, humidityPct: Number.POSITIVE_INFINITY },
      undefined,
      /humidityPct must be a finite number/,
    ],
  ])("%s refuses %j", (format, values, options, reason) => {
    expect(encodeAdvert(format, values, options)).toEqual({
      ok: false,
      reason: expect.stringMatching(reason),
    });
  });
});
