import {
  type DroppedField,
  decodePlainValueTolerant,
  decodeReadingsTolerant,
  decodeStatusPayload,
  parseProbeTopic,
  type RefusedReading,
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
  /** Accepted: `readings` journaled; `refused` readings of it refused alone (one dead letter). */
  | { ok: true; readings: number; refused: number }
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
 * Refused messages are counted by reason, logged once and kept as dead letters. Validation is per
 * reading (issue #9): one bad reading is refused alone, listed in the message's one dead letter
 * (written before the journal commit, so it is durable by the PUBACK too), and the rest are stored;
 * readings outside the plausible range are stored raw as sensor-fault markers.
 */
export function createIngest(deps: IngestDeps) {
  const { journal, deadLetters, metrics, log } = deps;
  /** Counted once per message, as plain additions (metrics.ts `hotCounter`). */
  const messagesOf = {
    readings: metrics.messages.tally({ kind: "readings" }),
    temp_c: metrics.messages.tally({ kind: "temp_c" }),
    status: metrics.messages.tally({ kind: "status" }),
  };
  const readingsAccepted = metrics.readings.tally();

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

  /** One dead letter naming every reading of an accepted message that was refused alone. */
  function refuseReadings(
    msg: IncomingMessage,
    probeId: string,
    refused: readonly RefusedReading[],
    stored: number,
    repeats: number,
  ): void {
    for (const r of refused) metrics.readingsDropped.inc({ reason: r.reason });
    // A reading ahead of the clock is the clock-skew alert's signal: let it lead when present.
    const lead = refused.find((r) => r.reason === "future_ts") ?? (refused[0] as RefusedReading);
    const total = refused.length + stored + repeats;
    const repeated = repeats > 0 ? `, ${repeats} exact repeat${repeats > 1 ? "s" : ""} dropped` : "";
    const message = `${refused.length} of ${total} readings refused, ${stored} stored${repeated}: ${refused
      .slice(0, 3)
      .map((r) => r.message)
      .join("; ")}${refused.length > 3 ? `; and ${refused.length - 3} more (see refusedReadings)` : ""}`;
    log.warn(
      {
        probeId,
        clientId: msg.clientId,
        reason: lead.reason,
        refused: refused.length,
        stored,
        detail: lead.message,
      },
      "reading.refused",
    );
    deadLetters.add({
      atMs: deps.now(),
      probeId,
      clientId: msg.clientId,
      topic: msg.topic,
      reason: lead.reason,
      message,
      payload: msg.payload,
      refusedReadings: refused,
    });
  }

  function dropFields(probeId: string, dropped: readonly DroppedField[]): void {
    for (const f of dropped) {
      // Unknown names would make a label per typo: they share one.
      const field = f.reason === "unknown_field" ? "unknown" : f.field;
      metrics.fieldsDropped.inc({ field, reason: f.reason });
    }
    log.info(
      { probeId, fields: dropped.map((f) => f.field), detail: dropped[0]?.message },
      "reading.fields_dropped",
    );
  }

  /** A message read and accepted, to be journaled. */
  interface Accepted {
    probeId: string;
    readings: Reading[];
    receivedMs: number;
    faults: number;
    refused: number;
    live: ProbeLiveState;
  }

  /** Everything before the journal: the outcome of a message refused or ignored, or what to journal. */
  function read(msg: IncomingMessage): IngestOutcome | Accepted {
    const topic = parseProbeTopic(msg.topic);
    if (!topic.ok) {
      // Firmware such as Tasmota also publishes its own telemetry (tele/…, stat/…) under the
      // probe's prefix and cannot be told not to: accept and ignore it, counted, not dead-lettered.
      if (msg.username !== null && msg.topic.startsWith(`${TOPIC_ROOT}/probes/${msg.username}/`)) {
        metrics.ignored.inc();
        return { ok: true, readings: 0, refused: 0 };
      }
      return refuse(msg, null, topic.reason, topic.message, msg.username !== null);
    }
    const { probeId, kind } = topic;
    messagesOf[kind].add();
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
      return { ok: true, readings: 0, refused: 0 };
    }

    let readings: Reading[];
    let faults = 0;
    let refused = 0;
    const live: ProbeLiveState = { lastSeenMs: receivedMs };
    // A message that cannot be read at all (nesting deep enough to exhaust the stack, a time no
    // date can hold) is refused whole, never left unacknowledged: a device would resend it forever.
    try {
      if (kind === "temp_c") {
        if (msg.retained) {
          metrics.ignored.inc();
          return { ok: true, readings: 0, refused: 0 };
        }
        const v = decodePlainValueTolerant(msg.payload);
        if (!v.ok) return refuse(msg, probeId, v.reason, v.message);
        if (v.value.fault) faults = 1;
        readings = [{ probeId, tsMs: receivedMs, tempC: v.value.temp_c, seq: null, serverTimed: true }];
      } else {
        const m = decodeReadingsTolerant(msg.payload, receivedMs);
        if (!m.ok) return refuse(msg, probeId, m.reason, m.message);
        const d = m.value;
        readings = new Array(d.readings.length);
        for (let i = 0; i < d.readings.length; i++) {
          const r = d.readings[i] as (typeof d.readings)[number];
          readings[i] = {
            probeId,
            tsMs: r.ts ?? receivedMs,
            tempC: r.temp_c,
            seq: r.seq ?? null,
            serverTimed: r.ts === undefined,
          };
          if (r.fault) faults++;
        }
        refused = d.refused.length;
        if (d.identicalDuplicates > 0) {
          metrics.readingsDropped.inc({ reason: "identical_duplicate" }, d.identicalDuplicates);
        }
        if (refused > 0) refuseReadings(msg, probeId, d.refused, readings.length, d.identicalDuplicates);
        if (d.droppedFields.length > 0) dropFields(probeId, d.droppedFields);
        if (d.battery_pct !== undefined) live.batteryPct = d.battery_pct;
        if (d.battery_mv !== undefined) live.batteryMv = d.battery_mv;
        if (d.rssi !== undefined) live.rssi = d.rssi;
      }
    } catch (err) {
      return refuse(
        msg,
        probeId,
        "invalid",
        `the message could not be read (${(err as Error).message.slice(0, 120)}); send {"readings":[{"ts":…,"temp_c":…}]}`,
      );
    }
    return { probeId, readings, receivedMs, faults, refused, live };
  }

  /** After the journal commit: counted, the probe's live fields kept, the forwarder woken. */
  function journaled(a: Accepted): IngestOutcome {
    readingsAccepted.add(a.readings.length);
    if (a.faults > 0) metrics.faultReadings.inc(a.faults);
    deps.updateProbe(a.probeId, a.live);
    deps.onJournaled(a.probeId, a.readings.length);
    return { ok: true, readings: a.readings.length, refused: a.refused };
  }

  /**
   * `handle` with a callback, for the embedded broker (one call a message, no promise): `done` gets
   * the outcome once the readings are durable, or the journal's error (then: no PUBACK). It is
   * never called before `handleThen` returns.
   */
  function handleThen(
    msg: IncomingMessage,
    done: (err: Error | null, outcome?: IngestOutcome) => void,
  ): void {
    let r: IngestOutcome | Accepted;
    try {
      r = read(msg);
    } catch (e) {
      queueMicrotask(() => done(e instanceof Error ? e : new Error(String(e))));
      return;
    }
    if ("ok" in r) {
      const outcome = r;
      queueMicrotask(() => done(null, outcome));
      return;
    }
    const accepted = r;
    journal.appendThen(accepted.readings, accepted.receivedMs, (err) => {
      if (err) return done(err);
      let outcome: IngestOutcome;
      try {
        outcome = journaled(accepted);
      } catch (e) {
        return done(e instanceof Error ? e : new Error(String(e)));
      }
      done(null, outcome);
    });
  }

  async function handle(msg: IncomingMessage): Promise<IngestOutcome> {
    const r = read(msg);
    if ("ok" in r) return r;
    await journal.append(r.readings, r.receivedMs);
    return journaled(r);
  }

  return { handle, handleThen };
}
export type Ingest = ReturnType<typeof createIngest>;
/** Ingest with a callback (`handleThen`'s shape): one call a message, no promise. */
export type IngestThen = Ingest["handleThen"];

/** The promise form of ingest as the callback form, for a caller given only the former. */
export function ingestThenOf(ingest: (msg: IncomingMessage) => Promise<IngestOutcome>): IngestThen {
  return (msg, done) =>
    ingest(msg).then(
      (outcome) => done(null, outcome),
      (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
    );
}
