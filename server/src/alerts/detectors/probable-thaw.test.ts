import { describe, expect, it } from "vitest";
import type { MonitorEvent } from "../../rules/unit-monitor.js";
import { probableThawDetector } from "./probable-thaw.js";
import { createTestContext, MIN, monitorFor, T0, unitRecord } from "./test-context.js";

const minutes = (from: number, to: number, tempC: number) =>
  Array.from({ length: to - from }, (_, i) => ({ tsMs: T0 + (from + i) * MIN, tempC }));

describe("probable-thaw detector", () => {
  it("raises one critical alert, from all of a power cut's monitor events, when the estimate passes −0.5 °C", () => {
    const unit = unitRecord("u_1", { name: "Cut freezer" });
    const t = createTestContext({ units: [unit], batches: { u_1: ["b_1", "b_2"] } });
    const d = probableThawDetector();
    const { monitor, profile } = monitorFor(unit);
    monitor.push(minutes(0, 10, -20));
    const events = monitor.push(minutes(10, 240, 8));
    // The same push also reports a jump (sensor fault), a gap, thawing and the excursion.
    expect(events.map((e) => e.kind)).toEqual([
      "sensor-fault",
      "gap",
      "thawing",
      "probable-thaw",
      "excursion-started",
    ]);
    const thaw = events.find((e) => e.kind === "probable-thaw") as Extract<
      MonitorEvent,
      { kind: "probable-thaw" }
    >;
    const nowMs = T0 + 240 * MIN;
    const intents = events.flatMap((event) =>
      t.call(d, "onMonitorEvent", { unit, profile, lastTempC: 8, event, nowMs }),
    );
    expect(intents).toEqual([
      {
        op: "raise",
        key: { kind: "probable-thaw", subject: { type: "unit", unitId: "u_1" } },
        kind: "probable-thaw",
        subject: "unit:u_1",
        severity: "critical",
        title: "Milk probably thawed: Cut freezer",
        message:
          'The milk in "Cut freezer" has probably thawed (its estimated temperature passed −0.5 °C, where milk melts) ' +
          "at 3 May 2026, 12:34 UTC. Thawed milk must not be refrozen: move it to a fridge and use it within 24 hours, " +
          "or discard it. Say what you did when you acknowledge this alert.",
        ownerId: "donor-1",
        unitId: "u_1",
        unitName: "Cut freezer",
        probeId: null,
        batchIds: ["b_1", "b_2"],
        details: { by: "estimate", at: "2026-05-03T12:34:50.566Z", profile: "home-freezer" },
        startedMs: thaw.atMs,
        atMs: nowMs,
      },
    ]);
    // Thawed milk stays thawed: nothing this detector sees clears it.
    const after = monitor.push(minutes(240, 480, -20));
    expect(
      after.flatMap((event) => t.call(d, "onMonitorEvent", { unit, profile, lastTempC: -20, event, nowMs })),
    ).toEqual([]);
    expect(t.active.subjects("probable-thaw")).toEqual([{ type: "unit", unitId: "u_1" }]);
  });
});
