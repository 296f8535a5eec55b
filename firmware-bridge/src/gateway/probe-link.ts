/**
 * One MQTT connection per probe (DESIGN.md: username = probe id, password = its secret; a probe may
 * publish only under its own id), with the retained status as last will. It drains the probe's spool
 * oldest first in messages of at most 500 readings (the protocol's limit), one message in flight at a
 * time so order is kept, and removes a batch from the spool only after its PUBACK. While the broker is
 * unreachable mqtt.js reconnects on its own; an unacknowledged message is re-sent by mqtt.js when the
 * connection comes back.
 */
import { setTimeout as sleep } from "node:timers/promises";
import mqtt, { type MqttClient } from "mqtt";
import { PROTOCOL_LIMITS } from "../protocol/limits.js";
import type { ReadingsMessage } from "../protocol/readings.js";
import { readingsTopic, statusTopic } from "../protocol/topics.js";
import type { GatewayLog } from "./gateway-log.js";
import type { Spool, SpoolEntry } from "./spool.js";

export interface ProbeLinkOptions {
  broker: string;
  probeId: string;
  secret: string;
  spool: Spool;
  log: GatewayLog;
  /** Firmware string in the status message. */
  fw: string;
  reconnectMs?: number;
  maxBatch?: number;
  /** Called after each acknowledged batch (tests, metrics). */
  onAcked?(probeId: string, entries: readonly SpoolEntry[]): void;
}

export function payloadOf(batch: readonly SpoolEntry[]): ReadingsMessage {
  const last = batch.at(-1);
  return {
    readings: batch.map((e) => ({ ts: e.ts, temp_c: e.temp_c, seq: e.seq })),
    ...(last?.battery_pct !== undefined && { battery_pct: last.battery_pct }),
    ...(last?.battery_mv !== undefined && { battery_mv: last.battery_mv }),
    ...(last?.rssi !== undefined && { rssi: last.rssi }),
  };
}

export function startProbeLink(o: ProbeLinkOptions) {
  const maxBatch = Math.min(
    o.maxBatch ?? PROTOCOL_LIMITS.maxReadingsPerMessage,
    PROTOCOL_LIMITS.maxReadingsPerMessage,
  );
  const topic = readingsTopic(o.probeId);
  const client: MqttClient = mqtt.connect(o.broker, {
    username: o.probeId,
    password: o.secret,
    clientId: `${o.probeId}:gw`,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: o.reconnectMs ?? 5000,
    connectTimeout: 10_000,
    will: {
      topic: statusTopic(o.probeId),
      payload: Buffer.from(JSON.stringify({ state: "offline", fw: o.fw })),
      qos: 1,
      retain: true,
    },
  });
  let wake: (() => void) | null = null;
  let closed = false;
  let everConnected = false;
  let lastError = "";
  const kick = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  client.on("connect", () => {
    o.log.info(
      { probeId: o.probeId, pending: o.spool.pending },
      everConnected ? "gateway.reconnected" : "gateway.connected",
    );
    everConnected = true;
    lastError = "";
    client.publish(statusTopic(o.probeId), JSON.stringify({ state: "online", fw: o.fw }), {
      qos: 1,
      retain: true,
    });
    kick();
  });
  client.on("close", () => kick());
  client.on("error", (err) => {
    // Log each distinct failure once, not on every reconnect attempt.
    if (err.message !== lastError) o.log.warn({ probeId: o.probeId, err: err.message }, "gateway.mqtt_error");
    lastError = err.message;
  });

  async function pump(): Promise<void> {
    while (!closed) {
      if (!client.connected || o.spool.pending === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      const batch = o.spool.peek(maxBatch);
      try {
        await client.publishAsync(topic, JSON.stringify(payloadOf(batch)), { qos: 1 });
      } catch (e) {
        if (closed) return;
        o.log.warn({ probeId: o.probeId, err: (e as Error).message }, "gateway.publish_failed");
        await sleep(1000);
        continue;
      }
      // Acknowledged even if closing meanwhile: the spool forgets it, so it is not sent twice.
      o.spool.ack(batch.length);
      o.log.debug(
        { probeId: o.probeId, readings: batch.length, pending: o.spool.pending },
        "gateway.published",
      );
      o.onAcked?.(o.probeId, batch);
    }
  }
  const pumping = pump();

  return {
    probeId: o.probeId,
    /** A reading was spooled: publish it if connected. */
    kick,
    get connected(): boolean {
      return client.connected;
    },
    /** Orderly stop: says "offline" itself (the will is only for an unclean end), then disconnects. */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      kick();
      if (client.connected) {
        await client
          .publishAsync(statusTopic(o.probeId), JSON.stringify({ state: "offline", fw: o.fw }), {
            qos: 1,
            retain: true,
          })
          .catch(() => undefined);
      }
      await client.endAsync(true).catch(() => undefined);
      await pumping;
    },
  };
}
export type ProbeLink = ReturnType<typeof startProbeLink>;
