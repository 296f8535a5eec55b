import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeReadingsPayload, PROTOCOL_LIMITS } from "@coldtrail/firmware-bridge/protocol";
import { describe, expect, it } from "vitest";
import { parseScenario, type Scenario } from "./scenario.js";
import { scenarioStartMs, simulateScenario } from "./simulate.js";

const EXAMPLES = join(import.meta.dirname, "examples");
const T0 = Date.UTC(2026, 4, 1, 0, 0, 0);
const MIN = 60_000;

function load(name: string): Scenario {
  const r = parseScenario(JSON.parse(readFileSync(join(EXAMPLES, name), "utf8")));
  if (!r.ok) throw new Error(r.reason);
  return r.scenario;
}

describe("example scenarios", () => {
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith(".json"))) {
    it(`${file}: parses, and every message it produces passes the protocol's decoder`, () => {
      const s = load(file);
      const r = simulateScenario(s, T0);
      expect(r.messages.length).toBeGreaterThan(0);
      for (const m of r.messages) {
        const d = decodeReadingsPayload(new TextEncoder().encode(JSON.stringify(m.payload)));
        expect(d.ok, d.ok ? "" : `${file}: ${d.message}`).toBe(true);
        for (const reading of m.payload.readings) {
          expect(reading.ts!).toBeGreaterThanOrEqual(T0 - PROTOCOL_LIMITS.maxFutureSkewMs);
          expect(reading.ts!).toBeLessThanOrEqual(r.endMs + PROTOCOL_LIMITS.maxFutureSkewMs);
        }
      }
    });
  }

  it("power cut: the probe replays 30 h of buffered readings in batches ≤ 500 when the Wi-Fi returns", () => {
    const r = simulateScenario(load("power-cut-full-freezer.json"), T0);
    const replay = r.messages.filter((m) => m.payload.readings.length > 1);
    // One reading a minute from minute 120 to 1921: 1801 readings, oldest first.
    expect(replay.map((m) => m.payload.readings.length)).toEqual([500, 500, 500, 301]);
    expect(replay[0]!.sentAtMs).toBe(T0 + 1921 * MIN);
    const seqs = r.messages.flatMap((m) => m.payload.readings.map((x) => x.seq));
    expect(seqs).toEqual(Array.from({ length: 48 * 60 }, (_, i) => i));
    // The milk warmed but stayed frozen (USDA: a full freezer holds ~48 h).
    const maxMilk = Math.max(...r.trace.map((t) => t.milkC));
    expect(maxMilk).toBeGreaterThan(-12);
    expect(maxMilk).toBeLessThan(-2);
  });

  it("normal day: air never above −18 °C for 30 min, milk stays ≤ −18 °C", () => {
    const r = simulateScenario(load("normal-day.json"), T0);
    let run = 0;
    let longest = 0;
    for (const t of r.trace) {
      run = t.airC > -18 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThan(0); // door openings and defrosts do show
    expect(longest).toBeLessThan(30);
    expect(Math.max(...r.trace.map((t) => t.milkC))).toBeLessThan(-18);
  });

  it("cool-bag trip: the milk moves with its temperature and never thaws", () => {
    const r = simulateScenario(load("cool-bag-trip.json"), T0);
    const bag = r.trace.filter((t) => t.unit === "bag" && !Number.isNaN(t.milkC));
    expect(bag.length).toBeGreaterThan(100);
    expect(bag[0]!.milkC).toBeLessThan(-18);
    expect(Math.max(...bag.map((t) => t.milkC))).toBeLessThan(-4);
    const recipient = r.trace.filter((t) => t.unit === "recipient");
    expect(recipient.at(-1)!.milkC).toBeLessThan(-10);
    expect(
      r.trace.filter((t) => t.unit === "donor" && t.tMs > T0 + 7 * MIN).every((t) => Number.isNaN(t.milkC)),
    ).toBe(true);
  });
});

describe("determinism", () => {
  it("the same seed gives the same messages; another seed gives others", () => {
    const s = load("normal-day.json");
    const a = simulateScenario(s, T0);
    expect(simulateScenario(s, T0)).toEqual(a);
    const b = simulateScenario({ ...s, seed: s.seed + 1 }, T0);
    expect(b.messages).not.toEqual(a.messages);
  });
});

describe("scenario validation", () => {
  const base = {
    name: "x",
    durationH: 1,
    units: [{ id: "f", model: "fridge" }],
    probes: [{ id: "p-1", unit: "f" }],
  };

  it("fills defaults", () => {
    const r = parseScenario(base);
    expect(r.ok && r.scenario.seed).toBe(1);
    expect(r.ok && r.scenario.probes[0]!.intervalS).toBe(60);
  });

  it("refuses unknown models, references and bad probe ids, naming them", () => {
    expect(parseScenario({ ...base, units: [{ id: "f", model: "igloo" }] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^scenario is not valid: units\.0\.model: /),
    });
    expect(parseScenario({ ...base, probes: [{ id: "p-1", unit: "nope" }] })).toEqual({
      ok: false,
      reason: 'probes.p-1: unknown unit "nope"',
    });
    expect(parseScenario({ ...base, probes: [{ id: "p/1", unit: "f" }] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining("probe id must be 3-64 characters"),
    });
    expect(parseScenario({ ...base, events: [{ atMin: 5, kind: "wifi-loss", probe: "ghost" }] })).toEqual({
      ok: false,
      reason: 'events.0: unknown probe "ghost"',
    });
    expect(parseScenario({ ...base, events: [{ atMin: 500, kind: "power-cut", unit: "f" }] })).toEqual({
      ok: false,
      reason: "events.0: atMin 500 is after the scenario's end (60 min)",
    });
    expect(parseScenario({ ...base, events: [{ atMin: 5, kind: "explode", unit: "f" }] }).ok).toBe(false);
  });

  it("starts so that the last reading is in the past unless a start is given", () => {
    const r = parseScenario(base);
    if (!r.ok) throw new Error(r.reason);
    expect(scenarioStartMs(r.scenario, T0)).toBe(T0 - 61 * MIN);
    expect(scenarioStartMs({ ...r.scenario, start: "2026-05-03T14:00:00Z" }, T0)).toBe(
      Date.UTC(2026, 4, 3, 14),
    );
  });
});
