/**
 * Sign-in throttle: after `SIGN_IN_MAX_FAILURES` failed sign-ins within `SIGN_IN_WINDOW_MS` for one
 * email, or from one client address, further attempts for it are refused for `SIGN_IN_LOCK_MS`
 * without checking the password. Only failures count. OWASP Authentication Cheat Sheet ("Account
 * lockout"): a small threshold with a time-limited lock stops online guessing while a forgetful
 * person is back in a quarter of an hour. In memory: a restart forgets (acceptable, the numbers
 * are small), and several server instances each count on their own.
 */
export const SIGN_IN_MAX_FAILURES = 5;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;
export const SIGN_IN_LOCK_MS = 15 * 60_000;
/** Bounds memory under a flood of made-up emails; the oldest idle entries go first. */
export const SIGN_IN_TRACKED_KEYS_MAX = 10_000;

export interface ThrottleOptions {
  now: () => number;
  maxFailures?: number;
  windowMs?: number;
  lockMs?: number;
  maxKeys?: number;
}

/** Who is trying: the email typed (normalised) and the client's address. */
export interface SignInAttempt {
  email: string;
  address: string;
}

interface Entry {
  failuresMs: number[];
  lockedUntilMs: number;
}

export function createSignInThrottle(options: ThrottleOptions) {
  const maxFailures = options.maxFailures ?? SIGN_IN_MAX_FAILURES;
  const windowMs = options.windowMs ?? SIGN_IN_WINDOW_MS;
  const lockMs = options.lockMs ?? SIGN_IN_LOCK_MS;
  const maxKeys = options.maxKeys ?? SIGN_IN_TRACKED_KEYS_MAX;
  const entries = new Map<string, Entry>();
  const keysOf = (a: SignInAttempt) => [`email:${a.email}`, `address:${a.address}`];

  function live(key: string, nowMs: number): Entry | undefined {
    const e = entries.get(key);
    if (!e) return undefined;
    e.failuresMs = e.failuresMs.filter((t) => t > nowMs - windowMs);
    if (e.lockedUntilMs <= nowMs && e.failuresMs.length === 0) {
      entries.delete(key);
      return undefined;
    }
    return e;
  }

  function prune(nowMs: number): void {
    for (const key of [...entries.keys()]) live(key, nowMs);
    for (const key of entries.keys()) {
      if (entries.size <= maxKeys) break;
      entries.delete(key);
    }
  }

  return {
    /** Whether this attempt may go ahead; if not, how long until it may. */
    check(attempt: SignInAttempt): { ok: true } | { ok: false; retryAfterMs: number } {
      const nowMs = options.now();
      let until = 0;
      for (const key of keysOf(attempt)) {
        const e = live(key, nowMs);
        if (e && e.lockedUntilMs > nowMs) until = Math.max(until, e.lockedUntilMs);
      }
      return until > nowMs ? { ok: false, retryAfterMs: until - nowMs } : { ok: true };
    },
    /** A failed sign-in: counts against both the email and the address. */
    fail(attempt: SignInAttempt): void {
      const nowMs = options.now();
      for (const key of keysOf(attempt)) {
        const e = live(key, nowMs) ?? { failuresMs: [], lockedUntilMs: 0 };
        // Re-insert so Map order stays "least recently failed first" for eviction.
        entries.delete(key);
        entries.set(key, e);
        e.failuresMs.push(nowMs);
        if (e.failuresMs.length >= maxFailures) {
          e.lockedUntilMs = nowMs + lockMs;
          e.failuresMs = [];
        }
      }
      if (entries.size > maxKeys) prune(nowMs);
    },
    /**
     * A successful sign-in forgets the email's failures; the address keeps its count, so one valid
     * account cannot be used to reset an address that is guessing other people's passwords.
     */
    succeed(attempt: SignInAttempt): void {
      entries.delete(`email:${attempt.email}`);
    },
    /** Number of emails and addresses being tracked (for tests and metrics). */
    size(): number {
      return entries.size;
    },
  };
}
export type SignInThrottle = ReturnType<typeof createSignInThrottle>;
