import { describe, expect, it } from "vitest";
import type { MonitorEvent } from "../../rules/unit-monitor.js";
import { sensorFaultDetector } from "./sensor-fault.js";
import { createTestContext, MIN, monitorFor, T0, unitRecord } from "./test-context.js";

const KEY = { kind: "sensor-fault", subject: { type: "unit", unitId: "u_1" } } as const;

describe("sensor-fault detector", () => {
  it("raises once for the DS18B20's 85 °C sentinel, and clears 30 min after the last faulty reading", () => {
    const unit = unitRecord("u_1", { name: "Bank freezer", kind: "freezer" });
    const t = createTestContext({ units: [unit], batches: { u_1: ["b_9"] } });
    const d = sensorFaultDetector();
    const { monitor, profile } = monitorFor(unit);
    const feed = (events: MonitorEvent[], nowMs: number) =>
      events.flatMap((event) => t.call(d, "onMonitorEvent", { unit, profile, lastTempC: -20, event, nowMs }));
    const cold = Array.from({ length: 10 }, (_, i) => ({ tsMs: T0 + i * MIN, tempC: -20 }));
    expect(feed(monitor.push(cold), T0 + 9 * MIN)).toEqual([]);

    const first = monitor.push([{ tsMs: T0 + 10 * MIN, tempC: 85 }]);
    expect(first).toEqual([{ kind: "sensor-fault", tsMs: T0 + 10 * MIN, tempC: 85, fault: "sentinel" }]);
    expect(feed(first, T0 + 10 * MIN)).toEqual([
      {
        op: "raise",
        key: KEY,
        kind: "sensor-fault",
        subject: "unit:u_1",
        severity: "warning",
        title: "Probe restarted: Bank freezer",
        message:
          'The probe in "Bank freezer" restarted at 3 May 2026, 12:10 UTC and sent its power-on value (85 °C) instead of a temperature. ' +
          "Check its power supply and cable; if it keeps restarting, replace it. Until it reads normally the unit is not monitored: check the temperature yourself.",
        ownerId: "donor-1",
        unitId: "u_1",
        unitName: "Bank freezer",
        probeId: null,
        batchIds: ["b_9"],
        details: { fault: "sentinel", trouble: "restarted", tempC: 85, at: "2026-05-03T12:10:00.000Z" },
        startedMs: T0 + 10 * MIN,
        atMs: T0 + 10 * MIN,
      },
    ]);
    // Another sentinel while the alert is on: no second raise, but the 30 min start again.
    const second = monitor.push([{ tsMs: T0 + 15 * MIN, tempC: 85 }]);
    expect(second.map((e) => e.kind)).toEqual(["sensor-fault"]);
    expect(feed(second, T0 + 15 * MIN)).toEqual([]);
    expect(t.call(d, "onTick", { nowMs: T0 + 44 * MIN })).toEqual([]);
    expect(t.call(d, "onTick", { nowMs: T0 + 45 * MIN })).toEqual([
      {
        op: "clear",
        key: KEY,
        kind: "sensor-fault",
        subject: "unit:u_1",
        atMs: T0 + 45 * MIN,
        message: 'The probe in "Bank freezer" has read normally again since 3 May 2026, 12:15 UTC.',
        details: {},
      },
    ]);
    expect(t.active.has(KEY)).toBe(false);
    expect(t.call(d, "onTick", { nowMs: T0 + 90 * MIN })).toEqual([]);
  });

  it("keeps an alert the store already had (seeded active) and clears it only after a fault it saw", () => {
    const unit = unitRecord("u_1");
    const t = createTestContext({ units: [unit] });
    t.active.mark(KEY);
    const d = sensorFaultDetector();
    // No faulty reading seen since the restart: nothing to time the clearing from.
    expect(t.call(d, "onTick", { nowMs: T0 + 120 * MIN })).toEqual([]);
    expect(t.active.has(KEY)).toBe(true);
  });

  it("says a probe reading the same value for hours is stuck and to check it, not an impossible reading", () => {
    const unit = unitRecord("u_1", { name: "Bank freezer", kind: "freezer" });
    const t = createTestContext({ units: [unit] });
    const d = sensorFaultDetector();
    const { monitor, profile } = monitorFor(unit);
    const flat = Array.from({ length: profile.sensor.stuckMin + 2 }, (_, i) => ({
      tsMs: T0 + i * MIN,
      tempC: -19,
    }));
    const events = monitor.push(flat).filter((e) => e.kind === "sensor-fault");
    expect(events[0]).toMatchObject({ fault: "stuck", fromMs: T0 });
    const [raised] = events.flatMap((event) =>
      t.call(d, "onMonitorEvent", { unit, profile, lastTempC: -19, event, nowMs: event.tsMs }),
    );
    expect(raised).toMatchObject({ op: "raise", title: "Probe stuck: Bank freezer" });
    const message = (raised as { message: string }).message;
    expect(message).toContain(
      'The probe in "Bank freezer" is stuck: it has read exactly −19 °C without any change since 3 May 2026, 12:00 UTC',
    );
    expect(message).toContain("Check the probe");
    expect(message).not.toMatch(/impossible|, stuck\)/);
  });

  it("says a −127 °C reading is a disconnected probe, with times in the server's zone", () => {
    const unit = unitRecord("u_1", { name: "Bank freezer", kind: "freezer" });
    const t = createTestContext({ units: [unit], timeZone: "America/New_York" });
    const d = sensorFaultDetector();
    const { monitor, profile } = monitorFor(unit);
    monitor.push([{ tsMs: T0, tempC: -20 }]);
    const events = monitor.push([{ tsMs: T0 + MIN, tempC: -127 }]);
    const [raised] = events.flatMap((event) =>
      t.call(d, "onMonitorEvent", { unit, profile, lastTempC: -20, event, nowMs: T0 + MIN }),
    );
    expect(raised).toMatchObject({
      op: "raise",
      title: "Probe disconnected: Bank freezer",
      details: { fault: "out-of-range", trouble: "disconnected", tempC: -127 },
    });
    const message = (raised as { message: string }).message;
    expect(message).toContain('"Bank freezer" is disconnected: at 3 May 2026, 08:01 EDT it sent −127 °C');
    expect(message).not.toContain("UTC");
  });
});
