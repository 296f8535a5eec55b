import { describe, expect, it } from "vitest";
import type { AlertKey } from "../types.js";
import { probeOfflineDetector } from "./probe-offline.js";
import { createTestContext, MIN, probeRecord, T0, unitRecord } from "./test-context.js";

const key = (probeId: string): AlertKey => ({ kind: "probe-offline", subject: { type: "probe", probeId } });

function world() {
  return createTestContext({
    units: [unitRecord("u_a", { name: "Freezer A" }), unitRecord("u_b", { name: "Freezer B" })],
    probes: [
      probeRecord("probe-a", { lastSeenMs: T0 + 9 * MIN }),
      probeRecord("probe-b", { ownerId: "donor-2", lastSeenMs: T0 + 27 * MIN, status: "online" }),
    ],
    attachments: [
      { probeId: "probe-a", unitId: "u_a", fromMs: T0, toMs: null },
      { probeId: "probe-b", unitId: "u_b", fromMs: T0 + 20 * MIN, toMs: null },
    ],
    batches: { u_a: ["b_1"] },
  });
}

describe("probe-offline detector", () => {
  it("raises after 15 min of silence and clears when the probe is heard again", () => {
    const t = world();
    const d = probeOfflineDetector();
    // The server has been running since the attachment.
    expect(t.call(d, "onTick", { nowMs: T0 })).toEqual([]);
    expect(t.call(d, "onTick", { nowMs: T0 + 23 * MIN })).toEqual([]);
    expect(t.call(d, "onTick", { nowMs: T0 + 24 * MIN })).toEqual([
      {
        op: "raise",
        key: key("probe-a"),
        kind: "probe-offline",
        subject: "probe:probe-a",
        severity: "warning",
        title: "Probe offline: probe-a (Freezer A)",
        message:
          'Probe "probe-a" in "Freezer A" is offline: no reading arrived; last heard 3 May 2026, 12:09 UTC (15 minutes ago). ' +
          "Check the probe's power and Wi-Fi. Meanwhile check the temperature yourself: unmonitored time is never counted as safe.",
        ownerId: "donor-1",
        unitId: "u_a",
        unitName: "Freezer A",
        probeId: "probe-a",
        batchIds: ["b_1"],
        details: { lastHeard: "2026-05-03T12:09:00.000Z", status: null, byStatus: false },
        startedMs: T0 + 9 * MIN,
        atMs: T0 + 24 * MIN,
      },
    ]);
    // Still silent: raised once.
    expect(t.call(d, "onTick", { nowMs: T0 + 25 * MIN })).toEqual([]);
    // A reading arrives: the engine updates the probe's health and passes it on with no live fields.
    const health = t.ctx.health("probe-a");
    health.lastSeenMs = T0 + 26 * MIN;
    expect(t.call(d, "onProbeLive", { probeId: "probe-a", live: {}, health, nowMs: T0 + 26 * MIN })).toEqual([
      {
        op: "clear",
        key: key("probe-a"),
        kind: "probe-offline",
        subject: "probe:probe-a",
        atMs: T0 + 26 * MIN,
        message: 'Probe "probe-a" is back: heard again at 3 May 2026, 12:26 UTC.',
        details: { backAt: "2026-05-03T12:26:00.000Z" },
      },
    ]);
    expect(t.active.subjects("probe-offline")).toEqual([]);
  });

  it("raises 2 min after the retained last will, and clears once the probe is back online and heard", () => {
    const t = world();
    const d = probeOfflineDetector();
    t.ctx.health("probe-a").lastSeenMs = T0 + 27 * MIN;
    // Probe b's last will arrives at T0+27, just after its last reading.
    const health = t.ctx.health("probe-b");
    health.status = "offline";
    health.statusSinceMs = T0 + 27 * MIN;
    expect(
      t.call(d, "onProbeLive", {
        probeId: "probe-b",
        live: { status: "offline" },
        health,
        nowMs: T0 + 27 * MIN,
      }),
    ).toEqual([]);
    expect(t.call(d, "onTick", { nowMs: T0 + 28 * MIN })).toEqual([]);
    const [raised] = t.call(d, "onTick", { nowMs: T0 + 29 * MIN });
    expect(raised).toMatchObject({
      op: "raise",
      key: key("probe-b"),
      ownerId: "donor-2",
      unitId: "u_b",
      startedMs: T0 + 27 * MIN,
      details: { lastHeard: "2026-05-03T12:27:00.000Z", status: "offline", byStatus: true },
    });
    expect(raised?.op === "raise" && raised.message).toContain(
      'Probe "probe-b" in "Freezer B" is offline: it reported its connection lost; last heard 3 May 2026, 12:27 UTC (2 minutes ago).',
    );
    // It reconnects: its status turns "online" and it is heard.
    health.status = "online";
    health.statusSinceMs = T0 + 30 * MIN;
    health.lastSeenMs = T0 + 30 * MIN;
    expect(
      t.call(d, "onProbeLive", {
        probeId: "probe-b",
        live: { status: "online" },
        health,
        nowMs: T0 + 30 * MIN,
      }),
    ).toEqual([
      {
        op: "clear",
        key: key("probe-b"),
        kind: "probe-offline",
        subject: "probe:probe-b",
        atMs: T0 + 30 * MIN,
        message: 'Probe "probe-b" is back: heard again at 3 May 2026, 12:30 UTC.',
        details: { backAt: "2026-05-03T12:30:00.000Z" },
      },
    ]);
  });

  it("clears the alert of a probe that is no longer attached to any unit", () => {
    const t = createTestContext({ probes: [probeRecord("probe-gone")] });
    t.active.mark(key("probe-gone"));
    expect(t.call(probeOfflineDetector(), "onTick", { nowMs: T0 })).toEqual([
      {
        op: "clear",
        key: key("probe-gone"),
        kind: "probe-offline",
        subject: "probe:probe-gone",
        atMs: T0,
        message: "Probe probe-gone is no longer attached to a unit.",
        details: {},
      },
    ]);
  });

  it("a freshly attached probe whose first reading comes within its own interval raises nothing", () => {
    // A BLE thermometer reporting every 20 min, attached at T0: its first reading is due by T0+20.
    const t = createTestContext({
      units: [unitRecord("u_a", { name: "Freezer A" })],
      probes: [probeRecord("probe-ble", { expectedIntervalMs: 20 * MIN })],
      attachments: [{ probeId: "probe-ble", unitId: "u_a", fromMs: T0, toMs: null }],
    });
    const d = probeOfflineDetector();
    for (let m = 0; m <= 19; m++) expect(t.call(d, "onTick", { nowMs: T0 + m * MIN })).toEqual([]);
    const health = t.ctx.health("probe-ble");
    health.lastSeenMs = T0 + 19 * MIN;
    expect(
      t.call(d, "onProbeLive", { probeId: "probe-ble", live: {}, health, nowMs: T0 + 19 * MIN }),
    ).toEqual([]);
    // Kept its interval since: still nothing; two missed readings (40 min of silence) is offline.
    expect(t.call(d, "onTick", { nowMs: T0 + 58 * MIN })).toEqual([]);
    expect(t.call(d, "onTick", { nowMs: T0 + 59 * MIN })).toMatchObject([
      { op: "raise", key: key("probe-ble"), startedMs: T0 + 19 * MIN },
    ]);
  });

  it("a server restart does not count its own downtime as the probes' silence", () => {
    // Heard at T0, then the server was down for an hour; it starts again at T0+60.
    const t = createTestContext({
      units: [unitRecord("u_a", { name: "Freezer A" }), unitRecord("u_b", { name: "Freezer B" })],
      probes: [
        probeRecord("probe-a", { lastSeenMs: T0, status: "online" }),
        probeRecord("probe-b", { lastSeenMs: T0, status: "online" }),
      ],
      attachments: [
        { probeId: "probe-a", unitId: "u_a", fromMs: T0 - 24 * 60 * MIN, toMs: null },
        { probeId: "probe-b", unitId: "u_b", fromMs: T0 - 24 * 60 * MIN, toMs: null },
      ],
    });
    const d = probeOfflineDetector();
    expect(t.call(d, "onTick", { nowMs: T0 + 60 * MIN })).toEqual([]);
    // Probe a reconnects and reports within its grace; probe b stays silent.
    const a = t.ctx.health("probe-a");
    a.lastSeenMs = T0 + 62 * MIN;
    expect(
      t.call(d, "onProbeLive", { probeId: "probe-a", live: {}, health: a, nowMs: T0 + 62 * MIN }),
    ).toEqual([]);
    expect(t.call(d, "onTick", { nowMs: T0 + 74 * MIN })).toEqual([]);
    // A full grace after the restart, the silent one is raised, naming when it was really last heard.
    const raised = t.call(d, "onTick", { nowMs: T0 + 75 * MIN });
    expect(raised).toMatchObject([{ op: "raise", key: key("probe-b"), startedMs: T0 }]);
    expect(raised[0]?.op === "raise" && raised[0].message).toContain("last heard 3 May 2026, 12:00 UTC");
  });

  it("the sweep reads a probe's record only once it has been silent for offlineAfterMin", () => {
    // Probe a reports every 30 min, so its grace is 2 × 30 = 60 min, longer than offlineAfterMin.
    const t = createTestContext({
      units: [unitRecord("u_a"), unitRecord("u_b")],
      probes: [
        probeRecord("probe-a", { lastSeenMs: T0, expectedIntervalMs: 30 * MIN }),
        probeRecord("probe-b", { lastSeenMs: T0 }),
      ],
      attachments: [
        { probeId: "probe-a", unitId: "u_a", fromMs: T0 - 60 * MIN, toMs: null },
        { probeId: "probe-b", unitId: "u_b", fromMs: T0 - 60 * MIN, toMs: null },
      ],
    });
    const read: string[] = [];
    const probe = t.lookups.probe;
    t.lookups.probe = (id) => {
      read.push(id);
      return probe(id);
    };
    const d = probeOfflineDetector();
    // Both heard within 15 min: neither record is read (10 000 probes, every tick).
    expect(t.call(d, "onTick", { nowMs: T0 - 20 * MIN })).toEqual([]);
    t.ctx.health("probe-a").lastSeenMs = T0 + 10 * MIN;
    t.ctx.health("probe-b").lastSeenMs = T0 + 10 * MIN;
    expect(t.call(d, "onTick", { nowMs: T0 + 20 * MIN })).toEqual([]);
    expect(read).toEqual([]);
    // 20 min of silence: past offlineAfterMin, so each interval is read; only probe b is offline.
    const raised = t.call(d, "onTick", { nowMs: T0 + 30 * MIN });
    expect(raised).toMatchObject([{ op: "raise", key: key("probe-b") }]);
    expect(read).toContain("probe-a");
    // Probe a's own grace (60 min) ends at T0+70.
    expect(t.call(d, "onTick", { nowMs: T0 + 69 * MIN })).toEqual([]);
    expect(t.call(d, "onTick", { nowMs: T0 + 70 * MIN })).toMatchObject([
      { op: "raise", key: key("probe-a") },
    ]);
  });
});
