/**
 * The embedded broker's fast path (issue #12): a probe's QoS 1 readings on its own topic are taken
 * out of the socket's bytes before aedes parses them, journaled and acknowledged by coldtrail.
 * Against a real aedes over real sockets, speaking raw MQTT 3.1.1 (mqtt-packet), so what is on the
 * wire is what is checked: PUBACKs in the PUBLISHes' order when aedes and the fast path share a
 * connection, the keepalive kept by readings alone, and readings still delivered to a subscriber.
 */
import { once } from "node:events";
import { connect as netConnect, type Socket } from "node:net";
import mqtt from "mqtt";
import mqttPacket, { type Packet } from "mqtt-packet";
import { Registry } from "prom-client";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type EmbeddedBroker, startEmbeddedBroker } from "../src/broker/embedded.js";
import type { IncomingMessage } from "../src/ingest/ingest.js";
import { createLogger } from "../src/logger.js";
import { hashSecret } from "../src/registry/secrets.js";
import { waitFor } from "./harness.js";

const SECRET = "s3cret-0123456789";
const PROBE = "probe-fast";
const READINGS = `coldtrail/v1/probes/${PROBE}/readings`;
const STATUS = `coldtrail/v1/probes/${PROBE}/status`;

const brokers: EmbeddedBroker[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});
afterAll(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

/** A real embedded broker whose ingest journals nothing but records, in order, what it was given. */
async function fastBroker(): Promise<{ broker: EmbeddedBroker; ingested: IncomingMessage[] }> {
  const ingested: IncomingMessage[] = [];
  const hash = hashSecret(SECRET);
  const broker = await startEmbeddedBroker({
    port: 0,
    limits: { maxConnections: 10, maxConnectionsPerProbe: 2 },
    log: createLogger("silent"),
    registry: new Registry(),
    secretHashOf: (id) => (id === PROBE ? hash : null),
    async ingest(msg) {
      // The payload may be a view of the socket's bytes: copied, as the journal copies it.
      ingested.push({ ...msg, payload: Buffer.from(msg.payload) });
      return { ok: true, readings: 1, refused: 0 };
    },
  });
  brokers.push(broker);
  return { broker, ingested };
}

/** A raw MQTT 3.1.1 connection, logged in as the probe, with the packets the broker sent. */
async function rawProbe(port: number, keepalive = 60) {
  const socket = netConnect(port, "127.0.0.1");
  sockets.push(socket);
  socket.on("error", () => {});
  const received: Packet[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on("packet", (p) => received.push(p));
  socket.on("data", (chunk) => parser.parse(chunk));
  let closedAt: number | null = null;
  socket.once("close", () => {
    closedAt = Date.now();
  });
  await once(socket, "connect");
  socket.write(
    mqttPacket.generate({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: true,
      clientId: PROBE,
      keepalive,
      username: PROBE,
      password: Buffer.from(SECRET),
    }),
  );
  await waitFor(async () => received.some((p) => p.cmd === "connack"));
  const publish = (topic: string, id: number, body: unknown, retain = false) =>
    mqttPacket.generate({
      cmd: "publish",
      topic,
      payload: Buffer.from(JSON.stringify(body)),
      qos: 1,
      messageId: id,
      retain,
      dup: false,
    });
  const pubackIds = () =>
    received.filter((p) => p.cmd === "puback").map((p) => (p as { messageId: number }).messageId);
  return { socket, received, publish, pubackIds, closedAt: () => closedAt };
}

const reading = (i: number) => ({ t: 1_700_000_000 + i * 60, temp_c: -18.5 });

describe("embedded broker fast path", () => {
  it("takes readings out of aedes' way and acknowledges them, in the order sent, beside aedes' own PUBACKs", async () => {
    const { broker, ingested } = await fastBroker();
    const probe = await rawProbe(broker.port);
    // One write: readings, a retained status (aedes'), then readings right behind it.
    probe.socket.write(
      Buffer.concat([
        probe.publish(READINGS, 1, reading(1)),
        probe.publish(READINGS, 2, reading(2)),
        probe.publish(STATUS, 3, { battery_v: 3.1 }, true),
        probe.publish(READINGS, 4, reading(4)),
        probe.publish(READINGS, 5, reading(5)),
      ]),
    );
    await waitFor(async () => probe.pubackIds().length === 5);
    expect(probe.pubackIds()).toEqual([1, 2, 3, 4, 5]);
    expect(ingested.map((m) => m.topic)).toEqual([READINGS, READINGS, STATUS, READINGS, READINGS]);
    expect(ingested[0]).toMatchObject({ username: PROBE, clientId: PROBE });
    expect(JSON.parse(ingested[4]?.payload.toString() ?? "")).toEqual(reading(5));
    // The first two went the fast path; the status was aedes'.
    expect(broker.fastPublishes).toBeGreaterThanOrEqual(2);

    // Later readings, in their own writes, go the fast path again.
    const before = broker.fastPublishes;
    for (let id = 6; id <= 8; id++) probe.socket.write(probe.publish(READINGS, id, reading(id)));
    await waitFor(async () => probe.pubackIds().length === 8);
    expect(probe.pubackIds().slice(5)).toEqual([6, 7, 8]);
    expect(broker.fastPublishes).toBe(before + 3);
  });

  it("keeps the connection alive on readings alone, as aedes does for the packets it reads", async () => {
    const { broker } = await fastBroker();
    // Keepalive 1 s: aedes closes a connection silent for 1.5 s.
    const probe = await rawProbe(broker.port, 1);
    for (let id = 1; id <= 8; id++) {
      probe.socket.write(probe.publish(READINGS, id, reading(id)));
      await new Promise((r) => setTimeout(r, 400));
    }
    expect(probe.closedAt()).toBeNull();
    expect(probe.pubackIds()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(broker.fastPublishes).toBe(8);
    // Silent, it is closed as before.
    await waitFor(async () => probe.closedAt() !== null, 5_000);
  });

  it("leaves readings to aedes while a subscription could receive them, so the subscriber gets them", async () => {
    const { broker, ingested } = await fastBroker();
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      username: PROBE,
      password: SECRET,
      clientId: `${PROBE}:watch`,
      reconnectPeriod: 0,
    });
    try {
      await watcher.subscribeAsync(READINGS, { qos: 1 });
      const delivered: string[] = [];
      watcher.on("message", (_topic, payload) => delivered.push(payload.toString()));
      const probe = await rawProbe(broker.port);
      probe.socket.write(probe.publish(READINGS, 1, reading(1)));
      await waitFor(async () => delivered.length === 1);
      expect(JSON.parse(delivered[0] ?? "")).toEqual(reading(1));
      expect(probe.pubackIds()).toEqual([1]);
      expect(ingested).toHaveLength(1);
      expect(broker.fastPublishes).toBe(0);

      // Unsubscribed, readings take the fast path again.
      await watcher.unsubscribeAsync(READINGS);
      probe.socket.write(probe.publish(READINGS, 2, reading(2)));
      await waitFor(async () => probe.pubackIds().length === 2);
      expect(broker.fastPublishes).toBe(1);
      expect(delivered).toHaveLength(1);
    } finally {
      watcher.end(true);
    }
  });
});
