/** A token bucket: `capacity` tokens, refilled at `perSecond`; time is passed in (ms). */
export function createTokenBucket(capacity: number, perSecond: number, nowMs: number) {
  let tokens = capacity;
  let at = nowMs;
  const refill = (now: number) => {
    if (now > at) {
      tokens = Math.min(capacity, tokens + ((now - at) / 1000) * perSecond);
      at = now;
    }
  };
  return {
    /** Takes a token if there is one. */
    take(now: number): boolean {
      refill(now);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    /** Milliseconds until a token is there (0 if one is). */
    waitMs(now: number): number {
      refill(now);
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / perSecond) * 1000);
    },
  };
}
export type TokenBucket = ReturnType<typeof createTokenBucket>;
