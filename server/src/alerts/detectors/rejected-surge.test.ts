import { describe, expect, it } from "vitest";
import type { AlertKey } from "../types.js";
import { rejectedSurgeDetector } from "./rejected-surge.js";
import { createTestContext, MIN, probeRecord, T0 } from "./test-context.js";

const KEY: AlertKey = { kind: "rejected-surge", subject: { type: "probe", probeId: "probe-bad" } };

describe("rejected-surge detector", () => {
  it("raises at the 20th refused message within 10 min and clears after a quiet window", () => {
    const t = createTestContext({ probes: [probeRecord("probe-bad", { ownerId: "donor-3" })] });
    const d = rejectedSurgeDetector();
    const reject = (reason: string, nowMs: number) =>
      t.call(d, "onRejected", { probeId: "probe-bad", reason, nowMs });
    // One refused long ago falls out of the window.
    expect(reject("not_json", T0 - 11 * MIN)).toEqual([]);
    for (let i = 0; i < 19; i++) expect(reject(i % 2 ? "invalid" : "not_json", T0 + i * 1000)).toEqual([]);
    expect(reject("invalid", T0 + 19_000)).toEqual([
      {
        op: "raise",
        key: KEY,
        kind: "rejected-surge",
        subject: "probe:probe-bad",
        severity: "warning",
        title: "Probe sends refused messages: probe-bad",
        message:
          'The server refused 20 messages from probe "probe-bad" within 10 minutes (not_json ×10, invalid ×10). ' +
          "Those readings are not recorded. See GET /api/v1/deadletters?probeId=probe-bad for the messages, then fix the device's firmware or settings.",
        ownerId: "donor-3",
        unitId: null,
        unitName: null,
        probeId: "probe-bad",
        batchIds: [],
        details: { count: 20, reasons: { not_json: 10, invalid: 10 } },
        startedMs: T0,
        atMs: T0 + 19_000,
      },
    ]);
    // More while it is on: no second raise.
    expect(reject("invalid", T0 + 20_000)).toEqual([]);
    // The last refused message is at T0+20 s: the window is quiet from T0+10 min 20 s.
    expect(t.call(d, "onTick", { nowMs: T0 + 10 * MIN })).toEqual([]);
    expect(t.call(d, "onTick", { nowMs: T0 + 10 * MIN + 20_000 })).toEqual([
      {
        op: "clear",
        key: KEY,
        kind: "rejected-surge",
        subject: "probe:probe-bad",
        atMs: T0 + 10 * MIN + 20_000,
        message: 'No refused messages from probe "probe-bad" for 10 minutes.',
        details: {},
      },
    ]);
    expect(t.call(d, "onTick", { nowMs: T0 + 11 * MIN })).toEqual([]);
  });

  it("clears a surge alert from before a restart at the first tick (no refused message seen since)", () => {
    const t = createTestContext({ probes: [probeRecord("probe-bad")] });
    t.active.mark(KEY);
    expect(t.call(rejectedSurgeDetector(), "onTick", { nowMs: T0 })).toMatchObject([
      { op: "clear", key: KEY, atMs: T0 },
    ]);
  });
});
