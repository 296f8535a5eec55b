import { describe, expect, it } from "vitest";
import { createLoginThrottle } from "./login-throttle.js";

const options = {
  failuresBeforeLock: 3,
  firstLockMs: 1000,
  maxLockMs: { address: 8000, username: 2000 },
  windowMs: 60_000,
  maxKeys: 100,
};

describe("createLoginThrottle", () => {
  it("locks an address after the allowed failures, doubling the lock up to its cap", () => {
    const t = createLoginThrottle(options);
    for (const at of [0, 1, 2]) {
      expect(t.check("10.0.0.1", `probe-${at}`, at).locked).toBe(false);
      t.failed("10.0.0.1", `probe-${at}`, at);
    }
    expect(t.check("10.0.0.1", "probe-x", 2)).toEqual({ locked: true, key: "address", retryInMs: 1000 });
    expect(t.check("10.0.0.2", "probe-x", 2).locked).toBe(false);
    expect(t.check("10.0.0.1", "probe-x", 1002).locked).toBe(false);
    t.failed("10.0.0.1", "probe-y", 1002);
    expect(t.check("10.0.0.1", "probe-z", 1002)).toMatchObject({ retryInMs: 2000 });
    for (let i = 0; i < 10; i++) t.failed("10.0.0.1", "probe-y", 5000);
    expect(t.check("10.0.0.1", "probe-z", 5000)).toMatchObject({ retryInMs: 8000 });
  });

  it("locks a username guessed from many addresses, for at most its shorter cap", () => {
    const t = createLoginThrottle(options);
    for (let i = 0; i < 10; i++) t.failed(`10.0.1.${i}`, "freezer-1", 0);
    expect(t.check("10.0.9.9", "freezer-1", 0)).toEqual({ locked: true, key: "username", retryInMs: 2000 });
    expect(t.check("10.0.9.9", "freezer-1", 2000).locked).toBe(false);
  });

  it("a good login clears its username's failures, not its address's", () => {
    const t = createLoginThrottle(options);
    for (let i = 0; i < 3; i++) t.failed(`10.0.2.${i}`, "freezer-2", 0);
    t.failed("10.0.3.1", "other", 0);
    t.failed("10.0.3.1", "other", 0);
    t.succeeded("freezer-2");
    t.succeeded("other");
    expect(t.check("10.0.9.9", "freezer-2", 0).locked).toBe(false);
    t.failed("10.0.3.1", "other", 0);
    expect(t.check("10.0.3.1", "anyone", 0)).toMatchObject({ locked: true, key: "address" });
  });

  it("forgets failures older than the window and keeps at most maxKeys", () => {
    const t = createLoginThrottle({ ...options, maxKeys: 4 });
    t.failed("10.0.4.1", "a", 0);
    t.failed("10.0.4.1", "a", 0);
    t.failed("10.0.4.1", "a", 60_001);
    expect(t.check("10.0.4.1", "a", 60_001).locked).toBe(false);
    for (let i = 0; i < 10; i++) t.failed(`10.0.5.${i}`, `u${i}`, 70_000);
    expect(t.size).toBe(4);
  });
});
