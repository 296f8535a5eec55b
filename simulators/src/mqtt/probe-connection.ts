import { statusTopic } from "@coldtrail/firmware-bridge/protocol";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

/**
 * One MQTT connection speaking as one probe (DESIGN.md, "Wire protocol"): username = probe id,
 * password = its secret, a persistent session (clean = false) so QoS 1 messages survive a
 * reconnect, the retained last will `{"state":"offline"}` on the status topic, and a retained
 * `{"state":"online","fw":…}` published on every (re)connect.
 */
export interface ProbeConnectionOptions {
  url: string;
  probeId: string;
  username?: string;
  password?: string;
  fw?: string;
  clientId?: string;
  /** Publish the online status and set the last will (default true). */
  status?: boolean;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
}

export const OFFLINE_PAYLOAD = JSON.stringify({ state: "offline" });

export function onlinePayload(fw: string): string {
  return JSON.stringify({ state: "online", fw });
}

export function connectProbe(o: ProbeConnectionOptions): MqttClient {
  const status = o.status ?? true;
  const options: IClientOptions = {
    clientId: o.clientId ?? `${o.probeId}:sim`,
    clean: false,
    reconnectPeriod: o.reconnectPeriodMs ?? 2000,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    ...(o.username !== undefined && { username: o.username }),
    ...(o.password !== undefined && { password: o.password }),
    ...(status && {
      will: { topic: statusTopic(o.probeId), payload: Buffer.from(OFFLINE_PAYLOAD), qos: 1, retain: true },
    }),
  };
  const client = mqtt.connect(o.url, options);
  if (status) {
    client.on("connect", () => {
      client.publish(statusTopic(o.probeId), onlinePayload(o.fw ?? "sim-0.1.0"), { qos: 1, retain: true });
    });
  }
  return client;
}

/** CONNACK codes that mean "these credentials are wrong", in MQTT 3.1.1 (4, 5) and 5.0 (134, 135). */
const AUTH_CODES = new Set([4, 5, 134, 135]);

export type Connected = { ok: true } | { ok: false; reason: string; authRefused: boolean };

/** Waits for the first CONNACK. An auth refusal stops the client's retries. */
export function waitConnected(client: MqttClient, timeoutMs: number): Promise<Connected> {
  if (client.connected) return Promise.resolve({ ok: true });
  return new Promise((resolve) => {
    const done = (r: Connected) => {
      clearTimeout(timer);
      client.off("connect", onConnect);
      client.off("error", onError);
      resolve(r);
    };
    const onConnect = () => done({ ok: true });
    const onError = (e: Error & { code?: number | string }) => {
      const code = typeof e.code === "number" ? e.code : Number.NaN;
      if (AUTH_CODES.has(code)) {
        client.end(true);
        done({
          ok: false,
          authRefused: true,
          reason: `the broker refused the credentials (CONNACK ${code}: ${e.message})`,
        });
      }
    };
    const timer = setTimeout(
      () =>
        done({
          ok: false,
          authRefused: false,
          reason: `no CONNACK within ${timeoutMs} ms: is the broker reachable?`,
        }),
      timeoutMs,
    );
    client.on("connect", onConnect);
    client.on("error", onError);
  });
}

/** Marks the probe offline (retained) and disconnects cleanly. */
export async function closeProbe(client: MqttClient, probeId: string, status = true): Promise<void> {
  if (status && client.connected) {
    await Promise.race([
      client
        .publishAsync(statusTopic(probeId), OFFLINE_PAYLOAD, { qos: 1, retain: true })
        .catch(() => undefined),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
  }
  await client.endAsync(!client.connected).catch(() => undefined);
}
