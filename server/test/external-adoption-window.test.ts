import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMosquittoInstalled, type MosquittoHarness } from "../../test/mosquitto.js";
import type { MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import { drainSession } from "../src/broker/session-adoption.js";
import type { IncomingMessage, IngestOutcome } from "../src/ingest/ingest.js";
import { createLogger } from "../src/logger.js";
import { readingPayload, SERVER_USER, startIngestBroker } from "./ingest-broker.js";

/**
 * Draining an adopted session holds no more messages read and not yet journaled than its Receive
 * Maximum (read-window.ts), although Mosquitto 2.0 sends past it once PUBACKs flow: with a queued
 * backlog and a journal that takes a little while per message, the drain stops reading and
 * Mosquitto keeps the rest queued; every message still arrives once, in order, and the session ends.
 */
const skip = process.env.COLDTRAIL_SKIP_MOSQUITTO === "1" || !isMosquittoInstalled();
const log = createLogger(process.env.COLDTRAIL_TEST_LOG ?? "silent");
const FILTER = "coldtrail/v1/probes/+/readings";

describe.skipIf(skip)("adopted session drain read window behind Mosquitto", () => {
  let m: MosquittoHarness;
  let prov: MosquittoProvisioner;
  const probe = { id: "p-adopt-window", secret: "secret-adopt-window-0123456789" };

  beforeAll(async () => {
    ({ m, prov } = await startIngestBroker(log));
    expect(await prov.ensureProbe(probe.id, probe.secret)).toEqual({ ok: true });
  }, 60_000);
  afterAll(async () => {
    await prov?.close();
    await m?.dispose();
  });

  it("holds at most Receive Maximum messages before their journal commits, and drains each once in order", async () => {
    const receiveMaximum = 5;
    const total = 300;
    const clientId = `adopt-window-${process.pid}`;
    let device: MqttClient | null = null;
    try {
      // The dead instance's persistent session: subscribed at QoS 1, then gone, so Mosquitto queues.
      const owner = await mqtt.connectAsync(m.url, {
        ...SERVER_USER,
        clientId,
        clean: false,
        protocolVersion: 5,
        reconnectPeriod: 0,
        properties: { sessionExpiryInterval: 0xffffffff },
      });
      await owner.subscribeAsync(FILTER, { qos: 1 });
      await owner.endAsync();

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

      let outstanding = 0;
      let most = 0;
      const seen: number[] = [];
      // A journal that finishes each message a few milliseconds after it was read: PUBACKs flow
      // while the backlog is still queued, which is when Mosquitto sends more than it was allowed.
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
      const drain = drainSession({
        url: m.url,
        ...SERVER_USER,
        clientId,
        filters: [FILTER],
        receiveMaximum,
        log,
        ingest,
        timeoutMs: 90_000,
      });
      const result = await drain.done;
      expect(result).toEqual({ ok: true, sessionPresent: true, messages: total });
      expect(most).toBeLessThanOrEqual(receiveMaximum);
      // Each once, in order: nothing redelivered (each was acknowledged), nothing lost.
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    } finally {
      await device?.endAsync();
    }
  }, 120_000);
});
