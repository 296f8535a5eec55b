import { describe, expect, it } from "vitest";
import { createRng, nextUniform } from "./prng.js";

describe("mulberry32", () => {
  it("repeats the same sequence for the same seed and differs for another", () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(sa);
  });

  it("the pure form carries its state in the result", () => {
    const d1 = nextUniform(7);
    const d2 = nextUniform(d1.state);
    const r = createRng(7);
    expect([r.uniform(), r.uniform()]).toEqual([d1.value, d2.value]);
  });

  it("is roughly uniform in [0, 1) and the normal has mean 0, sd 1", () => {
    const r = createRng(1);
    const xs = Array.from({ length: 20_000 }, () => r.uniform());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    const ns = Array.from({ length: 20_000 }, () => r.normal());
    const mean = ns.reduce((s, x) => s + x, 0) / ns.length;
    const sd = Math.sqrt(ns.reduce((s, x) => s + (x - mean) ** 2, 0) / ns.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(sd).toBeGreaterThan(0.95);
    expect(sd).toBeLessThan(1.05);
  });
});
