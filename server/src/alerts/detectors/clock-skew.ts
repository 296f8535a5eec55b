/**
 * Clock skew: a probe's clock is more than `clockSkewMaxMin` off the server's on
 * `clockSkewMessages` live messages in a row, or ingest refused its readings as too far ahead
 * (future_ts). Cleared by the next live message whose clock agrees again. Replayed buffers and
 * devices without a clock (server-timed readings) never count.
 */
import { PROTOCOL_LIMITS } from "@coldtrail/firmware-bridge/protocol";
import type { AlertKey } from "../types.js";
import { aboutProbe, clearIntent, raiseIntent } from "./intents.js";
import type { Detector } from "./types.js";

const KIND = "clock-skew";
const keyOf = (probeId: string): AlertKey => ({ kind: KIND, subject: { type: "probe", probeId } });

interface ProbeClock {
  /** Off messages in a row. */
  skewed: number;
  /** Arrival and newest event time of the probe's last live-sized message. */
  last?: { receivedMs: number; newestMs: number };
}

export function clockSkewDetector(): Detector<typeof KIND> {
  const clocks = new Map<string, ProbeClock>();
  const clockOf = (probeId: string): ProbeClock => {
    let c = clocks.get(probeId);
    if (!c) {
      c = { skewed: 0 };
      clocks.set(probeId, c);
    }
    return c;
  };
  return {
    kind: KIND,
    onReadings({ probeId, rows, nowMs }, ctx) {
      const s = ctx.settings;
      // Readings stored in the journal's own commit (SQLite) come without receivedMs, at once:
      // their arrival is now, give or take the group-commit wait of a few ms.
      const received = rows[0]?.receivedMs ?? nowMs;
      // A device without a clock has nothing to be off; a replayed buffer is old by design, so
      // only small live messages count (a probe sends one reading a message while online).
      if (rows.length > 2 || rows.some((r) => r.serverTimed)) return [];
      const newest = Math.max(...rows.map((r) => r.tsMs));
      const offsetMs = newest - received;
      const key = keyOf(probeId);
      const clock = clockOf(probeId);
      // A live probe's clock runs with the server's: between two messages, its timestamps advance
      // about as much as the arrival times do. A buffer replayed one reading a message advances
      // far faster; that is a probe catching up, not a clock that is off. The wall clock must also
      // have moved at least half as far as the timestamps: a one-minute replay (60 s of readings a
      // message, a second apart) is within the 60 s tolerance but is no live clock.
      const prev = clock.last;
      clock.last = { receivedMs: received, newestMs: newest };
      const dWall = prev ? received - prev.receivedMs : 0;
      const dEvent = prev ? newest - prev.newestMs : 0;
      const live =
        prev !== undefined && Math.abs(dEvent - dWall) <= Math.max(60_000, dWall / 2) && 2 * dWall >= dEvent;
      if (Math.abs(offsetMs) > s.clockSkewMaxMin * 60_000) {
        if (!live) {
          clock.skewed = 0;
          return [];
        }
        clock.skewed++;
        if (clock.skewed < s.clockSkewMessages || ctx.active.has(key)) return [];
        return [
          raiseIntent(key, {
            severity: "warning",
            words: ctx.words.clockSkewWords({ probeId, offsetMs }),
            startedMs: received,
            atMs: nowMs,
            about: aboutProbe(ctx, probeId, nowMs),
            details: { offsetMs },
          }),
        ];
      }
      clock.skewed = 0;
      if (!ctx.active.has(key)) return [];
      return [
        clearIntent(key, nowMs, ctx.words.clockSkewWords({ probeId, offsetMs }).clearMessage, { offsetMs }),
      ];
    },
    // Ingest refuses readings more than PROTOCOL_LIMITS.maxFutureSkewMs ahead as future_ts: the
    // clock is at least that far ahead.
    onRejected({ probeId, reason, nowMs }, ctx) {
      const key = keyOf(probeId);
      if (reason !== "future_ts" || ctx.active.has(key)) return [];
      return [
        raiseIntent(key, {
          severity: "warning",
          words: ctx.words.clockSkewWords({ probeId, offsetMs: PROTOCOL_LIMITS.maxFutureSkewMs }),
          startedMs: nowMs,
          atMs: nowMs,
          about: aboutProbe(ctx, probeId, nowMs),
          details: { reason },
        }),
      ];
    },
  };
}
