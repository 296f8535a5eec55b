import { describe, expect, it } from "vitest";
import type { MonitorEvent } from "../../rules/unit-monitor.js";
import { refreezeDetector } from "./refreeze.js";
import { createTestContext, MIN, monitorFor, T0, unitRecord } from "./test-context.js";

const minutes = (from: number, to: number, tempC: number) =>
  Array.from({ length: to - from }, (_, i) => ({ tsMs: T0 + (from + i) * MIN, tempC }));

describe("refreeze detector", () => {
  it("raises a critical alert when milk that thawed in a power cut freezes again", () => {
    const unit = unitRecord("u_1", { name: "Cut freezer", ownerId: "donor-7" });
    const t = createTestContext({ units: [unit] });
    const d = refreezeDetector();
    const { monitor, profile } = monitorFor(unit);
    const feed = (events: MonitorEvent[], nowMs: number) =>
      events.flatMap((event) => t.call(d, "onMonitorEvent", { unit, profile, lastTempC: -20, event, nowMs }));
    expect(feed(monitor.push(minutes(0, 10, -20)), T0 + 10 * MIN)).toEqual([]);
    // The thaw itself is not this detector's business.
    expect(feed(monitor.push(minutes(10, 240, 8)), T0 + 240 * MIN)).toEqual([]);
    const events = monitor.push(minutes(240, 480, -20));
    const refreeze = events.find((e) => e.kind === "refreeze") as Extract<MonitorEvent, { kind: "refreeze" }>;
    expect(feed(events, T0 + 480 * MIN)).toEqual([
      {
        op: "raise",
        key: { kind: "refreeze", subject: { type: "unit", unitId: "u_1" } },
        kind: "refreeze",
        subject: "unit:u_1",
        severity: "critical",
        title: "Thawed milk refrozen: Cut freezer",
        message:
          'Milk in "Cut freezer" that had thawed froze again at 3 May 2026, 16:09 UTC. Thawed milk must not be refrozen: ' +
          "do not use these batches; label them and discard them. Open the unit's page to see which batches were inside.",
        ownerId: "donor-7",
        unitId: "u_1",
        unitName: "Cut freezer",
        probeId: null,
        batchIds: [],
        details: { at: "2026-05-03T16:09:50.187Z" },
        startedMs: refreeze.atMs,
        atMs: T0 + 480 * MIN,
      },
    ]);
  });
});
