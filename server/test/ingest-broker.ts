/**
 * A real Mosquitto (test/mosquitto.ts) with coldtrail's own ingest login in its dynamic-security
 * configuration, as `deploy/` sets it up: for the tests of ingest behind an external broker.
 */
import type { MqttClient } from "mqtt";
import { type MosquittoHarness, startMosquitto } from "../../test/mosquitto.js";
import { createMosquittoProvisioner, type MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import { createLogger, type Logger } from "../src/logger.js";

/** The login the server ingests with (COLDTRAIL_MQTT_USERNAME / _PASSWORD). */
export const SERVER_USER = { username: "coldtrail-server", password: "ingest-password-0123456789" };

export async function startIngestBroker(
  log: Logger = createLogger("silent"),
): Promise<{ m: MosquittoHarness; prov: MosquittoProvisioner }> {
  const m = await startMosquitto();
  const prov = await createMosquittoProvisioner({ url: m.url, ...m.admin, log });
  const ready = await prov.ensureServerClient(SERVER_USER.username, SERVER_USER.password);
  if (!ready.ok) throw new Error(ready.message);
  return { m, prov };
}

/** One reading as a probe publishes it (DESIGN.md wire contract). */
export const readingPayload = (ts: number, tempC: number, seq: number) =>
  JSON.stringify({ readings: [{ ts, temp_c: tempC, seq }] });

/**
 * A probe streaming bursts of QoS 1 readings (timestamps `start`, `start + 10`, …), so messages are
 * in flight to every ingest connection when a server dies. `acked` holds those the broker
 * acknowledged, `sent` every one published.
 */
export function streamReadings(c: MqttClient, topic: string, start: number, burstSize = 20) {
  const acked = new Set<number>();
  const sent = new Set<number>();
  let i = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, 20));
      const burst = Array.from({ length: burstSize }, () => {
        const ts = start + i * 10;
        i += 1;
        sent.add(ts);
        return c.publishAsync(topic, readingPayload(ts, -19 - (i % 16) / 16, i), { qos: 1 }).then(
          () => acked.add(ts),
          () => {},
        );
      });
      await Promise.all(burst);
    }
  })();
  return {
    acked,
    sent,
    async stop() {
      running = false;
      await done;
    },
  };
}

/**
 * The environment of one of several instances sharing a PostgreSQL database and this Mosquitto's
 * readings (MQTT 5 share group `coldtrail`, two ingest connections, the instance's name as its id
 * and ingest client id); `extra` adds to it.
 */
export function sharedInstanceEnv(
  name: string,
  o: { dataDir: string; databaseUrl: string; mqttUrl: string; leaseTtlS: number },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    COLDTRAIL_DATA_DIR: o.dataDir,
    COLDTRAIL_DATABASE_URL: o.databaseUrl,
    COLDTRAIL_INSTANCE_ID: name,
    COLDTRAIL_LEASE_TTL_S: String(o.leaseTtlS),
    COLDTRAIL_MQTT_URL: o.mqttUrl,
    COLDTRAIL_MQTT_USERNAME: SERVER_USER.username,
    COLDTRAIL_MQTT_PASSWORD: SERVER_USER.password,
    COLDTRAIL_MQTT_SHARE_GROUP: "coldtrail",
    COLDTRAIL_MQTT_INGEST_CLIENT_ID: name,
    COLDTRAIL_MQTT_INGEST_CLIENTS: "2",
    ...extra,
  };
}
