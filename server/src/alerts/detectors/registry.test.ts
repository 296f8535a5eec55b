import { describe, expect, it } from "vitest";
import { ALERT_KINDS } from "../types.js";
import { createDetectors, DETECTORS } from "./registry.js";

describe("detector registry", () => {
  it("holds exactly one detector for each of the nine alert kinds the API documents, in that order", () => {
    expect(ALERT_KINDS).toHaveLength(9);
    expect(Object.keys(DETECTORS)).toEqual([...ALERT_KINDS]);
    for (const [kind, create] of Object.entries(DETECTORS)) expect(create().kind).toBe(kind);
    expect(createDetectors().map((d) => d.kind)).toEqual([...ALERT_KINDS]);
  });

  it("gives every detector at least one handler, and each engine its own instances", () => {
    const handlers = ["onMonitorEvent", "onReadings", "onProbeLive", "onRejected", "onTick"] as const;
    const a = createDetectors();
    const b = createDetectors();
    for (const [i, d] of a.entries()) {
      expect(handlers.filter((h) => d[h] !== undefined).length, d.kind).toBeGreaterThan(0);
      expect(d).not.toBe(b[i]);
    }
  });
});
