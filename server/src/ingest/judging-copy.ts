/**
 * The readings of a message received for judging only (issue #13, docs/high-availability.md item
 * 1): with a share group every instance also subscribes plainly to the readings topics, and these
 * copies go to the alert engine, never to the journal or the store (the shared subscription's
 * instance stores and dead-letters the message). So this decoder has no side effects: what the
 * ingest path would refuse or ignore gives no readings here, and nothing is counted or logged.
 */
import {
  decodePlainValueTolerant,
  decodeReadingsTolerant,
  parseProbeTopic,
} from "@coldtrail/firmware-bridge/protocol";
import type { StoredReading } from "../alerts/detectors/types.js";
import type { IncomingMessage } from "./ingest.js";

/** Readings of `msg` as ingest would journal them (with `receivedMs`), or none. */
export function readingsForJudging(
  msg: IncomingMessage,
  isProbe: (probeId: string) => boolean,
  receivedMs: number,
): StoredReading[] {
  const topic = parseProbeTopic(msg.topic);
  if (!topic.ok || topic.kind === "status" || !isProbe(topic.probeId)) return [];
  const { probeId } = topic;
  try {
    if (topic.kind === "temp_c") {
      // A retained plain value is old: ingest ignores it, and so does judging.
      if (msg.retained) return [];
      const v = decodePlainValueTolerant(msg.payload);
      if (!v.ok) return [];
      return [{ probeId, tsMs: receivedMs, tempC: v.value.temp_c, seq: null, serverTimed: true, receivedMs }];
    }
    const m = decodeReadingsTolerant(msg.payload, receivedMs);
    if (!m.ok) return [];
    return m.value.readings.map((r) => ({
      probeId,
      tsMs: r.ts ?? receivedMs,
      tempC: r.temp_c,
      seq: r.seq ?? null,
      serverTimed: r.ts === undefined,
      receivedMs,
    }));
  } catch {
    // Ingest refuses such a message whole (too deeply nested, a time no date can hold).
    return [];
  }
}
