import { describe, expect, it } from "vitest";
import { createTokenBucket } from "./token-bucket.js";

describe("createTokenBucket", () => {
  it("allows the burst, then the rate", () => {
    const b = createTokenBucket(3, 10, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.waitMs(0)).toBe(100);
    expect(b.take(99)).toBe(false);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
  });

  it("refills no further than its capacity", () => {
    const b = createTokenBucket(2, 10, 0);
    b.take(0);
    b.take(0);
    expect(b.waitMs(60_000)).toBe(0);
    expect([b.take(60_000), b.take(60_000), b.take(60_000)]).toEqual([true, true, false]);
  });
});
