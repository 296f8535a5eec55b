import { describe, expect, it } from "vitest";
import type { AlertKey } from "../types.js";
import { clockSkewDetector } from "./clock-skew.js";
import { createTestContext, MIN, probeRecord, T0, unitRecord } from "./test-context.js";
import type { StoredReading } from "./types.js";

const KEY: AlertKey = { kind: "clock-skew", subject: { type: "probe", probeId: "probe-clock" } };

function world() {
  const t = createTestContext({
    units: [unitRecord("u_1", { name: "Freezer" })],
    probes: [probeRecord("probe-clock")],
    attachments: [{ probeId: "probe-clock", unitId: "u_1", fromMs: T0 - 60 * MIN, toMs: null }],
  });
  const d = clockSkewDetector();
  /** One message: readings at `tsMs`, arrived at `receivedMs` (the engine's now then). */
  const msg = (tsMs: number[], receivedMs: number, serverTimed = false) => {
    const rows: StoredReading[] = tsMs.map((ts) => ({
      probeId: "probe-clock",
      tsMs: ts,
      tempC: -20,
      seq: null,
      serverTimed,
      receivedMs,
    }));
    return t.call(d, "onReadings", { probeId: "probe-clock", rows, nowMs: receivedMs });
  };
  return { t, d, msg };
}

describe("clock-skew detector", () => {
  it("raises on two live messages in a row 8 min behind, not on replays, and clears when the clock agrees", () => {
    const { t, msg } = world();
    // A replayed buffer (3 readings an hour old), then one late message: not a clock problem.
    expect(msg([T0 - 62 * MIN, T0 - 61 * MIN, T0 - 60 * MIN], T0)).toEqual([]);
    expect(msg([T0 - 7 * MIN], T0 + MIN)).toEqual([]);
    // Replayed one reading a message, the timestamps race ahead of the wall clock: still not.
    expect(msg([T0 - 40 * MIN], T0 + MIN + 1000)).toEqual([]);
    expect(msg([T0 - 30 * MIN], T0 + MIN + 2000)).toEqual([]);
    // Server-timed readings have no device clock to be off.
    expect(msg([T0 - 30 * MIN], T0 + MIN + 3000, true)).toEqual([]);
    // Live messages keeping pace with the server, 8 minutes behind.
    expect(msg([T0 - 7 * MIN], T0 + MIN)).toEqual([]);
    expect(msg([T0 - 6 * MIN], T0 + 2 * MIN)).toEqual([]);
    expect(msg([T0 - 5 * MIN], T0 + 3 * MIN)).toEqual([
      {
        op: "raise",
        key: KEY,
        kind: "clock-skew",
        subject: "probe:probe-clock",
        severity: "warning",
        title: "Clock off: probe-clock",
        message:
          "Probe \"probe-clock\"'s clock is 8 minutes behind the server's. Its readings are placed at the wrong time, " +
          "so excursions may be timed wrong (and readings more than 10 minutes ahead are refused). " +
          "Check the probe's time (NTP) settings and restart it.",
        ownerId: "donor-1",
        unitId: "u_1",
        unitName: "Freezer",
        probeId: "probe-clock",
        batchIds: [],
        details: { offsetMs: -8 * MIN },
        startedMs: T0 + 3 * MIN,
        atMs: T0 + 3 * MIN,
      },
    ]);
    expect(msg([T0 - 4 * MIN], T0 + 4 * MIN)).toEqual([]);
    expect(msg([T0 + 5 * MIN], T0 + 5 * MIN)).toEqual([
      {
        op: "clear",
        key: KEY,
        kind: "clock-skew",
        subject: "probe:probe-clock",
        atMs: T0 + 5 * MIN,
        message: 'Probe "probe-clock"\'s clock agrees with the server again.',
        details: { offsetMs: 0 },
      },
    ]);
    expect(t.active.has(KEY)).toBe(false);
  });

  it("does not take a buffer replayed one reading a message at a one-minute interval for a live clock", () => {
    const { msg } = world();
    // 60 s of readings per message arriving a second apart: the timestamps race ahead of the wall
    // clock by as much as the live tolerance, which once let a fast replay (a simulator scenario
    // on a loaded machine) raise clock-skew.
    for (let i = 0; i < 10; i++) expect(msg([T0 - (40 - i) * MIN], T0 + i * 1000)).toEqual([]);
  });

  it("raises when ingest refuses the probe's readings as too far in the future, once", () => {
    const { t, d } = world();
    expect(t.call(d, "onRejected", { probeId: "probe-clock", reason: "invalid", nowMs: T0 })).toEqual([]);
    expect(t.call(d, "onRejected", { probeId: "probe-clock", reason: "future_ts", nowMs: T0 })).toEqual([
      {
        op: "raise",
        key: KEY,
        kind: "clock-skew",
        subject: "probe:probe-clock",
        severity: "warning",
        title: "Clock off: probe-clock",
        message:
          "Probe \"probe-clock\"'s clock is 10 minutes ahead of the server's. Its readings are placed at the wrong time, " +
          "so excursions may be timed wrong (and readings more than 10 minutes ahead are refused). " +
          "Check the probe's time (NTP) settings and restart it.",
        ownerId: "donor-1",
        unitId: "u_1",
        unitName: "Freezer",
        probeId: "probe-clock",
        batchIds: [],
        details: { reason: "future_ts" },
        startedMs: T0,
        atMs: T0,
      },
    ]);
    expect(t.call(d, "onRejected", { probeId: "probe-clock", reason: "future_ts", nowMs: T0 + MIN })).toEqual(
      [],
    );
  });
});
