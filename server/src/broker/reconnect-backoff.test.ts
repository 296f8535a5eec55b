import { describe, expect, it } from "vitest";
import { RECONNECT_MAX_MS, RECONNECT_MIN_MS, reconnectDelayMs } from "./reconnect-backoff.js";

describe("reconnectDelayMs", () => {
  it("doubles from 1 s to a 30 s ceiling when the jitter draws nothing", () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((a) => reconnectDelayMs(a, none))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it("takes up to half off at random, never below half of the step nor above it", () => {
    expect(reconnectDelayMs(1, () => 0.999_999)).toBe(RECONNECT_MIN_MS / 2);
    expect(reconnectDelayMs(3, () => 0.5)).toBe(3000);
    for (let a = 1; a < 40; a++) {
      const d = reconnectDelayMs(a, Math.random);
      expect(d).toBeGreaterThanOrEqual(RECONNECT_MIN_MS / 2);
      expect(d).toBeLessThanOrEqual(RECONNECT_MAX_MS);
    }
  });
});
