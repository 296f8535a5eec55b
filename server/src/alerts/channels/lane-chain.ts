/**
 * Order within a lane (one destination) when the outbox hands over a lane's next deliveries before
 * the ones before them have answered: each hand-over names the one it follows, starts only once
 * that one finished, and sends nothing if that one (or one before it) did not deliver everything.
 * The rows not sent stay queued in the outbox and go, in order, after the failed one's retry.
 */
import type { SendResult } from "./types.js";

export interface LaneOrder {
  /** The destination (channel kind and target). */
  lane: string;
  /** This hand-over, unique per outbox. */
  id: number;
  /** The hand-over it follows in the lane, or null if the lane was idle. */
  after: number | null;
}

export function createLaneChain() {
  /** Each lane's latest hand-over and whether it (and every one before it) delivered everything. */
  const last = new Map<string, { id: number; allOk: Promise<boolean> }>();
  return {
    /** Runs `send` in its turn; `expected` results mean everything was delivered. */
    run(order: LaneOrder, expected: number, send: () => Promise<SendResult[]>): Promise<SendResult[]> {
      const prev = order.after === null ? undefined : last.get(order.lane);
      // A hand-over after one this side never saw (a new delivery thread): nothing is known of
      // what was before it, so it waits for the outbox to start the lane again.
      const before =
        order.after === null
          ? Promise.resolve(true)
          : prev?.id === order.after
            ? prev.allOk
            : Promise.resolve(false);
      const results = before.then((ok) => (ok ? send() : []));
      const allOk = results.then(
        (rs) => rs.length === expected && rs.every((r) => r.ok),
        () => false,
      );
      last.set(order.lane, { id: order.id, allOk });
      return results;
    },
  };
}
