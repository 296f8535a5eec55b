import { describe, expect, it } from "vitest";
import { createCounterGuard } from "./counter-guard.js";

describe("createCounterGuard", () => {
  it("accepts a rising counter per device and refuses a repeated or older one", () => {
    const g = createCounterGuard();
    expect(g.check("AA:00:00:00:00:01", 5)).toEqual({ ok: true });
    expect(g.check("AA:00:00:00:00:02", 1)).toEqual({ ok: true }); // other device, own floor
    expect(g.check("AA:00:00:00:00:01", 5)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("did not increase"),
    });
    expect(g.check("AA:00:00:00:00:01", 4)).toMatchObject({ ok: false });
    expect(g.check("AA:00:00:00:00:01", 6)).toEqual({ ok: true });
  });
  it("starts from a persisted floor and reports changes once", () => {
    const g = createCounterGuard({ "AA:00:00:00:00:01": 100 });
    expect(g.check("AA:00:00:00:00:01", 100).ok).toBe(false);
    expect(g.snapshot()).toEqual({ counters: { "AA:00:00:00:00:01": 100 }, changed: false });
    g.check("AA:00:00:00:00:01", 101);
    expect(g.snapshot()).toEqual({ counters: { "AA:00:00:00:00:01": 101 }, changed: true });
    expect(g.snapshot().changed).toBe(false);
  });
});
