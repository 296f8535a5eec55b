import { describe, expect, it } from "vitest";
import type { AlertKey } from "../types.js";
import { batchStorageLimitDetector } from "./batch-storage-limit.js";
import { createTestContext, MIN, T0, unitRecord } from "./test-context.js";
import type { DueBatch } from "./types.js";

const DAY = 86_400_000;
const KEY: AlertKey = { kind: "batch-storage-limit", subject: { type: "batch", batchId: "b_1" } };

describe("batch-storage-limit detector", () => {
  it("warns before the limit, turns critical past it, checks every 5 min and clears once the batch is not listed", () => {
    let due: DueBatch[] = [
      { batchId: "b_1", code: "K7Q2M", unitId: "u_1", limit: "frozen", band: "check", untilMs: T0 + 3 * DAY },
    ];
    const t = createTestContext({
      units: [unitRecord("u_1", { name: "Bank freezer", ownerId: "bank" })],
      dueBatches: () => due,
    });
    const d = batchStorageLimitDetector();
    const tick = (nowMs: number) => t.call(d, "onTick", { nowMs });
    expect(tick(T0)).toEqual([
      {
        op: "raise",
        key: KEY,
        kind: "batch-storage-limit",
        subject: "batch:b_1",
        severity: "warning",
        title: "Batch K7Q2M nearing its storage limit",
        message:
          'Batch K7Q2M in "Bank freezer" reaches its frozen storage limit at 6 May 2026, 12:00 UTC (in 3 days); ' +
          'after that its verdict is "check". Use it or give it to a recipient before then.',
        ownerId: "bank",
        unitId: "u_1",
        unitName: "Bank freezer",
        probeId: null,
        batchIds: ["b_1"],
        details: {
          code: "K7Q2M",
          limit: "frozen",
          band: "check",
          until: "2026-05-06T12:00:00.000Z",
          past: false,
        },
        startedMs: T0,
        atMs: T0,
      },
    ]);
    // Same band, same side of the limit: nothing new.
    expect(tick(T0 + 5 * MIN)).toEqual([]);
    const past = T0 + 3 * DAY + MIN;
    expect(tick(past)).toEqual([
      {
        op: "raise",
        key: KEY,
        kind: "batch-storage-limit",
        subject: "batch:b_1",
        severity: "critical",
        title: "Batch K7Q2M past its storage limit",
        message:
          'Batch K7Q2M in "Bank freezer" passed its frozen storage limit at 6 May 2026, 12:00 UTC: its verdict is now "check". ' +
          "Open the batch's page for the reasons before anyone uses it.",
        ownerId: "bank",
        unitId: "u_1",
        unitName: "Bank freezer",
        probeId: null,
        batchIds: ["b_1"],
        details: {
          code: "K7Q2M",
          limit: "frozen",
          band: "check",
          until: "2026-05-06T12:00:00.000Z",
          past: true,
        },
        startedMs: past,
        atMs: past,
      },
    ]);
    due = [];
    // Checked at most every 5 min: the batch's going is noticed at the next check.
    expect(tick(past + 4 * MIN)).toEqual([]);
    expect(tick(past + 5 * MIN)).toEqual([
      {
        op: "clear",
        key: KEY,
        kind: "batch-storage-limit",
        subject: "batch:b_1",
        atMs: past + 5 * MIN,
        message: "The batch is no longer near a storage limit (used, moved or its record changed).",
        details: {},
      },
    ]);
    expect(t.active.subjects("batch-storage-limit")).toEqual([]);
  });
});
