/**
 * How long the external-broker ingest waits before its next connection attempt: exponential
 * back-off with jitter, so that a server that lost its broker neither hammers it nor stays away
 * long once it is back.
 */

/** First wait: a Mosquitto restart takes about a second; trying sooner only collects refusals. */
export const RECONNECT_MIN_MS = 1000;
/** Longest wait: once the broker is back, ingest resumes within 30 s (probes publish each minute). */
export const RECONNECT_MAX_MS = 30_000;
/**
 * Each wait is drawn from [(1 - JITTER) × d, d]: servers that lost the same broker (a fleet, or
 * one server restarted by its supervisor) do not all come back in the same millisecond.
 */
export const RECONNECT_JITTER = 0.5;

/**
 * The wait before attempt `attempt` (1 = the first after a loss): 1 s, 2 s, 4 s, … up to 30 s,
 * each minus up to half at random. `random` returns [0, 1), e.g. Math.random.
 */
export function reconnectDelayMs(attempt: number, random: () => number): number {
  const steps = Math.max(0, Math.floor(attempt) - 1);
  // 2^5 × 1 s already exceeds the cap; bounding the exponent keeps the number finite.
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(steps, 16));
  return Math.round(ceiling * (1 - RECONNECT_JITTER * random()));
}
