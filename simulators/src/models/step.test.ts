import { describe, expect, it } from "vitest";
import { chestFreezer } from "./chest-freezer.js";
import { coolBag } from "./cool-bag.js";
import type { UnitEvent } from "./events.js";
import { fridge } from "./fridge.js";
import { HUMAN_MILK, liquidFractionOf, massAt } from "./phase-change.js";
import { findUnitModel } from "./registry.js";
import { createUnitState, step, type UnitOptions, type UnitState } from "./step.js";
import type { UnitModel } from "./unit-model.js";
import { uprightFreezer } from "./upright-freezer.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** A unit that has run for 6 h so its compressor cycle is established. */
function settled(model: UnitModel, options: UnitOptions = {}): UnitState {
  return step(createUnitState(model, options), 6 * HOUR);
}

/** Samples the unit every `everyMs` for `forMs`. */
function trace(s0: UnitState, forMs: number, everyMs: number, events: UnitEvent[] = []): UnitState[] {
  const out: UnitState[] = [];
  let s = step(s0, 0, events);
  for (let t = 0; t < forMs; t += everyMs) {
    s = step(s, everyMs);
    out.push(s);
  }
  return out;
}

const hoursUntil = (states: UnitState[], t0Ms: number, pred: (s: UnitState) => boolean): number => {
  const hit = states.find(pred);
  return hit ? (hit.tMs - t0Ms) / HOUR : Number.POSITIVE_INFINITY;
};

describe("home freezer, steady running", () => {
  it("cycles the air around −20…−18 °C and keeps the milk at about −19 °C", () => {
    const states = trace(settled(chestFreezer), 24 * HOUR, MIN);
    const air = states.map((s) => s.airC);
    expect(Math.min(...air)).toBeGreaterThan(-21.5);
    expect(Math.max(...air)).toBeLessThan(-17.5);
    for (const s of states) expect(s.milkC).toBeLessThan(-18.5);
    const switchesAtMs = states
      .filter((s, i) => i > 0 && s.compressorOn !== states[i - 1]?.compressorOn)
      .map((s) => s.tMs);
    expect(switchesAtMs.length).toBeGreaterThan(20); // it does cycle …
    // … but never runs or rests for less than the 5 min anti-short-cycle minimum.
    for (let i = 1; i < switchesAtMs.length; i++) {
      expect(switchesAtMs[i]! - switchesAtMs[i - 1]!).toBeGreaterThanOrEqual(5 * MIN);
    }
  });

  it("an upright runs a defrost every 12 h: a brief rise of a few degrees, under −18 °C again within 30 min", () => {
    const s0 = settled(uprightFreezer);
    const states = trace(s0, 2 * HOUR, 10_000, [{ kind: "defrost" }]);
    const peak = Math.max(...states.map((s) => s.airC));
    expect(peak).toBeGreaterThan(s0.airC + 3);
    expect(peak).toBeLessThan(-8);
    let run = 0;
    let longest = 0;
    for (const s of states) {
      run = s.airC > -18 ? run + 10_000 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThan(5 * MIN);
    expect(longest).toBeLessThan(30 * MIN); // the home-freezer profile's excursion limit (DESIGN.md)
    expect(Math.max(...states.map((s) => s.milkC)) - s0.milkC).toBeLessThan(0.5);
    // Scheduled defrosts: after 12 h and 24 h 15 min of powered running (the defrost itself not counted).
    const day = trace(createUnitState(uprightFreezer), 25 * HOUR, MIN);
    const starts = day.filter(
      (s, i) => i > 0 && s.defrostUntilMs > s.tMs && !(day[i - 1]!.defrostUntilMs > day[i - 1]!.tMs),
    );
    expect(starts.map((s) => (s.defrostUntilMs - 15 * MIN) / MIN)).toEqual([12 * 60, 24 * 60 + 15]);
  });
});

describe("power cut with the door closed (USDA FSIS: full ~48 h, half-full ~24 h)", () => {
  for (const model of [uprightFreezer, chestFreezer]) {
    it(`${model.id}: air warms monotonically and the milk reaches −1 °C after about 48 h full, 24 h half-full`, () => {
      const full0 = settled(model, { loadFraction: 1 });
      const full = trace(full0, 72 * HOUR, 5 * MIN, [{ kind: "power-cut" }]);
      for (let i = 1; i < full.length; i++)
        expect(full[i]!.airC).toBeGreaterThanOrEqual(full[i - 1]!.airC - 1e-9);
      const fullH = hoursUntil(full, full0.tMs, (s) => s.milkC >= -1);
      expect(fullH).toBeGreaterThan(40);
      expect(fullH).toBeLessThan(56);

      const half0 = settled(model, { loadFraction: 0.5 });
      const half = trace(half0, 48 * HOUR, 5 * MIN, [{ kind: "power-cut" }]);
      const halfH = hoursUntil(half, half0.tMs, (s) => s.milkC >= -1);
      expect(halfH).toBeGreaterThan(18);
      expect(halfH).toBeLessThan(30);
      // The air gets there first: it leads the milk.
      expect(hoursUntil(full, full0.tMs, (s) => s.airC >= -1)).toBeLessThan(fullH);
    });
  }

  it("after the power returns the freezer cools back: air under −18 °C within 2 h, milk back under −18 °C within 24 h", () => {
    const cut = step(step(settled(uprightFreezer), 0, [{ kind: "power-cut" }]), 30 * HOUR);
    expect(cut.airC).toBeGreaterThan(-10);
    const restored = trace(cut, 24 * HOUR, 5 * MIN, [{ kind: "power-restore" }]);
    expect(hoursUntil(restored, cut.tMs, (s) => s.airC < -18)).toBeLessThan(2);
    expect(restored.at(-1)!.milkC).toBeLessThan(-18);
    // The milk cools steadily once the compressor runs (after it catches up with the air).
    const at6h = restored[6 * 12 - 1]!;
    expect(at6h.milkC).toBeLessThan(cut.milkC - 5);
  });

  it("a fridge's milk passes 4.4 °C (40 °F) after about 4 h (USDA FSIS)", () => {
    const s0 = settled(fridge);
    expect(s0.milkC).toBeLessThan(4);
    const states = trace(s0, 12 * HOUR, MIN, [{ kind: "power-cut" }]);
    const h = hoursUntil(states, s0.tMs, (s) => s.milkC > 4.4);
    expect(h).toBeGreaterThan(2.5);
    expect(h).toBeLessThan(6);
  });
});

describe("door openings", () => {
  it("a 30 s opening of an upright: air spikes several degrees for minutes, the milk warms < 0.5 °C", () => {
    const s0 = settled(uprightFreezer);
    const states = trace(s0, HOUR, 10_000, [{ kind: "door-open", durationMs: 30_000 }]);
    const peak = Math.max(...states.map((s) => s.airC));
    expect(peak - s0.airC).toBeGreaterThan(4);
    const elevatedMs = states.filter((s) => s.airC > s0.airC + 1).length * 10_000;
    expect(elevatedMs).toBeGreaterThan(2 * MIN);
    expect(elevatedMs).toBeLessThan(20 * MIN);
    const milkRise = Math.max(...states.map((s) => s.milkC)) - s0.milkC;
    expect(milkRise).toBeGreaterThan(0);
    expect(milkRise).toBeLessThan(0.5);
  });

  it("a chest freezer's lid lets out less cold air than an upright's door", () => {
    const spike = (m: UnitModel) => {
      const s0 = settled(m);
      return (
        Math.max(
          ...trace(s0, 20 * MIN, 10_000, [{ kind: "door-open", durationMs: 30_000 }]).map((s) => s.airC),
        ) - s0.airC
      );
    };
    expect(spike(chestFreezer)).toBeLessThan(spike(uprightFreezer) / 2);
  });

  it("a door left ajar overwhelms the compressor: air stays above −18 °C for hours and the milk follows", () => {
    const s0 = settled(uprightFreezer);
    const states = trace(s0, 12 * HOUR, 5 * MIN, [{ kind: "door-ajar" }]);
    const after1h = states.slice(12);
    for (const s of after1h) expect(s.airC).toBeGreaterThan(-18);
    expect(states.at(-1)!.milkC).toBeGreaterThan(-10);
    // Closing it lets the freezer recover.
    const closed = step(states.at(-1)!, 6 * HOUR, [{ kind: "door-close" }]);
    expect(closed.airC).toBeLessThan(-18);
  });
});

describe("cool bag with ice packs (CDC: up to 24 h, RULES.md CB-1)", () => {
  it("frozen milk leaves −1 °C after hours, not minutes", () => {
    const s0 = createUnitState(coolBag, { milkC: -18, airC: 21 });
    const h = hoursUntil(trace(s0, 24 * HOUR, MIN), 0, (s) => s.milkC > -1);
    expect(h).toBeGreaterThan(2);
    expect(h).toBeLessThan(8);
  });

  it("chilled milk stays ≤ 4 °C for most of a day, then crosses it", () => {
    const s0 = createUnitState(coolBag, { milkC: 3, airC: 21 });
    const h = hoursUntil(trace(s0, 48 * HOUR, 5 * MIN), 0, (s) => s.milkC > 4);
    expect(h).toBeGreaterThan(12);
    expect(h).toBeLessThan(36);
  });

  it("without ice packs chilled milk warms past 4 °C far sooner", () => {
    const withIce = hoursUntil(
      trace(createUnitState(coolBag, { milkC: 3, airC: 21 }), 48 * HOUR, MIN),
      0,
      (s) => s.milkC > 4,
    );
    const noIce = hoursUntil(
      trace(createUnitState(coolBag, { milkC: 3, airC: 21, loadFraction: 0 }), 48 * HOUR, MIN),
      0,
      (s) => s.milkC > 4,
    );
    expect(noIce).toBeLessThan(withIce / 10);
  });
});

describe("the milk's own temperature", () => {
  it("lags the air and sits on a latent-heat plateau at −0.54 °C while it thaws", () => {
    const s0 = createUnitState(coolBag, { milkC: -18, airC: 21, loadFraction: 0 });
    const states = trace(s0, 24 * HOUR, MIN);
    expect(states[10]!.airC).toBeGreaterThan(states[10]!.milkC + 20); // air leads by far
    const thawing = states.filter(
      (s) => s.milk && liquidFractionOf(s.milk) > 0.05 && liquidFractionOf(s.milk) < 0.95,
    );
    expect(thawing.length * MIN).toBeGreaterThan(2 * HOUR);
    for (const s of thawing) expect(s.milkC).toBe(HUMAN_MILK.freezingPointC);
  });

  it("milk moved between units keeps its enthalpy", () => {
    const bag = createUnitState(coolBag, { milkC: null });
    expect(bag.milkC).toBeNaN();
    const moved = step(bag, 0, [{ kind: "milk-in", milk: massAt(HUMAN_MILK, 1.2, -12) }]);
    expect(moved.milkC).toBeCloseTo(-12, 9);
    expect(step(moved, 0, [{ kind: "milk-out" }]).milkC).toBeNaN();
  });
});

describe("step", () => {
  it("is pure: the input state is not changed", () => {
    const s0 = settled(uprightFreezer);
    const snapshot = structuredClone({ ...s0, model: undefined });
    step(s0, HOUR, [{ kind: "power-cut" }, { kind: "door-open", durationMs: 60_000 }]);
    expect({ ...s0, model: undefined }).toEqual(snapshot);
  });

  it("does not depend on how time is cut into steps", () => {
    const s0 = step(settled(uprightFreezer), 0, [{ kind: "power-cut" }]);
    const once = step(s0, 6 * HOUR);
    let many = s0;
    for (let i = 0; i < 6 * 60; i++) many = step(many, MIN);
    expect(many.airC).toBeCloseTo(once.airC, 6);
    expect(many.milkC).toBeCloseTo(once.milkC, 6);
  });

  it("refuses a negative or NaN time step", () => {
    const s0 = createUnitState(fridge);
    expect(() => step(s0, -1)).toThrow(/dtMs must be a number ≥ 0, got -1/);
    expect(() => step(s0, Number.NaN)).toThrow(/got NaN/);
  });

  it("the registry finds every model and names the choices for an unknown one", () => {
    expect(findUnitModel("fridge")).toEqual({ ok: true, model: fridge });
    expect(findUnitModel("igloo")).toEqual({
      ok: false,
      reason: 'unknown unit model "igloo": use one of upright-freezer, chest-freezer, fridge, cool-bag',
    });
  });
});
