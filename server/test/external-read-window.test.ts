import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMosquittoInstalled, type MosquittoHarness } from "../../test/mosquitto.js";
import { connectExternalConnection, type ExternalConnection } from "../src/broker/external-connection.js";
import type { MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import { drainSession } from "../src/broker/session-adoption.js";
import type { IncomingMessage, IngestOutcome } from "../src/ingest/ingest.js";
import { createLogger } from "../src/logger.js";
import type { Metrics } from "../src/metrics.js";
import { waitFor } from "./harness.js";
import { readingPayload, SERVER_USER, startIngestBroker } from "./ingest-broker.js";

/**
 * Neither an ingest connection nor the drain of an adopted session holds more messages read and not
 * yet journaled than its Receive Maximum, although Mosquitto 2.0 sends past it once PUBACKs flow
 * (read-window.ts): with a journal that takes a little while per message, the reader stops reading
 * and Mosquitto keeps the rest queued; every message still arrives once, in order, and each is
 * acknowledged.
 */
const skip = process.env.COLDTRAIL_SKIP_MOSQUITTO === "1" || !isMosquittoInstalled();
const log = createLogger(process.env.COLDTRAIL_TEST_LOG ?? "silent");
const FILTER = "coldtrail/v1/probes/+/readings";
const RECEIVE_MAXIMUM = 5;
const counter = () => ({ inc() {} });
const metrics = {
  mqttExternalReconnects: counter(),
  journalFailures: counter(),
} as unknown as Pick<Metrics, "mqttExternalReconnects" | "journalFailures">;

/**
 * A journal that finishes each message a few milliseconds after it was read: PUBACKs flow while
 * messages are still queued, which is when Mosquitto sends more than it was allowed. It keeps the
 * sequence numbers it read and the most it ever held at once.
 */
function slowJournal() {
  const j = {
    outstanding: 0,
    most: 0,
    seen: [] as number[],
    ingest(msg: IncomingMessage): Promise<IngestOutcome> {
      j.outstanding++;
      j.most = Math.max(j.most, j.outstanding);
      j.seen.push(JSON.parse(msg.payload.toString()).readings[0].seq);
      return new Promise((resolve) =>
        setTimeout(() => {
          j.outstanding--;
          resolve({ ok: true, readings: 1, refused: 0 });
        }, 5),
      );
    },
  };
  return j;
}

const inOrder = (total: number) => Array.from({ length: total }, (_, i) => i + 1);

describe.skipIf(skip)("read window behind Mosquitto", () => {
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

  /** The probe publishes readings 1..total (QoS 1) and disconnects once Mosquitto has them all. */
  async function publishReadings(total: number): Promise<void> {
    const device = await mqtt.connectAsync(m.url, {
      username: probe.id,
      password: probe.secret,
      clientId: probe.id,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      const topic = `coldtrail/v1/probes/${probe.id}/readings`;
      const t0 = Date.now() - 60_000;
      await Promise.all(
        Array.from({ length: total }, (_, i) =>
          device.publishAsync(topic, readingPayload(t0 + i * 10, -19, i + 1), { qos: 1 }),
        ),
      );
    } finally {
      await device.endAsync();
    }
  }

  it("an ingest connection holds at most Receive Maximum messages before their journal commits, and loses none", async () => {
    const total = 200;
    const journal = slowJournal();
    let conn: ExternalConnection | null = null;
    try {
      conn = await connectExternalConnection({
        url: m.url,
        ...SERVER_USER,
        clientId: `window-${process.pid}`,
        protocolVersion: 5,
        filters: [FILTER],
        receiveMaximum: RECEIVE_MAXIMUM,
        log,
        onConnected() {},
        metrics,
        ingest: journal.ingest,
      });
      await publishReadings(total);
      await waitFor(async () => journal.seen.length >= total && journal.outstanding === 0, 60_000);
      expect(journal.most).toBeLessThanOrEqual(RECEIVE_MAXIMUM);
      // Each once, in order: nothing redelivered (each was acknowledged), nothing lost.
      expect(journal.seen).toEqual(inOrder(total));
    } finally {
      await conn?.close();
    }
  }, 120_000);

  it("an adopted session's drain holds at most Receive Maximum messages, and drains each once in order", async () => {
    const total = 300;
    const clientId = `adopt-window-${process.pid}`;
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
    await publishReadings(total);

    const journal = slowJournal();
    const drain = drainSession({
      url: m.url,
      ...SERVER_USER,
      clientId,
      filters: [FILTER],
      receiveMaximum: RECEIVE_MAXIMUM,
      log,
      ingest: journal.ingest,
      timeoutMs: 90_000,
    });
    expect(await drain.done).toEqual({ ok: true, sessionPresent: true, messages: total });
    expect(journal.most).toBeLessThanOrEqual(RECEIVE_MAXIMUM);
    // Each once, in order: nothing redelivered (each was acknowledged), nothing lost.
    expect(journal.seen).toEqual(inOrder(total));
  }, 120_000);
});
