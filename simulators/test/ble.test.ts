/**
 * The simulators' BLE mode: the bytes decode, through firmware-bridge's own registry, to the unit's
 * air temperature, and the source plays them paced or at full speed.
 */
import { decodeAdvert, FORMAT_IDS, type FormatId } from "@coldtrail/firmware-bridge/decoders";
import { describe, expect, it } from "vitest";
import { advertise, bleAdverts, createBleThermometer, createSimulatedBleSource } from "../src/ble/index.js";
import { UNIT_MODELS } from "../src/models/registry.js";
import { createUnitState, step } from "../src/models/step.js";

const T0 = Date.UTC(2026, 4, 3, 12, 0, 0);
const MIN = 60_000;
const BINDKEY = "231d39c1d7cc1ab1aee224cd096db932";

function macFor(i: number): string {
  return `A4:C1:38:00:00:${i.toString(16).padStart(2, "0").toUpperCase()}`;
}

/** Resolution of each format's temperature (the encoder rounds to it). */
const RESOLUTION: Record<FormatId, number> = {
  "bthome-v2": 0.01,
  pvvx: 0.01,
  atc1441: 0.1,
  "ruuvi-5": 0.005,
  "ruuvi-3": 0.01,
  "govee-h5075": 0.1,
  "govee-h5074": 0.01,
  "inkbird-ibs-th": 0.01,
};

describe("BLE thermometer", () => {
  it.each(FORMAT_IDS)("%s: an advertisement decodes to the air temperature the sensor saw", (format) => {
    let s = createBleThermometer({ mac: macFor(1), format, seed: 7, noiseSdC: 0 });
    for (const airC of [-19.37, -1.2, 3.8]) {
      const r = advertise(s, T0, airC);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      s = r.state;
      const d = decodeAdvert({ ...r.advert, name: r.advert.name ?? undefined, mac: r.advert.mac });
      expect(d, `${format} ${airC}`).toMatchObject({ ok: true, format });
      if (d.ok)
        expect(Math.abs((d.tempC as number) - airC)).toBeLessThanOrEqual(RESOLUTION[format] / 2 + 1e-9);
    }
  });
  it("encrypted BTHome: decodes only with the key, and the counter rises by one per advertisement", () => {
    let s = createBleThermometer({
      mac: macFor(2),
      format: "bthome-v2",
      seed: 1,
      bindkey: BINDKEY,
      firstCounter: 41,
    });
    const counters: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = advertise(s, T0 + i * 10_000, -18);
      if (!r.ok) throw new Error(r.reason);
      s = r.state;
      const d = decodeAdvert({
        mac: r.advert.mac,
        serviceData: r.advert.serviceData,
        manufacturerData: {},
        bindkey: BINDKEY,
      });
      expect(d.ok).toBe(true);
      if (d.ok) counters.push(d.counter as number);
      expect(
        decodeAdvert({ mac: r.advert.mac, serviceData: r.advert.serviceData, manufacturerData: {} }).ok,
      ).toBe(false);
    }
    expect(counters).toEqual([41, 42, 43]);
  });
  it("stays silent (counted) when the value is outside what the format can carry", () => {
    const s = createBleThermometer({ mac: macFor(3), format: "bthome-v2", seed: 1, noiseSdC: 0 });
    const r = advertise(s, T0, 400);
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining("tempC") });
  });
});

describe("bleAdverts", () => {
  it("follows the freezer's air temperature, including a power cut, in time order", () => {
    const run = {
      unit: "upright-freezer",
      startMs: T0,
      durationMs: 4 * 60 * MIN,
      sensors: [
        { mac: macFor(4), format: "pvvx" as const, seed: 3, noiseSdC: 0 },
        { mac: macFor(5), format: "govee-h5075" as const, seed: 4, advertiseEveryMs: 30_000, noiseSdC: 0 },
      ],
      events: [{ afterMs: 60 * MIN, event: { kind: "power-cut" as const } }],
    };
    const stats = { adverts: 0, unencodable: 0 };
    const adverts = [...bleAdverts(run, stats)];
    expect(stats).toEqual({ adverts: adverts.length, unencodable: 0 });
    // 4 h: pvvx every 10 s (1441 incl. t = 0), Govee every 30 s (480 from its staggered start).
    expect(adverts.filter((a) => a.mac === macFor(4))).toHaveLength(1441);
    expect(adverts.filter((a) => a.mac === macFor(5))).toHaveLength(480);
    const times = adverts.map((a) => a.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // The same model stepped directly gives the air temperature each advertisement must carry.
    const model = UNIT_MODELS["upright-freezer"];
    let unit = createUnitState(model);
    const pvvx = adverts.filter((a) => a.mac === macFor(4));
    const tempOf = (i: number) => {
      const a = pvvx[i]!;
      const d = decodeAdvert({
        mac: a.mac,
        serviceData: a.serviceData,
        manufacturerData: a.manufacturerData,
      });
      return d.ok ? (d.tempC as number) : Number.NaN;
    };
    unit = step(unit, 30 * MIN);
    expect(tempOf(180)).toBeCloseTo(unit.airC, 1);
    // Three hours into the power cut the air is far warmer than before it.
    expect(tempOf(1440) - tempOf(355)).toBeGreaterThan(5);
  });
});

describe("createSimulatedBleSource", () => {
  it("at speed 0 yields every advertisement at once; close() stops it", async () => {
    const src = createSimulatedBleSource({
      unit: "chest-freezer",
      startMs: T0,
      durationMs: 10 * MIN,
      sensors: [{ mac: macFor(6), format: "bthome-v2", seed: 1 }],
    });
    const seen: number[] = [];
    for await (const a of src.adverts()) seen.push(a.atMs);
    expect(seen).toHaveLength(61);
    expect(src.stats.adverts).toBe(61);
    const again = createSimulatedBleSource({
      unit: "chest-freezer",
      startMs: T0,
      durationMs: 10 * MIN,
      sensors: [{ mac: macFor(6), format: "bthome-v2", seed: 1 }],
    });
    let n = 0;
    for await (const _ of again.adverts()) {
      if (++n === 5) await again.close();
    }
    expect(n).toBe(5);
  });
  it("paces simulated time: 60x plays a simulated minute in about a wall second", async () => {
    const src = createSimulatedBleSource({
      unit: "fridge",
      startMs: T0,
      durationMs: MIN,
      speed: 60,
      sensors: [{ mac: macFor(7), format: "pvvx", seed: 2 }],
    });
    const wall = Date.now();
    let n = 0;
    for await (const _ of src.adverts()) n++;
    const took = Date.now() - wall;
    expect(n).toBe(7);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(5000);
  });
  it("refuses an unknown unit model", () => {
    expect(() => [...bleAdverts({ unit: "igloo", startMs: T0, durationMs: MIN, sensors: [] })]).toThrow(
      /unknown unit model/,
    );
  });
});
