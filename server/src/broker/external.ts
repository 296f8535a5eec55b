import { PROBE_TOPIC_FILTERS } from "@coldtrail/firmware-bridge/protocol";
import mqtt, { type IConnackPacket, type MqttClient } from "mqtt";
import type { IncomingMessage, IngestOutcome } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { ExternalBrokerState } from "./external-state.js";
import { reconnectDelayMs } from "./reconnect-backoff.js";

export interface ExternalBrokerDeps {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Stable client id, so the broker keeps the persistent session (and queued QoS 1 messages). */
  clientId?: string;
  log: Logger;
  metrics: Pick<Metrics, "mqttExternalConnected" | "mqttExternalReconnects" | "journalFailures">;
  ingest(msg: IncomingMessage): Promise<IngestOutcome>;
  now?: () => number;
  /** [0, 1) for the back-off jitter; default Math.random. */
  random?: () => number;
}

export interface ExternalBroker {
  client: MqttClient;
  state(): ExternalBrokerState;
  close(): Promise<void>;
}

/**
 * Ingest from an external broker (Mosquitto in production). The server subscribes with a
 * persistent session (clean = false, a stable client id) at QoS 1, and mqtt.js sends each PUBACK
 * only after `handleMessage` called back, i.e. after the readings are journaled.
 *
 * When the journal fails, the message is not acknowledged: the connection is dropped (MQTT 3.1.1
 * brokers redeliver unacknowledged messages only on a new connection of the session) and made
 * again after a back-off, and the broker delivers the message again. When the broker goes away,
 * the same loop reconnects; the subscriptions are made again when the broker lost the session.
 * Authentication and ACLs of devices are the broker's job (see docker-compose's Mosquitto).
 */
export async function connectExternalBroker(deps: ExternalBrokerDeps): Promise<ExternalBroker> {
  const { log, metrics } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const u = new URL(deps.url);
  // Never the credentials: only scheme, host and port.
  const where = `${u.protocol}//${u.host}`;
  const client = mqtt.connect(deps.url, {
    clientId: deps.clientId ?? "coldtrail-ingest",
    clean: false,
    protocolVersion: 4,
    // The reconnect loop below (back-off with jitter) replaces mqtt.js's fixed-period one.
    reconnectPeriod: 0,
    username: deps.username,
    password: deps.password,
    manualConnect: true,
  });

  let link: ExternalBrokerState = { state: "connecting", sinceMs: now() };
  let journalFailure: { sinceMs: number; lastError: string } | null = null;
  /** Counts the connections made; a message's PUBACK goes only to the connection it came on. */
  let generation = 0;
  /** Why the connection is being dropped, for the disconnect log and health. */
  let dropReason: string | null = null;
  let lastError: string | null = null;
  /** Back-off step: grows with each attempt, and with each journal failure in a row. */
  let step = 0;
  let timer: NodeJS.Timeout | null = null;
  let started = false;
  let closing = false;
  metrics.mqttExternalConnected.set(0);

  function drop(reason: string): void {
    if (dropReason !== null) return;
    dropReason = reason;
    client.stream?.destroy();
  }

  client.handleMessage = (packet, callback) => {
    const gen = generation;
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    deps
      .ingest({ topic: packet.topic, payload, username: null, clientId: null, retained: packet.retain })
      .then(
        (outcome) => {
          if (journalFailure && outcome.ok && outcome.readings > 0) {
            log.info({ failingMs: now() - journalFailure.sinceMs }, "ingest.journal_recovered");
            journalFailure = null;
            if (link.state === "connected") step = 0;
          }
          // A message of an earlier connection comes again on this one: acknowledge it there.
          if (gen === generation) callback();
        },
        (err: Error) => {
          metrics.journalFailures.inc();
          if (journalFailure) journalFailure.lastError = err.message;
          else journalFailure = { sinceMs: now(), lastError: err.message };
          // Withhold the PUBACK and reconnect: the broker delivers the message again. The other
          // messages of a failed group commit share the event: counted, not logged again.
          if (gen !== generation || dropReason !== null) return;
          log.error({ err: err.message, topic: packet.topic.slice(0, 200) }, "ingest.journal_failed");
          drop(`journal failed: ${err.message}`);
        },
      );
  };

  function scheduleReconnect(): void {
    if (timer || closing) return;
    step += 1;
    const attempts = link.state === "reconnecting" ? link.attempts + 1 : 1;
    if (link.state === "reconnecting") link = { ...link, attempts };
    const delayMs = reconnectDelayMs(step, random);
    log.info({ url: where, attempt: attempts, delayMs }, "mqtt.external_reconnect_scheduled");
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
    log.warn({ url: where, err: err.message }, "mqtt.external_error");
  });

  client.on("close", () => {
    generation += 1;
    metrics.mqttExternalConnected.set(0);
    if (!started || closing) return;
    const reason = dropReason ?? lastError ?? "the broker closed the connection";
    dropReason = null;
    lastError = null;
    if (link.state !== "reconnecting") {
      link = { state: "reconnecting", sinceMs: now(), lastError: reason, attempts: 0 };
      log.warn({ url: where, reason }, "mqtt.external_disconnected");
    }
    scheduleReconnect();
  });

  async function subscribe(): Promise<void> {
    await client.subscribeAsync(
      PROBE_TOPIC_FILTERS.map((t) => t),
      { qos: 1 },
    );
  }

  function markConnected(): void {
    metrics.mqttExternalConnected.set(1);
    if (link.state === "reconnecting") {
      log.info(
        { url: where, downMs: now() - link.sinceMs, attempts: link.attempts },
        "mqtt.external_recovered",
      );
    }
    link = { state: "connected", sinceMs: now() };
    if (!journalFailure) step = 0;
  }

  client.on("connect", (connack: IConnackPacket) => {
    if (!started || closing) return;
    const gen = generation;
    // The broker kept the session (and its subscriptions) unless it says otherwise, e.g. after
    // a crash before it saved its database: then subscribe again.
    if (connack.sessionPresent) {
      markConnected();
      return;
    }
    log.info({ url: where }, "mqtt.external_session_lost_resubscribing");
    subscribe().then(
      () => {
        if (gen === generation) markConnected();
      },
      (err: Error) => {
        log.warn({ url: where, err: err.message }, "mqtt.external_subscribe_failed");
        if (gen === generation) drop(`subscribe failed: ${err.message}`);
      },
    );
  });

  // The first connection must succeed: a wrong URL or password stops the start with its reason.
  try {
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
      client.connect();
    });
    await subscribe();
  } catch (e) {
    await client.endAsync(true);
    throw e;
  }
  started = true;
  markConnected();
  log.info({ url: where }, "mqtt.external_connected");

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
