import { PROBE_TOPIC_FILTERS } from "@coldtrail/firmware-bridge/protocol";
import mqtt, { type MqttClient } from "mqtt";
import type { IncomingMessage, IngestOutcome } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";

export interface ExternalBrokerDeps {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Stable client id, so the broker keeps the persistent session (and queued QoS 1 messages). */
  clientId?: string;
  log: Logger;
  ingest(msg: IncomingMessage): Promise<IngestOutcome>;
}

/**
 * Ingest from an external broker (Mosquitto in production). The server subscribes with a
 * persistent session (clean = false) at QoS 1, and mqtt.js sends each PUBACK only after
 * `handleMessage` called back, i.e. after the readings are journaled: a message the server had
 * not journaled when it died is redelivered by the broker. Authentication and ACLs of devices
 * are the broker's job there (see docker-compose's Mosquitto configuration).
 */
export async function connectExternalBroker(
  deps: ExternalBrokerDeps,
): Promise<{ client: MqttClient; close(): Promise<void> }> {
  const { log } = deps;
  const client = mqtt.connect(deps.url, {
    clientId: deps.clientId ?? "coldtrail-ingest",
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    username: deps.username,
    password: deps.password,
    manualConnect: true,
  });
  client.handleMessage = (packet, callback) => {
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    deps
      .ingest({ topic: packet.topic, payload, username: null, clientId: null, retained: packet.retain })
      .then(
        () => callback(),
        (err: Error) => {
          log.error({ err: err.message }, "ingest.journal_failed");
          // Withhold the PUBACK; the broker redelivers on the next session.
          client.end(true);
        },
      );
  };
  client.on("error", (err) => log.warn({ err: err.message }, "mqtt.external_error"));
  client.on("reconnect", () => log.info({}, "mqtt.external_reconnect"));
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
    client.connect();
  });
  await client.subscribeAsync(
    PROBE_TOPIC_FILTERS.map((t) => t),
    { qos: 1 },
  );
  const u = new URL(deps.url);
  log.info({ url: `${u.protocol}//${u.host}` }, "mqtt.external_connected");
  return {
    client,
    async close() {
      // A broker that is away would keep a graceful end waiting on queued publishes: force it.
      const ended = await Promise.race([
        client.endAsync().then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 2000).unref()),
      ]);
      if (!ended) await client.endAsync(true);
    },
  };
}
