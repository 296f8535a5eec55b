import { describe, expect, it } from "vitest";
import { excursionDetector } from "./excursion.js";
import { createTestContext, MIN, monitorFor, T0, unitRecord } from "./test-context.js";

describe("excursion detector", () => {
  it("raises a critical alert when the monitor confirms a warm run and clears it when the run ends", () => {
    const unit = unitRecord("u_1", { name: "Donor freezer" });
    const t = createTestContext({ units: [unit], batches: { u_1: ["b_1"] } });
    const d = excursionDetector();
    const { monitor, profile } = monitorFor(unit);
    const feed = (events: ReturnType<typeof monitor.push>, nowMs: number, lastTempC: number) =>
      events.flatMap((event) => t.call(d, "onMonitorEvent", { unit, profile, lastTempC, event, nowMs }));

    // −20 °C for 40 min, then the door open: −12.5 °C. Warm for 30 min is not yet an excursion.
    const cold = Array.from({ length: 40 }, (_, i) => ({ tsMs: T0 + i * MIN, tempC: -20 }));
    const warm = Array.from({ length: 32 }, (_, i) => ({ tsMs: T0 + (40 + i) * MIN, tempC: -12.5 }));
    expect(feed(monitor.push(cold), T0 + 39 * MIN, -20)).toEqual([]);
    expect(feed(monitor.push(warm.slice(0, 30)), T0 + 69 * MIN, -12.5)).toEqual([]);
    const raised = feed(monitor.push(warm.slice(30)), T0 + 71 * MIN, -12.5);
    expect(raised).toEqual([
      {
        op: "raise",
        key: { kind: "excursion", subject: { type: "unit", unitId: "u_1" } },
        kind: "excursion",
        subject: "unit:u_1",
        severity: "critical",
        title: "Freezer too warm: Donor freezer",
        message:
          '"Donor freezer" has been warmer than −18 °C since 3 May 2026, 12:40 UTC (last reading −12.5 °C), for more than 30 minutes. ' +
          "Check that the door is shut and the freezer is running; if it does not cool down within the hour, move the milk to a working freezer. " +
          "Open the unit's page to see which batches are affected.",
        ownerId: "donor-1",
        unitId: "u_1",
        unitName: "Donor freezer",
        probeId: null,
        batchIds: ["b_1"],
        details: {
          rule: "high",
          profile: "home-freezer",
          limitC: -18,
          forMin: 30,
          from: "2026-05-03T12:40:00.000Z",
          confirmedAt: "2026-05-03T13:11:00.000Z",
          lastC: -12.5,
        },
        startedMs: T0 + 40 * MIN,
        atMs: T0 + 71 * MIN,
      },
    ]);
    expect(t.active.has({ kind: "excursion", subject: { type: "unit", unitId: "u_1" } })).toBe(true);

    const back = Array.from({ length: 3 }, (_, i) => ({ tsMs: T0 + (72 + i) * MIN, tempC: -20 }));
    expect(feed(monitor.push(back), T0 + 74 * MIN, -20)).toEqual([
      {
        op: "clear",
        key: { kind: "excursion", subject: { type: "unit", unitId: "u_1" } },
        kind: "excursion",
        subject: "unit:u_1",
        atMs: T0 + 74 * MIN,
        message:
          'Back to normal: "Donor freezer" was out of range from 3 May 2026, 12:40 UTC to 3 May 2026, 13:12 UTC ' +
          "(32 minutes, warmest −12.5 °C). Check the verdict of each batch that was inside before it is used.",
        details: { to: "2026-05-03T13:12:00.000Z", peakC: -12.5, minutes: 32 },
      },
    ]);
    expect(t.active.subjects("excursion")).toEqual([]);
  });

  it("names the low limit of a fridge that is freezing the milk", () => {
    const unit = unitRecord("u_f", {
      name: "Bank fridge",
      kind: "fridge",
      site: "milk-bank",
      profile: "fridge",
    });
    const t = createTestContext({ units: [unit] });
    const d = excursionDetector();
    const { monitor, profile } = monitorFor(unit);
    const readings = [
      ...Array.from({ length: 10 }, (_, i) => ({ tsMs: T0 + i * MIN, tempC: 3 })),
      ...Array.from({ length: 40 }, (_, i) => ({ tsMs: T0 + (10 + i) * MIN, tempC: -1.5 })),
    ];
    const intents = monitor
      .push(readings)
      .flatMap((event) =>
        t.call(d, "onMonitorEvent", { unit, profile, lastTempC: -1.5, event, nowMs: T0 + 50 * MIN }),
      );
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({
      op: "raise",
      key: { kind: "excursion", subject: { type: "unit", unitId: "u_f" } },
      title: "Fridge too cold: Bank fridge",
      message:
        '"Bank fridge" has been colder than 0 °C since 3 May 2026, 12:10 UTC (last reading −1.5 °C), for more than 30 minutes: ' +
        "milk kept liquid there may be freezing. Check the thermostat setting and that nothing blocks the air vent; " +
        "open the unit's page to see which batches are inside.",
      details: { rule: "low", profile: "fridge", limitC: 0, forMin: 30 },
      startedMs: T0 + 10 * MIN,
    });
  });

  it("ignores the monitor's other events", () => {
    const unit = unitRecord("u_2");
    const t = createTestContext({ units: [unit] });
    const { profile } = monitorFor(unit);
    const d = excursionDetector();
    for (const event of [
      { kind: "probable-thaw", atMs: T0, by: "air" },
      { kind: "refreeze", atMs: T0 },
      { kind: "gap", fromMs: T0, toMs: null },
      { kind: "thawing", atMs: T0 },
    ] as const) {
      expect(t.call(d, "onMonitorEvent", { unit, profile, lastTempC: -5, event, nowMs: T0 })).toEqual([]);
    }
  });
});
