import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMosquittoInstalled, type MosquittoHarness } from "../../test/mosquitto.js";
import { connectExternalConnection, type ExternalConnection } from "../src/broker/external-connection.js";
import type { MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import type { IncomingMessage, IngestOutcome } from "../src/ingest/ingest.js";
import { createLogger } from "../src/logger.js";
import type { Metrics } from "../src/metrics.js";
import { waitFor } from "./harness.js";
import { readingPayload, SERVER_USER, startIngestBroker } from "./ingest-broker.js";

/**
 * An ingest connection never holds more messages read and not yet journaled than its Receive
 * Maximum, although Mosquitto 2.0 sends past it once PUBACKs flow (read-window.ts): with a journal
 * that takes a little while per message, the connection stops reading and Mosquitto keeps the rest
 * queued; every message still arrives once, and each is acknowledged.
 */
const skip = process.env.COLDTRAIL_SKIP_MOSQUITTO === "1" || !isMosquittoInstalled();
const log = createLogger(process.env.COLDTRAIL_TEST_LOG ?? "silent");
const counter = () => ({ inc() {} });
const metrics = {
  mqttExternalReconnects: counter(),
  journalFailures: counter(),
} as unknown as Pick<Metrics, "mqttExternalReconnects" | "journalFailures">;

describe.skipIf(skip)("ingest read window behind Mosquitto", () => {
  let m: MosquittoHarness;
  let prov: MosquittoProvisioner;
  const probe = { id: "p-window", secret: "secret-window-0123456789" };

  beforeAll(async () => {
    ({ m, prov } = await startIngestBroker(log));
    expect(await prov.ensureProbe(probe.id, probe.secret)).toEqual({ ok: true });
  }, 60_000);
  afterAll(async () => {
    await prov?.close();
    await m?.dispose();
  });

  it("holds at most Receive Maximum messages before their journal commits, and loses none", async () => {
    const receiveMaximum = 5;
    const total = 200;
    let outstanding = 0;
    let most = 0;
    const seen: number[] = [];
    // A journal that finishes each message a few milliseconds after it was read: PUBACKs flow while
    // the probe goes on publishing, which is when Mosquitto sends more than it was allowed.
    const ingest = (msg: IncomingMessage): Promise<IngestOutcome> => {
      outstanding++;
      most = Math.max(most, outstanding);
      seen.push(JSON.parse(msg.payload.toString()).readings[0].seq);
      return new Promise((resolve) =>
        setTimeout(() => {
          outstanding--;
          resolve({ ok: true, readings: 1, refused: 0 });
        }, 5),
      );
    };
    let conn: ExternalConnection | null = null;
    let device: MqttClient | null = null;
    try {
      conn = await connectExternalConnection({
        url: m.url,
        ...SERVER_USER,
        clientId: `window-${process.pid}`,
        protocolVersion: 5,
        filters: ["coldtrail/v1/probes/+/readings"],
        receiveMaximum,
        log,
        onConnected() {},
        metrics,
        ingest,
      });
      device = await mqtt.connectAsync(m.url, {
        username: probe.id,
        password: probe.secret,
        clientId: probe.id,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      const topic = `coldtrail/v1/probes/${probe.id}/readings`;
      const t0 = Date.now() - 60_000;
      const d = device;
      await Promise.all(
        Array.from({ length: total }, (_, i) =>
          d.publishAsync(topic, readingPayload(t0 + i * 10, -19, i + 1), { qos: 1 }),
        ),
      );
      await waitFor(async () => seen.length >= total && outstanding === 0, 60_000);
      expect(most).toBeLessThanOrEqual(receiveMaximum);
      // Each once, in order: nothing redelivered (each was acknowledged), nothing lost.
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    } finally {
      await device?.endAsync();
      await conn?.close();
    }
  }, 120_000);
});
