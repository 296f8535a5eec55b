import mqtt, { type IConnackPacket, type MqttClient } from "mqtt";
import { type IncomingMessage, type IngestOutcome, type IngestThen, ingestThenOf } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { AckQueue } from "./ack-queue.js";
import type { ExternalBrokerState } from "./external-state.js";
import { INSTANCES_TOPIC_PREFIX } from "./instance-presence.js";
import { pubackPackets } from "./puback.js";
import { type FastPublish, splitPublishes } from "./publish-splitter.js";
import { DEFAULT_RECEIVE_MAXIMUM, READ_WINDOW_MAX_BYTES, ReadWindow } from "./read-window.js";
import { reconnectDelayMs } from "./reconnect-backoff.js";
import type { FirstConnectStage } from "./shared-subscription.js";

/** MQTT 5 session expiry "never": the broker keeps the session (and queued messages) as 3.1.1 does. */
const SESSION_NEVER_EXPIRES = 0xffffffff;

export type ExternalConnectionDeps = {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Stable client id, so the broker keeps the persistent session (and queued QoS 1 messages). */
  clientId: string;
  /** 5: MQTT 5 (shared subscriptions, Receive Maximum); 4: MQTT 3.1.1. */
  protocolVersion: 4 | 5;
  /** The topic filters to hold, at QoS 1. */
  filters: readonly string[];
  /** Filters an earlier configuration may have left in the session: removed on the first connection. */
  staleFilters?: readonly string[];
  /**
   * Subscribe again on every connection, even when the broker kept the session: Mosquitto 2.0.11
   * does not restore shared subscriptions from its persistence database after a restart (it
   * restores the session and its queued messages, then delivers nothing new to it).
   */
  resubscribeAlways?: boolean;
  /**
   * Unacknowledged messages the broker may send at once (MQTT 5 Receive Maximum), and the most this
   * connection reads ahead of its journal commits with either protocol (read-window.ts).
   */
  receiveMaximum?: number;
  /** Payload and topic bytes read ahead of the journal commits, at most (read-window.ts). */
  maxPendingBytes?: number;
  /** MQTT 5 Session Expiry Interval, seconds, once disconnected. Default: never expires. */
  sessionExpiryS?: number;
  log: Logger;
  /** Told each time this connection becomes subscribed (true) or goes away (false). */
  onConnected(connected: boolean): void;
  metrics: Pick<Metrics, "mqttExternalReconnects" | "journalFailures">;
  now?: () => number;
  /** [0, 1) for the back-off jitter; default Math.random. */
  random?: () => number;
} & (
  | { ingest(msg: IncomingMessage): Promise<IngestOutcome>; ingestThen?: undefined }
  /** ingest.ts `handleThen`: no promise a message. */
  | { ingestThen: IngestThen; ingest?: undefined }
);

export interface ExternalConnection {
  client: MqttClient;
  state(): ExternalBrokerState;
  close(): Promise<void>;
}

/**
 * mqtt.js logs through `debug` a dozen times for every packet, which costs even when nothing is
 * printed: it gets a function that does nothing, unless DEBUG (the `debug` package's variable)
 * names mqttjs.
 */
function mqttLog(): { log?: () => void } {
  return /mqttjs/.test(process.env.DEBUG ?? "") ? {} : { log: () => {} };
}

/** Passed to mqtt.js's handleMessage callback: go on reading, the PUBACK is sent by AckQueue. */
const ACK_DEFERRED = new Error("coldtrail acknowledges after the journal commit");

/**
 * One ingest connection to an external broker (Mosquitto in production): a persistent session
 * (clean = false, a stable client id; with MQTT 5 a session that never expires) holding `filters`
 * at QoS 1. Messages are read as they come (up to the broker's in-flight window: Receive Maximum
 * with MQTT 5, Mosquitto's max_inflight_messages with 3.1.1), so the journal commits all that
 * arrived together in one group; each PUBACK is sent only after its message was journaled, and in
 * the order the messages came, as MQTT requires.
 *
 * When the journal fails, the message is not acknowledged: the connection is dropped (brokers
 * redeliver unacknowledged messages of a session on its next connection) and made again after a
 * back-off, and the broker delivers the message again. When the broker goes away, the same loop
 * reconnects; the subscriptions are made again when the broker lost the session.
 * The first connection must succeed: its error (with mqtt.js's `code`, and `stage`: whether the
 * CONNECT or the SUBSCRIBE failed) rejects the promise.
 */
export async function connectExternalConnection(deps: ExternalConnectionDeps): Promise<ExternalConnection> {
  const { log, metrics } = deps;
  const ingest: IngestThen = deps.ingestThen === undefined ? ingestThenOf(deps.ingest) : deps.ingestThen;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const u = new URL(deps.url);
  // Never the credentials: only scheme, host and port.
  const where = `${u.protocol}//${u.host}`;
  const client = mqtt.connect(deps.url, {
    clientId: deps.clientId,
    clean: false,
    protocolVersion: deps.protocolVersion,
    ...(deps.protocolVersion === 5 && {
      properties: {
        sessionExpiryInterval: deps.sessionExpiryS ?? SESSION_NEVER_EXPIRES,
        receiveMaximum: deps.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM,
      },
    }),
    // The reconnect loop below (back-off with jitter) replaces mqtt.js's fixed-period one.
    reconnectPeriod: 0,
    // mqtt.js would subscribe again on its own after a reconnect; the connack handler does it.
    resubscribe: false,
    username: deps.username,
    password: deps.password,
    manualConnect: true,
    ...mqttLog(),
  });

  let link: ExternalBrokerState = { state: "connecting", sinceMs: now() };
  let journalFailure: { sinceMs: number; lastError: string } | null = null;
  /** Why the connection is being dropped, for the disconnect log and health. */
  let dropReason: string | null = null;
  let lastError: string | null = null;
  /** Back-off step: grows with each attempt, and with each journal failure in a row. */
  let step = 0;
  let timer: NodeJS.Timeout | null = null;
  let started = false;
  let closing = false;
  deps.onConnected(false);

  // PUBACKs in arrival order, each once its message is journaled; only on the connection the
  // message came on (a message of an earlier connection comes again on the new one). Those of one
  // group commit go in one write straight to the socket: through mqtt.js's packet writer each
  // cost several writes and most of the external path's own CPU time.
  const acks = new AckQueue((messageIds) => {
    if (client.connected) client.stream.write(pubackPackets(messageIds));
  });

  // What was read and not yet journaled: reading stops while it is full (read-window.ts), since
  // Mosquitto does not hold to the Receive Maximum it was given.
  const window = new ReadWindow(
    deps.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM,
    deps.maxPendingBytes ?? READ_WINDOW_MAX_BYTES,
  );
  function drop(reason: string): void {
    if (dropReason !== null) return;
    dropReason = reason;
    client.stream?.destroy();
  }

  function journaled(outcome: IngestOutcome): void {
    if (journalFailure && outcome.ok && outcome.readings > 0) {
      log.info({ failingMs: now() - journalFailure.sinceMs }, "ingest.journal_recovered");
      journalFailure = null;
      if (link.state === "connected") step = 0;
    }
  }

  function journalFailed(err: Error, topic: string, current: boolean): void {
    metrics.journalFailures.inc();
    if (journalFailure) journalFailure.lastError = err.message;
    else journalFailure = { sinceMs: now(), lastError: err.message };
    // Withhold the PUBACK and reconnect: the broker delivers the message again. The other
    // messages of a failed group commit share the event: counted, not logged again.
    if (!current || dropReason !== null) return;
    log.error({ err: err.message, topic: topic.slice(0, 200) }, "ingest.journal_failed");
    drop(`journal failed: ${err.message}`);
  }

  /**
   * One PUBLISH from the broker, from either path (the fast one below or mqtt.js's): journaled,
   * then acknowledged in turn. True when it waits for a PUBACK this connection sends (QoS 1).
   */
  function receive(p: FastPublish): boolean {
    if (p.topic.startsWith(INSTANCES_TOPIC_PREFIX)) {
      // An adopter's drain marker left in this session when its owner took it back
      // (session-adoption.ts): not a reading; acknowledged in turn.
      if (p.qos !== 1 || p.messageId === undefined) return false;
      acks.done(acks.take(p.messageId));
      return true;
    }
    const msg = { topic: p.topic, payload: p.payload, username: null, clientId: null, retained: p.retain };
    const ticket = window.enter(p.payload.length + p.topic.length);
    if (p.qos !== 1 || p.messageId === undefined) {
      // QoS 0 (nothing to acknowledge; nothing promised).
      const gen = acks.generation;
      ingest(msg, (err, outcome) => {
        window.leave(ticket);
        if (err) journalFailed(err, p.topic, gen === acks.generation);
        else if (outcome) journaled(outcome);
      });
      return false;
    }
    const slot = acks.take(p.messageId);
    ingest(msg, (err, outcome) => {
      window.leave(ticket);
      if (err) return journalFailed(err, p.topic, slot.generation === acks.generation);
      if (outcome) journaled(outcome);
      acks.done(slot);
    });
    return true;
  }

  // Most PUBLISHes never reach mqtt.js (publish-splitter.ts); those that do (with MQTT 5
  // properties, QoS 2: never granted, subscribed at 1) come here.
  client.handleMessage = (packet, callback) => {
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    const qos = packet.qos === 1 ? 1 : 0;
    const deferred = receive({
      topic: packet.topic,
      payload,
      qos,
      messageId: packet.messageId,
      retain: packet.retain,
    });
    // Read on once the window has room: mqtt.js sends no PUBACK for a callback with an error, and
    // the next message joins this one's group commit.
    window.readOn(callback, deferred ? ACK_DEFERRED : undefined);
  };
  // mqtt.js builds each connection's stream with `streamBuilder` (the constructor's first
  // argument, private in its typings): wrapped so every stream it builds is split.
  const builder = client as unknown as { streamBuilder: (c: MqttClient) => NodeJS.ReadableStream };
  if (typeof builder.streamBuilder !== "function") throw new Error("mqtt.js has no streamBuilder to wrap");
  const buildStream = builder.streamBuilder;
  builder.streamBuilder = (c) =>
    splitPublishes(
      buildStream(c),
      deps.protocolVersion,
      receive,
      () => !window.full,
      (resume) => window.whenRoom(resume),
    );

  function scheduleReconnect(): void {
    if (timer || closing) return;
    step += 1;
    const attempts = link.state === "reconnecting" ? link.attempts + 1 : 1;
    if (link.state === "reconnecting") link = { ...link, attempts };
    const delayMs = reconnectDelayMs(step, random);
    log.info(
      { url: where, clientId: deps.clientId, attempt: attempts, delayMs },
      "mqtt.external_reconnect_scheduled",
    );
    timer = setTimeout(() => {
      timer = null;
      if (closing) return;
      metrics.mqttExternalReconnects.inc();
      // The same stores: QoS 1 messages the server publishes (alerts) survive the reconnect.
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delayMs);
  }

  client.on("error", (err) => {
    lastError = err.message;
    if (link.state === "reconnecting") link = { ...link, lastError: err.message };
    log.warn({ url: where, clientId: deps.clientId, err: err.message }, "mqtt.external_error");
  });

  client.on("close", () => {
    acks.reset();
    window.reset();
    deps.onConnected(false);
    if (!started || closing) return;
    const reason = dropReason ?? lastError ?? "the broker closed the connection";
    dropReason = null;
    lastError = null;
    if (link.state !== "reconnecting") {
      link = { state: "reconnecting", sinceMs: now(), lastError: reason, attempts: 0 };
      log.warn({ url: where, clientId: deps.clientId, reason }, "mqtt.external_disconnected");
    }
    scheduleReconnect();
  });

  async function subscribe(first: boolean): Promise<void> {
    await client.subscribeAsync([...deps.filters], { qos: 1 });
    if (first && deps.staleFilters?.length) {
      try {
        await client.unsubscribeAsync([...deps.staleFilters]);
      } catch (e) {
        log.warn(
          { url: where, clientId: deps.clientId, filters: deps.staleFilters, err: (e as Error).message },
          "mqtt.external_unsubscribe_failed",
        );
      }
    }
  }

  function markConnected(): void {
    deps.onConnected(true);
    if (link.state === "reconnecting") {
      log.info(
        { url: where, clientId: deps.clientId, downMs: now() - link.sinceMs, attempts: link.attempts },
        "mqtt.external_recovered",
      );
    }
    link = { state: "connected", sinceMs: now() };
    if (!journalFailure) step = 0;
  }

  client.on("connect", (connack: IConnackPacket) => {
    if (!started || closing) return;
    const gen = acks.generation;
    // The broker kept the session (and its subscriptions) unless it says otherwise, e.g. after
    // a crash before it saved its database: then subscribe again.
    if (connack.sessionPresent && !deps.resubscribeAlways) {
      markConnected();
      return;
    }
    if (!connack.sessionPresent)
      log.info({ url: where, clientId: deps.clientId }, "mqtt.external_session_lost_resubscribing");
    subscribe(false).then(
      () => {
        if (gen === acks.generation) markConnected();
      },
      (err: Error) => {
        log.warn({ url: where, clientId: deps.clientId, err: err.message }, "mqtt.external_subscribe_failed");
        if (gen === acks.generation) drop(`subscribe failed: ${err.message}`);
      },
    );
  });

  // The first connection must succeed: a wrong URL or password stops the start with its reason.
  let stage: FirstConnectStage = "connect";
  try {
    await new Promise<void>((resolve, reject) => {
      const onClose = () => reject(new Error(`${where} closed the connection before its CONNACK`));
      client.once("connect", () => {
        client.off("close", onClose);
        resolve();
      });
      client.once("error", reject);
      client.once("close", onClose);
      client.connect();
    });
    // Always on the first connection: the filters may have changed since the session was made.
    stage = "subscribe";
    await subscribe(true);
  } catch (e) {
    await client.endAsync(true);
    throw Object.assign(e as Error, { stage });
  }
  started = true;
  markConnected();

  return {
    client,
    state() {
      if (journalFailure) {
        return { state: "journal-failing", ...journalFailure, connected: link.state === "connected" };
      }
      return link;
    },
    async close() {
      closing = true;
      acks.flush();
      if (timer) clearTimeout(timer);
      timer = null;
      // A broker that is away would keep a graceful end waiting on queued publishes: force it.
      const ended = await Promise.race([
        client.endAsync().then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 2000).unref()),
      ]);
      if (!ended) await client.endAsync(true);
    },
  };
}
