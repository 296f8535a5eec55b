import { describe, expect, it } from "vitest";
import type { AlertKey } from "../types.js";
import { batteryLowDetector } from "./battery-low.js";
import { createTestContext, probeRecord, T0, unitRecord } from "./test-context.js";
import type { ProbeLive } from "./types.js";

const key = (probeId: string): AlertKey => ({ kind: "battery-low", subject: { type: "probe", probeId } });

function world() {
  const t = createTestContext({
    units: [unitRecord("u_1", { name: "Kitchen freezer" })],
    probes: [probeRecord("probe-pct"), probeRecord("probe-mv", { ownerId: "donor-2" })],
    attachments: [{ probeId: "probe-pct", unitId: "u_1", fromMs: T0, toMs: null }],
    batches: { u_1: ["b_1"] },
  });
  const d = batteryLowDetector();
  const live = (probeId: string, fields: ProbeLive) =>
    t.call(d, "onProbeLive", { probeId, live: fields, health: t.ctx.health(probeId), nowMs: T0 });
  return { t, live };
}

describe("battery-low detector", () => {
  it("raises below 20 % and clears only at 25 % or more (hysteresis)", () => {
    const { t, live } = world();
    expect(live("probe-pct", { batteryPct: 21 })).toEqual([]);
    expect(live("probe-pct", { batteryPct: 12 })).toEqual([
      {
        op: "raise",
        key: key("probe-pct"),
        kind: "battery-low",
        subject: "probe:probe-pct",
        severity: "warning",
        title: "Battery low: probe-pct",
        message:
          'Probe "probe-pct" in "Kitchen freezer" reports its battery at 12 %. ' +
          "Replace or charge the battery within a few days: the probe stops reporting when it runs out.",
        ownerId: "donor-1",
        unitId: "u_1",
        unitName: "Kitchen freezer",
        probeId: "probe-pct",
        batchIds: ["b_1"],
        details: { batteryPct: 12, batteryMv: null },
        startedMs: T0,
        atMs: T0,
      },
    ]);
    expect(live("probe-pct", { batteryPct: 11 })).toEqual([]);
    expect(live("probe-pct", { batteryPct: 24 })).toEqual([]);
    expect(live("probe-pct", { status: "online" })).toEqual([]);
    expect(live("probe-pct", { batteryPct: 95 })).toEqual([
      {
        op: "clear",
        key: key("probe-pct"),
        kind: "battery-low",
        subject: "probe:probe-pct",
        atMs: T0,
        message: 'Probe "probe-pct" reports its battery at 95 % again.',
        details: { batteryPct: 95, batteryMv: null },
      },
    ]);
    expect(t.active.subjects("battery-low")).toEqual([]);
  });

  it("uses battery_mv only when no percentage is sent, for a probe attached to no unit", () => {
    const { live } = world();
    expect(live("probe-mv", { batteryMv: 3200, batteryPct: 80 })).toEqual([]);
    expect(live("probe-mv", { batteryMv: 3200 })).toEqual([
      {
        op: "raise",
        key: key("probe-mv"),
        kind: "battery-low",
        subject: "probe:probe-mv",
        severity: "warning",
        title: "Battery low: probe-mv",
        message:
          'Probe "probe-mv" reports its battery at 3.20 V. ' +
          "Replace or charge the battery within a few days: the probe stops reporting when it runs out.",
        ownerId: "donor-2",
        unitId: null,
        unitName: null,
        probeId: "probe-mv",
        batchIds: [],
        details: { batteryPct: null, batteryMv: 3200 },
        startedMs: T0,
        atMs: T0,
      },
    ]);
    expect(live("probe-mv", { batteryMv: 3350 })).toEqual([]);
    expect(live("probe-mv", { batteryMv: 3400 })).toMatchObject([{ op: "clear", key: key("probe-mv") }]);
  });
});
