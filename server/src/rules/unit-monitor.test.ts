import { describe, expect, it } from "vitest";
import { PROFILES } from "./profiles/registry.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, piecewise, ramp, series } from "./synthetic-readings.js";
import { createUnitMonitor, type MonitorEvent } from "./unit-monitor.js";

const T0 = Date.UTC(2026, 4, 1);
const kinds = (events: MonitorEvent[]) => events.map((e) => e.kind);

describe("createUnitMonitor", () => {
  it("reports one excursion for readings wobbling around −18 °C, with its start and end", () => {
    const m = createUnitMonitor(PROFILES["home-freezer"], { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    const wobble = piecewise(
      [
        {
          fromMs: T0 + HOUR_MS,
          toMs: T0 + 3 * HOUR_MS,
          tempAt: (t) => ((t / MINUTE_MS) % 2 === 0 ? -17.9 : -18.2),
        },
      ],
      () => -20,
    );
    const events = m.push(series(T0, T0 + 4 * HOUR_MS, MINUTE_MS, wobble));
    // RULES.md §3 "Duration is time above the line": every other minute is above −18 °C, so the
    // 31st minute above the line comes 61 min in (it was 31 min when hysteresis time counted).
    expect(events).toEqual([
      { kind: "excursion-started", rule: "high", fromMs: T0 + HOUR_MS, atMs: T0 + HOUR_MS + 61 * MINUTE_MS },
      { kind: "excursion-ended", rule: "high", fromMs: T0 + HOUR_MS, toMs: T0 + 3 * HOUR_MS, peakC: -17.9 },
    ]);
  });

  it("without hysteresis the same wobble would open and close a run every two minutes", () => {
    const noHysteresis = {
      ...PROFILES["home-freezer"],
      high: { ...PROFILES["home-freezer"].high, clearC: -18 },
    };
    const m = createUnitMonitor(noHysteresis, { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    const wobble = (t: number) => ((t / MINUTE_MS) % 2 === 0 ? -17.9 : -18.2);
    // Each run lasts one minute, so none is an excursion: the wobble would go unreported.
    expect(m.push(series(T0, T0 + 2 * HOUR_MS, MINUTE_MS, wobble))).toEqual([]);
  });

  it("a tick confirms an excursion that is still going on, and reports silence once", () => {
    const m = createUnitMonitor(PROFILES["home-freezer"], { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    expect(m.push(series(T0, T0 + 10 * MINUTE_MS, MINUTE_MS, () => -20))).toEqual([]);
    expect(m.push([{ tsMs: T0 + 10 * MINUTE_MS, tempC: -12 }])).toEqual([]);
    expect(m.tick(T0 + 30 * MINUTE_MS)).toEqual([{ kind: "gap", fromMs: T0 + 10 * MINUTE_MS, toMs: null }]);
    expect(m.tick(T0 + 35 * MINUTE_MS)).toEqual([]);
    expect(m.tick(T0 + 41 * MINUTE_MS)).toEqual([
      { kind: "excursion-started", rule: "high", fromMs: T0 + 10 * MINUTE_MS, atMs: T0 + 41 * MINUTE_MS },
    ]);
    expect(m.push([{ tsMs: T0 + 50 * MINUTE_MS, tempC: -20 }])).toEqual([
      { kind: "gap", fromMs: T0 + 10 * MINUTE_MS, toMs: T0 + 50 * MINUTE_MS },
      {
        kind: "excursion-ended",
        rule: "high",
        fromMs: T0 + 10 * MINUTE_MS,
        toMs: T0 + 50 * MINUTE_MS,
        peakC: -12,
      },
    ]);
  });

  it("reports readings older than its watermark as late, and ignores exact redeliveries", () => {
    const m = createUnitMonitor(PROFILES.fridge, { expectedIntervalMs: MINUTE_MS });
    m.push(series(T0, T0 + 5 * MINUTE_MS, MINUTE_MS, () => 3));
    expect(m.watermarkMs()).toBe(T0 + 4 * MINUTE_MS);
    expect(m.push([{ tsMs: T0 + 4 * MINUTE_MS, tempC: 3 }])).toEqual([]);
    expect(
      m.push([
        { tsMs: T0 + 2 * MINUTE_MS + 30_000, tempC: 3 },
        { tsMs: T0 + 5 * MINUTE_MS, tempC: 3 },
      ]),
    ).toEqual([
      {
        kind: "late",
        readings: [{ tsMs: T0 + 2 * MINUTE_MS + 30_000, tempC: 3 }],
        watermarkMs: T0 + 5 * MINUTE_MS,
      },
    ]);
    expect(m.push([{ tsMs: T0 + 5 * MINUTE_MS, tempC: 3.5 }])).toEqual([
      { kind: "late", readings: [{ tsMs: T0 + 5 * MINUTE_MS, tempC: 3.5 }], watermarkMs: T0 + 5 * MINUTE_MS },
    ]);
  });

  it("reports a power cut as excursion, probable thaw and refreeze", () => {
    const m = createUnitMonitor(PROFILES["home-freezer"], { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    const cut = piecewise(
      [
        {
          fromMs: T0 + HOUR_MS,
          toMs: T0 + 11 * HOUR_MS,
          tempAt: ramp(T0 + HOUR_MS, T0 + 11 * HOUR_MS, -20, 5),
        },
        {
          fromMs: T0 + 11 * HOUR_MS,
          toMs: T0 + 13 * HOUR_MS,
          tempAt: ramp(T0 + 11 * HOUR_MS, T0 + 13 * HOUR_MS, 5, -20),
        },
      ],
      // A working freezer cycles; a value flat for 6 h would be a stuck probe.
      (t) => -20 - 0.0625 * (Math.floor(t / (7 * MINUTE_MS)) % 2),
    );
    const events = m.push(series(T0, T0 + DAY_MS, MINUTE_MS, cut));
    expect(kinds(events)).toEqual([
      "excursion-started",
      "thawing",
      "probable-thaw",
      "refreeze",
      "excursion-ended",
    ]);
    expect(m.milk().state).toBe("frozen");
  });

  it("reports sensor faults and keeps them out of excursions", () => {
    const m = createUnitMonitor(PROFILES["home-freezer"], { expectedIntervalMs: MINUTE_MS });
    const events = m.push([
      { tsMs: T0, tempC: -20 },
      { tsMs: T0 + MINUTE_MS, tempC: 6553.5 },
      { tsMs: T0 + 2 * MINUTE_MS, tempC: 85 },
      { tsMs: T0 + 3 * MINUTE_MS, tempC: 60 },
      { tsMs: T0 + 4 * MINUTE_MS, tempC: -20 },
    ]);
    expect(events).toEqual([
      { kind: "sensor-fault", tsMs: T0 + MINUTE_MS, tempC: 6553.5, fault: "out-of-range" },
      { kind: "sensor-fault", tsMs: T0 + 2 * MINUTE_MS, tempC: 85, fault: "sentinel" },
      { kind: "sensor-fault", tsMs: T0 + 3 * MINUTE_MS, tempC: 60, fault: "jump" },
      { kind: "gap", fromMs: T0, toMs: T0 + 4 * MINUTE_MS },
    ]);
  });

  it("accepts a real change of level from its second reading on", () => {
    const m = createUnitMonitor(PROFILES.fridge, { expectedIntervalMs: MINUTE_MS });
    const events = m.push([
      { tsMs: T0, tempC: 3 },
      { tsMs: T0 + MINUTE_MS, tempC: 30 },
      { tsMs: T0 + 2 * MINUTE_MS, tempC: 30 },
    ]);
    expect(events).toEqual([
      { kind: "sensor-fault", tsMs: T0 + MINUTE_MS, tempC: 30, fault: "jump" },
      { kind: "gap", fromMs: T0, toMs: T0 + 2 * MINUTE_MS },
    ]);
    expect(m.state().lastTempC).toBe(30);
  });

  it("a saved state survives JSON and continues exactly where it stopped", () => {
    const readings = series(T0, T0 + 6 * HOUR_MS, MINUTE_MS, (t) =>
      t > T0 + 2 * HOUR_MS && t < T0 + 3 * HOUR_MS ? -12 : -20,
    );
    const whole = createUnitMonitor(PROFILES["home-freezer"], { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    const expected = whole.push(readings);
    const first = createUnitMonitor(PROFILES["home-freezer"], { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    const a = first.push(readings.slice(0, 150));
    const second = createUnitMonitor(PROFILES["home-freezer"], JSON.parse(JSON.stringify(first.state())));
    const b = second.push(readings.slice(150));
    expect([...a, ...b]).toEqual(expected);
    expect(second.state()).toEqual(whole.state());
  });
});

describe("createUnitMonitor: probe faults a person can act on", () => {
  it("reports a probe stuck on one value for 6 h once, from when the value first appeared", () => {
    const m = createUnitMonitor(PROFILES["home-freezer"], { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    const events = m.push(series(T0, T0 + 8 * HOUR_MS, MINUTE_MS, () => -19));
    const stuck = events.filter((e) => e.kind === "sensor-fault");
    // Known stuck at T0+6h; each identical reading after is a fault too (keeps the alert open).
    expect(stuck[0]).toEqual({
      kind: "sensor-fault",
      tsMs: T0 + 6 * HOUR_MS,
      tempC: -19,
      fault: "stuck",
      fromMs: T0,
    });
    expect(stuck).toHaveLength(2 * 60);
    expect(kinds(events).filter((k) => k.startsWith("excursion"))).toEqual([]);
    // The value moves again: accepted, and the stretch ends.
    expect(m.push([{ tsMs: T0 + 8 * HOUR_MS, tempC: -19.0625 }]).map((e) => e.kind)).toEqual(["gap"]);
    expect(m.push([{ tsMs: T0 + 8 * HOUR_MS + MINUTE_MS, tempC: -19 }])).toEqual([]);
  });

  it("a unit can lengthen the stuck window (sensor.stuckMin)", () => {
    const profile = {
      ...PROFILES["milk-bank-freezer"],
      sensor: { ...PROFILES["milk-bank-freezer"].sensor, stuckMin: 24 * 60 },
    };
    const m = createUnitMonitor(profile, { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    expect(m.push(series(T0, T0 + 20 * HOUR_MS, MINUTE_MS, () => -25))).toEqual([]);
  });

  it("a one-minute 4.1 °C reading in a fridge holding 3.6–4.0 °C never becomes an excursion", () => {
    const m = createUnitMonitor(PROFILES.fridge, { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    const readings = series(T0, T0 + 3 * DAY_MS, MINUTE_MS, (t) =>
      t === T0 + HOUR_MS ? 4.1 : 3.6 + 0.1 * (Math.floor(t / (5 * MINUTE_MS)) % 5),
    );
    expect(m.push(readings)).toEqual([]);
    expect(m.tick(T0 + 3 * DAY_MS)).toEqual([]);
    // The run stays open (hysteresis, for the alert) but holds only the one minute above 4 °C.
    expect(m.state().high).toMatchObject({ startMs: T0 + HOUR_MS, confirmed: false, aboveMs: MINUTE_MS });
  });

  describe("a confirmed excursion ends after clearAfterMin back inside the line, even within the hysteresis band", () => {
    /** A fridge at 6 °C from 1 h to 1 h 45 min, then settled at 3.6–4.0 °C (never ≤ 3.5 °C). */
    const warmTo = T0 + HOUR_MS + 45 * MINUTE_MS;
    const settled = (t: number) => 3.6 + 0.1 * (Math.floor(t / (5 * MINUTE_MS)) % 5);
    const afterWarm = piecewise([{ fromMs: T0 + HOUR_MS, toMs: warmTo, tempAt: () => 6 }], settled);

    it("ends 30 min after the first reading back at 4 °C or below, dated from that reading", () => {
      const m = createUnitMonitor(PROFILES.fridge, { expectedIntervalMs: MINUTE_MS, startMs: T0 });
      const events = m.push(series(T0, T0 + 6 * HOUR_MS, MINUTE_MS, afterWarm));
      expect(events).toEqual([
        {
          kind: "excursion-started",
          rule: "high",
          fromMs: T0 + HOUR_MS,
          atMs: T0 + HOUR_MS + 31 * MINUTE_MS,
        },
        { kind: "excursion-ended", rule: "high", fromMs: T0 + HOUR_MS, toMs: warmTo, peakC: 6 },
      ]);
      expect(m.state().high).toBeNull();
    });

    it("the 30 min start again at a reading beyond the line", () => {
      const m = createUnitMonitor(PROFILES.fridge, { expectedIntervalMs: MINUTE_MS, startMs: T0 });
      const blip = warmTo + 20 * MINUTE_MS;
      const events = m.push(
        series(T0, T0 + 6 * HOUR_MS, MINUTE_MS, (t) => (t === blip ? 4.2 : afterWarm(t))),
      );
      expect(events.filter((e) => e.kind === "excursion-ended")).toEqual([
        { kind: "excursion-ended", rule: "high", fromMs: T0 + HOUR_MS, toMs: blip + MINUTE_MS, peakC: 6 },
      ]);
    });

    it("a gap starts them again: nobody saw the air meanwhile", () => {
      const m = createUnitMonitor(PROFILES.fridge, { expectedIntervalMs: MINUTE_MS, startMs: T0 });
      const before = series(T0, warmTo + 20 * MINUTE_MS, MINUTE_MS, afterWarm);
      const resume = warmTo + 60 * MINUTE_MS;
      m.push(before);
      const events = m.push(series(resume, T0 + 6 * HOUR_MS, MINUTE_MS, afterWarm));
      expect(events.filter((e) => e.kind === "excursion-ended")).toEqual([
        { kind: "excursion-ended", rule: "high", fromMs: T0 + HOUR_MS, toMs: resume, peakC: 6 },
      ]);
    });

    it("a run not yet confirmed is not ended this way: its minutes beyond the line keep adding up", () => {
      const m = createUnitMonitor(PROFILES.fridge, { expectedIntervalMs: MINUTE_MS, startMs: T0 });
      // 20 min at 6 °C, 2 h settled at 3.6–4.0 °C, 20 min at 6 °C again: 40 min above 4 °C in one run.
      const twice = piecewise(
        [
          { fromMs: T0 + HOUR_MS, toMs: T0 + HOUR_MS + 20 * MINUTE_MS, tempAt: () => 6 },
          {
            fromMs: T0 + 3 * HOUR_MS + 20 * MINUTE_MS,
            toMs: T0 + 3 * HOUR_MS + 40 * MINUTE_MS,
            tempAt: () => 6,
          },
        ],
        settled,
      );
      const events = m.push(series(T0, T0 + 4 * HOUR_MS, MINUTE_MS, twice));
      expect(events).toEqual([
        {
          kind: "excursion-started",
          rule: "high",
          fromMs: T0 + HOUR_MS,
          atMs: T0 + 3 * HOUR_MS + 31 * MINUTE_MS,
        },
      ]);
    });

    it("a freezing fridge's excursion ends the same way (low rule)", () => {
      const m = createUnitMonitor(PROFILES.fridge, { expectedIntervalMs: MINUTE_MS, startMs: T0 });
      const coldTo = T0 + HOUR_MS + 45 * MINUTE_MS;
      // Back to 0.2–0.4 °C: above 0 °C, never at the 0.5 °C clear line.
      const cold = piecewise([{ fromMs: T0 + HOUR_MS, toMs: coldTo, tempAt: () => -2 }], (t) =>
        t < T0 + HOUR_MS ? 2 : 0.2 + 0.1 * (Math.floor(t / (5 * MINUTE_MS)) % 3),
      );
      const ended = m
        .push(series(T0, T0 + 6 * HOUR_MS, MINUTE_MS, cold))
        .filter((e) => e.kind === "excursion-ended");
      expect(ended).toEqual([
        { kind: "excursion-ended", rule: "low", fromMs: T0 + HOUR_MS, toMs: coldTo, peakC: -2 },
      ]);
    });
  });

  it("takes over a state saved before runs counted time above the line", () => {
    const m = createUnitMonitor(PROFILES["home-freezer"], { expectedIntervalMs: MINUTE_MS, startMs: T0 });
    m.push(series(T0, T0 + 20 * MINUTE_MS, MINUTE_MS, () => -12));
    const old = JSON.parse(JSON.stringify(m.state()));
    delete old.high.aboveMs;
    const m2 = createUnitMonitor(PROFILES["home-freezer"], old);
    expect(
      m2.push(series(T0 + 20 * MINUTE_MS, T0 + 32 * MINUTE_MS, MINUTE_MS, () => -12)).map((e) => e.kind),
    ).toEqual(["excursion-started"]);
  });
});
