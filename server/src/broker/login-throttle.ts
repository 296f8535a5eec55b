/**
 * Throttle of failed MQTT logins, per remote address and per username: after `failuresBeforeLock`
 * failures a key is locked for `firstLockMs`, doubling with each further failure up to its
 * kind's cap. While locked, a login is refused at once, without checking the password.
 */
export interface LoginThrottleOptions {
  failuresBeforeLock: number;
  firstLockMs: number;
  /** The longest lock of an address, and of a username (kept short: the probe itself waits it out). */
  maxLockMs: { address: number; username: number };
  /** Failures older than this are forgotten. */
  windowMs: number;
  /** Keys tracked at once; the least recently failed are forgotten beyond it. */
  maxKeys: number;
}

interface Entry {
  failures: number;
  lastFailureMs: number;
  lockedUntilMs: number;
}

export type LoginCheck = { locked: false } | { locked: true; key: "address" | "username"; retryInMs: number };

export function createLoginThrottle(o: LoginThrottleOptions) {
  const entries = new Map<string, Entry>();
  const live = (key: string, now: number): Entry | undefined => {
    const e = entries.get(key);
    if (e && now - e.lastFailureMs > o.windowMs && now >= e.lockedUntilMs) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };
  const fail = (key: string, maxLockMs: number, now: number) => {
    const e = live(key, now) ?? { failures: 0, lastFailureMs: now, lockedUntilMs: 0 };
    e.failures++;
    e.lastFailureMs = now;
    const over = e.failures - o.failuresBeforeLock;
    if (over >= 0) e.lockedUntilMs = now + Math.min(maxLockMs, o.firstLockMs * 2 ** Math.min(over, 30));
    entries.delete(key); // re-insert: the map's order is the order of last failure
    entries.set(key, e);
    while (entries.size > o.maxKeys) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
  };
  return {
    check(address: string, username: string, now: number): LoginCheck {
      for (const [kind, key] of [
        ["address", `a:${address}`],
        ["username", `u:${username}`],
      ] as const) {
        const e = live(key, now);
        if (e && now < e.lockedUntilMs) return { locked: true, key: kind, retryInMs: e.lockedUntilMs - now };
      }
      return { locked: false };
    },
    failed(address: string, username: string, now: number): void {
      fail(`a:${address}`, o.maxLockMs.address, now);
      if (username) fail(`u:${username}`, o.maxLockMs.username, now);
    },
    /** A good login clears its username's failures (not its address's: one good login must not hide guessing). */
    succeeded(username: string): void {
      entries.delete(`u:${username}`);
    },
    get size(): number {
      return entries.size;
    },
  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
