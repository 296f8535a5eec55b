import {
  decodePlainValuePayload,
  decodeReadingsPayload,
  decodeStatusPayload,
  PROTOCOL_LIMITS,
  parseProbeTopic,
  TOPIC_ROOT,
} from "@coldtrail/firmware-bridge/protocol";
import type { Journal } from "../journal/journal.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { Reading } from "../reading.js";
import type { DeadLetters } from "../registry/deadletters.js";
import type { ProbeLiveState } from "../registry/probes.js";

export interface IncomingMessage {
  topic: string;
  payload: Uint8Array;
  /** The MQTT username the message came under; null when an external broker authenticated it. */
  username: string | null;
  clientId: string | null;
  /**
   * True when the broker delivered a stored retained message (an external broker does so on
   * subscribe): a plain value in it is old, and its arrival time is not its time.
   */
  retained?: boolean;
}

export type IngestOutcome =
  | { ok: true; readings: number }
  /** Refused and dead-lettered. `forbidden`: the sender may not publish there at all. */
  | { ok: false; reason: string; message: string; forbidden: boolean };

export interface IngestDeps {
  journal: Journal;
  deadLetters: DeadLetters;
  metrics: Metrics;
  log: Logger;
  /** Is this probe registered? */
  isProbe(probeId: string): boolean;
  /** Records battery, last-seen and status; kept in memory, flushed by the caller. */
  updateProbe(probeId: string, live: ProbeLiveState): void;
  /** Called after readings were journaled (e.g. to wake the forwarder). */
  onJournaled(probeId: string, count: number): void;
  now(): number;
}

/**
 * Ingest of one MQTT message: topic → authorisation → payload validation → durable journal.
 * It resolves once the readings are durable, so the caller may acknowledge the message then; it
 * rejects only when the journal itself failed, and then the caller must not acknowledge.
 * Refused messages are counted by reason, logged once and kept as dead letters.
 */
export function createIngest(deps: IngestDeps) {
  const { journal, deadLetters, metrics, log } = deps;

  function refuse(
    msg: IncomingMessage,
    probeId: string | null,
    reason: string,
    message: string,
    forbidden = false,
  ): IngestOutcome {
    metrics.rejected.inc({ reason });
    log.warn(
      { probeId, clientId: msg.clientId, topic: msg.topic.slice(0, 200), reason, detail: message },
      "reading.rejected",
    );
    deadLetters.add({
      atMs: deps.now(),
      probeId,
      clientId: msg.clientId,
      topic: msg.topic,
      reason,
      message,
      payload: msg.payload,
    });
    return { ok: false, reason, message, forbidden };
  }

  async function handle(msg: IncomingMessage): Promise<IngestOutcome> {
    const topic = parseProbeTopic(msg.topic);
    if (!topic.ok) {
      // Firmware such as Tasmota also publishes its own telemetry (tele/…, stat/…) under the
      // probe's prefix and cannot be told not to: accept and ignore it, counted, not dead-lettered.
      if (msg.username !== null && msg.topic.startsWith(`${TOPIC_ROOT}/probes/${msg.username}/`)) {
        metrics.ignored.inc();
        return { ok: true, readings: 0 };
      }
      return refuse(msg, null, topic.reason, topic.message, msg.username !== null);
    }
    const { probeId, kind } = topic;
    metrics.messages.inc({ kind });
    if (msg.username !== null && msg.username !== probeId) {
      return refuse(
        msg,
        probeId,
        "forbidden_topic",
        `client authenticated as "${msg.username.slice(0, 64)}" may not publish under probe "${probeId}"`,
        true,
      );
    }
    if (!deps.isProbe(probeId)) {
      return refuse(
        msg,
        probeId,
        "unknown_probe",
        `probe "${probeId}" is not registered: register it with POST /api/v1/probes`,
      );
    }
    const receivedMs = deps.now();

    if (kind === "status") {
      const s = decodeStatusPayload(msg.payload);
      if (!s.ok) return refuse(msg, probeId, s.reason, s.message);
      deps.updateProbe(probeId, { status: s.value.state, fw: s.value.fw ?? null });
      log.info({ probeId, state: s.value.state, fw: s.value.fw }, "probe.status");
      return { ok: true, readings: 0 };
    }

    let readings: Reading[];
    let live: ProbeLiveState = { lastSeenMs: receivedMs };
    if (kind === "temp_c") {
      if (msg.retained) {
        metrics.ignored.inc();
        return { ok: true, readings: 0 };
      }
      const v = decodePlainValuePayload(msg.payload);
      if (!v.ok) return refuse(msg, probeId, v.reason, v.message);
      readings = [{ probeId, tsMs: receivedMs, tempC: v.value, seq: null, serverTimed: true }];
    } else {
      const m = decodeReadingsPayload(msg.payload);
      if (!m.ok) return refuse(msg, probeId, m.reason, m.message);
      const latestAllowed = receivedMs + PROTOCOL_LIMITS.maxFutureSkewMs;
      readings = [];
      for (const r of m.value.readings) {
        if (r.ts !== undefined && r.ts > latestAllowed) {
          return refuse(
            msg,
            probeId,
            "future_ts",
            `reading ts ${new Date(r.ts).toISOString()} is ${Math.round((r.ts - receivedMs) / 60_000)} min ahead of the server clock: set the device clock (NTP)`,
          );
        }
        readings.push({
          probeId,
          tsMs: r.ts ?? receivedMs,
          tempC: r.temp_c,
          seq: r.seq ?? null,
          serverTimed: r.ts === undefined,
        });
      }
      live = {
        lastSeenMs: receivedMs,
        ...(m.value.battery_pct !== undefined && { batteryPct: m.value.battery_pct }),
        ...(m.value.battery_mv !== undefined && { batteryMv: m.value.battery_mv }),
        ...(m.value.rssi !== undefined && { rssi: m.value.rssi }),
      };
    }
    await journal.append(readings, receivedMs);
    metrics.readings.inc(readings.length);
    deps.updateProbe(probeId, live);
    deps.onJournaled(probeId, readings.length);
    return { ok: true, readings: readings.length };
  }

  return { handle };
}
export type Ingest = ReturnType<typeof createIngest>;
