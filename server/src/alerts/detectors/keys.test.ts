import { describe, expect, it } from "vitest";
import { alertKeyOf, alertKeyText, subjectText } from "../types.js";
import { createActiveSet } from "./active.js";

describe("alert keys", () => {
  it("writes subjects as the store and API have them, and one map key per (kind, subject)", () => {
    expect(subjectText({ type: "unit", unitId: "u_1" })).toBe("unit:u_1");
    expect(subjectText({ type: "probe", probeId: "probe-1" })).toBe("probe:probe-1");
    expect(subjectText({ type: "batch", batchId: "b_1" })).toBe("batch:b_1");
    expect(alertKeyText({ kind: "excursion", subject: { type: "unit", unitId: "u_1" } })).toBe(
      "excursion|unit:u_1",
    );
  });

  it("finds a stored alert's key from its own ids, or null when none is its subject", () => {
    const base = { unitId: "u_1", probeId: "probe-1", batchIds: ["b_1", "b_2"] };
    expect(alertKeyOf({ ...base, kind: "battery-low", subject: "probe:probe-1" })).toEqual({
      kind: "battery-low",
      subject: { type: "probe", probeId: "probe-1" },
    });
    expect(alertKeyOf({ ...base, kind: "excursion", subject: "unit:u_1" })).toEqual({
      kind: "excursion",
      subject: { type: "unit", unitId: "u_1" },
    });
    expect(alertKeyOf({ ...base, kind: "batch-storage-limit", subject: "batch:b_2" })).toEqual({
      kind: "batch-storage-limit",
      subject: { type: "batch", batchId: "b_2" },
    });
    expect(alertKeyOf({ ...base, kind: "excursion", subject: "unit:u_9" })).toBeNull();
  });

  it("keeps the active set from raise and clear intents, and undoes them when the store failed", () => {
    const active = createActiveSet();
    const key = { kind: "refreeze", subject: { type: "unit", unitId: "u_1" } } as const;
    const clear = {
      op: "clear",
      key,
      kind: "refreeze",
      subject: "unit:u_1",
      atMs: 0,
      message: "",
      details: {},
    } as const;
    active.mark(key);
    expect(active.subjects("refreeze")).toEqual([{ type: "unit", unitId: "u_1" }]);
    active.apply([clear]);
    expect(active.has(key)).toBe(false);
    active.undo([clear]);
    expect(active.has(key)).toBe(true);
    expect(active.subjects("excursion")).toEqual([]);
  });
});
