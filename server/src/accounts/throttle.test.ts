import { describe, expect, it } from "vitest";
import {
  createSignInThrottle,
  SIGN_IN_LOCK_MS,
  SIGN_IN_MAX_FAILURES,
  SIGN_IN_WINDOW_MS,
} from "./throttle.js";

const MIN = 60_000;

function throttleAt(startMs = 1_000_000) {
  let nowMs = startMs;
  const t = createSignInThrottle({ now: () => nowMs });
  return {
    t,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

const ana = { email: "ana@example.org", address: "192.0.2.1" };

describe("sign-in throttle", () => {
  it("uses 5 failures in 15 minutes and a 15-minute lock", () => {
    expect([SIGN_IN_MAX_FAILURES, SIGN_IN_WINDOW_MS, SIGN_IN_LOCK_MS]).toEqual([5, 15 * MIN, 15 * MIN]);
  });

  it("locks an email after 5 failures in the window and unlocks when the lock has run out", () => {
    const { t, advance } = throttleAt();
    for (let i = 0; i < 4; i++) {
      t.fail(ana);
      advance(MIN);
    }
    expect(t.check(ana)).toEqual({ ok: true });
    t.fail(ana);
    expect(t.check(ana)).toEqual({ ok: false, retryAfterMs: 15 * MIN });
    // Same email from another address is locked too.
    expect(t.check({ ...ana, address: "198.51.100.7" })).toEqual({ ok: false, retryAfterMs: 15 * MIN });
    advance(15 * MIN - 1);
    expect(t.check(ana)).toEqual({ ok: false, retryAfterMs: 1 });
    advance(1);
    expect(t.check(ana)).toEqual({ ok: true });
    // The count started over: one more failure does not lock again.
    t.fail(ana);
    expect(t.check(ana)).toEqual({ ok: true });
  });

  it("forgets failures older than the window", () => {
    const { t, advance } = throttleAt();
    for (let i = 0; i < 4; i++) t.fail(ana);
    advance(15 * MIN);
    t.fail(ana);
    expect(t.check(ana)).toEqual({ ok: true });
  });

  it("locks an address guessing many emails, but not those emails from elsewhere", () => {
    const { t } = throttleAt();
    for (let i = 0; i < 5; i++) t.fail({ email: `user${i}@example.org`, address: "203.0.113.9" });
    expect(t.check({ email: "new@example.org", address: "203.0.113.9" })).toMatchObject({ ok: false });
    expect(t.check({ email: "user0@example.org", address: "192.0.2.1" })).toEqual({ ok: true });
  });

  it("counts only failures: a success clears the email's count but not the address's", () => {
    const { t } = throttleAt();
    for (let i = 0; i < 4; i++) t.fail(ana);
    t.succeed(ana);
    t.fail({ ...ana, address: "198.51.100.7" });
    expect(t.check({ ...ana, address: "198.51.100.7" })).toEqual({ ok: true });
    // The first address has 4 failures left on it: one more (for anyone) locks it.
    t.fail({ email: "bob@example.org", address: ana.address });
    expect(t.check({ email: "carol@example.org", address: ana.address })).toMatchObject({ ok: false });
  });

  it("keeps at most maxKeys entries, forgetting the least recently failed first", () => {
    let nowMs = 0;
    const t = createSignInThrottle({ now: () => nowMs, maxKeys: 4 });
    for (let i = 0; i < 3; i++) {
      nowMs += 1;
      t.fail({ email: `e${i}@example.org`, address: "192.0.2.1" });
    }
    expect(t.size()).toBe(4);
    expect(t.check({ email: "e0@example.org", address: "192.0.2.99" })).toEqual({ ok: true });
  });
});
