/**
 * Bridge for BLE gateways people already run (OpenMQTTGateway on an ESP32, Theengs Gateway on a Pi):
 * the server subscribes to the household's own broker, maps each sensor's MAC to a registered probe,
 * and feeds readings into the same ingest path as if the probe had published them (journal, dead
 * letters, metrics, rules), rate-limited like coldtrail's own gateway: one reading per probe per
 * window, the window's median (see firmware-bridge `gateway/reading-window.ts` for why).
 *
 * These gateways send no timestamp: a reading's time is its arrival here. They publish at QoS 0, so
 * delivery is at most once; a message lost while the household broker or this server was down is gone,
 * and shows as unmonitored time, never as safe time.
 */

// Shared with the gateway so both paths rate-limit alike.
import {
  createCounterGuard,
  createReadingWindows,
  type WindowedReading,
} from "@coldtrail/firmware-bridge/gateway";
import { readingsTopic } from "@coldtrail/firmware-bridge/protocol";
import mqtt, { type MqttClient } from "mqtt";
import { Counter, type Registry } from "prom-client";
import type { IncomingMessage, IngestOutcome } from "../ingest/ingest.js";
import type { Logger } from "../logger.js";
import { type IgnoreReason, parseGatewayMessage } from "./gateway-message.js";

/** OpenMQTTGateway (any gateway name) and Theengs Gateway default topics. */
export const DEFAULT_BLE_BRIDGE_TOPICS = ["home/+/BTtoMQTT/+"] as const;
export const BLE_BRIDGE_CLIENT_ID = "ble-bridge";

export interface BleGatewayBridgeOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  topics: readonly string[];
  /** Normalised `AA:BB:CC:DD:EE:FF` → registered probe id, or null for a device not registered. */
  macToProbe(mac: string): string | null;
  /** Per-device BTHome bindkey, when the raw (still encrypted) advertisement is published. */
  bindkeyOf?(mac: string): string | undefined;
  ingest: { handle(msg: IncomingMessage): Promise<IngestOutcome> };
  log: Logger;
  now(): number;
  /** Default 60 s (the server's expected probe interval). */
  windowMs?: number;
  /** How often silent windows are closed; default 1 s. */
  tickMs?: number;
  reconnectMs?: number;
  /** Registers `coldtrail_ble_bridge_messages_total{outcome}` here when given. */
  registry?: Registry;
}

export type BridgeOutcome = IgnoreReason | "sample" | "ingested" | "refused";

export interface BleGatewayBridge {
  /** Messages by outcome: every ignored one has its reason. */
  readonly counts: Readonly<Record<BridgeOutcome, number>>;
  /** Resolves once subscribed for the first time. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const OUTCOMES: readonly BridgeOutcome[] = [
  "not_json",
  "no_mac",
  "unknown_mac",
  "undecodable",
  "no_temperature",
  "replayed",
  "retained",
  "sample",
  "ingested",
  "refused",
];

export function startBleGatewayBridge(o: BleGatewayBridgeOptions): BleGatewayBridge {
  const log = o.log;
  const counts = Object.fromEntries(OUTCOMES.map((k) => [k, 0])) as Record<BridgeOutcome, number>;
  const metric = o.registry
    ? new Counter({
        name: "coldtrail_ble_bridge_messages_total",
        help: "Messages from household BLE gateways, by outcome (sample = used; others are why a message was ignored)",
        labelNames: ["outcome"] as const,
        registers: [o.registry],
      })
    : null;
  const count = (outcome: BridgeOutcome) => {
    counts[outcome]++;
    metric?.inc({ outcome });
  };
  const windows = createReadingWindows(o.windowMs ?? 60_000);
  const guard = createCounterGuard();
  const warned = new Set<string>();

  async function ingestReading(probeId: string, r: WindowedReading): Promise<void> {
    const payload = {
      readings: [{ ts: r.tsMs, temp_c: Math.round(r.tempC * 100) / 100 }],
      ...(r.batteryPct !== undefined && { battery_pct: r.batteryPct }),
      ...(r.batteryMv !== undefined && { battery_mv: Math.round(r.batteryMv) }),
      ...(r.rssi !== undefined && { rssi: r.rssi }),
    };
    try {
      const outcome = await o.ingest.handle({
        topic: readingsTopic(probeId),
        payload: Buffer.from(JSON.stringify(payload)),
        username: probeId,
        clientId: BLE_BRIDGE_CLIENT_ID,
      });
      // A refused reading is already logged, counted and dead-lettered by ingest.
      count(outcome.ok && outcome.refused === 0 ? "ingested" : "refused");
    } catch (e) {
      count("refused");
      log.error({ probeId, err: (e as Error).message }, "ble_bridge.ingest_failed");
    }
  }

  function onMessage(topic: string, payload: Buffer, retained: boolean): void {
    const parsed = parseGatewayMessage(
      topic,
      payload,
      (mac) => o.bindkeyOf?.(mac),
      (mac) => o.macToProbe(mac) !== null,
    );
    if (!parsed.ok) {
      count(parsed.reason);
      if (parsed.reason === "undecodable" && parsed.mac && !warned.has(parsed.mac)) {
        warned.add(parsed.mac);
        log.warn(
          { mac: parsed.mac, topic: topic.slice(0, 200), detail: parsed.detail },
          "ble_bridge.undecodable",
        );
      }
      return;
    }
    if (retained) {
      count("retained");
      return;
    }
    const probeId = o.macToProbe(parsed.mac);
    if (probeId === null) {
      count("unknown_mac"); // unregistered between the two lookups
      return;
    }
    const r = parsed.reading;
    if (r.counter !== undefined) {
      const c = guard.check(parsed.mac, r.counter);
      if (!c.ok) {
        count("replayed");
        log.warn({ probeId, mac: parsed.mac, counter: r.counter }, "ble_bridge.replayed");
        return;
      }
    }
    count("sample");
    const nowMs = o.now();
    const added = windows.add(
      probeId,
      {
        atMs: nowMs,
        tempC: r.tempC,
        ...(r.batteryPct !== undefined && { batteryPct: r.batteryPct }),
        ...(r.batteryMv !== undefined && { batteryMv: r.batteryMv }),
        ...(r.rssi !== undefined && { rssi: r.rssi }),
      },
      nowMs,
    );
    if (added.kind === "added" && added.closed) void ingestReading(probeId, added.closed);
  }

  const client: MqttClient = mqtt.connect(o.url, {
    username: o.username,
    password: o.password,
    clientId: `coldtrail-ble-bridge-${Math.random().toString(36).slice(2, 10)}`,
    clean: true,
    reconnectPeriod: o.reconnectMs ?? 2000,
  });
  let lastError = "";
  client.on("error", (err) => {
    if (err.message !== lastError)
      log.warn({ url: new URL(o.url).origin, err: err.message }, "ble_bridge.mqtt_error");
    lastError = err.message;
  });
  client.on("message", (topic, payload, packet) => onMessage(topic, payload, packet.retain));
  const ready = new Promise<void>((resolve) => {
    client.once("connect", () => {
      // mqtt.js re-subscribes by itself after a reconnect (clean session, `resubscribe` default).
      client.subscribe([...o.topics], { qos: 0 }, (err) => {
        if (err) log.error({ err: err.message, topics: o.topics }, "ble_bridge.subscribe_failed");
        else log.info({ url: new URL(o.url).origin, topics: o.topics }, "ble_bridge.subscribed");
        resolve();
      });
    });
  });
  const tick = setInterval(() => {
    for (const { probeId, reading } of windows.due(o.now())) void ingestReading(probeId, reading);
  }, o.tickMs ?? 1000);
  tick.unref();

  return {
    counts,
    ready,
    async close() {
      clearInterval(tick);
      await client.endAsync().catch(() => undefined);
      // Whatever was collected in the open windows is still a reading.
      await Promise.all(windows.flushAll().map(({ probeId, reading }) => ingestReading(probeId, reading)));
    },
  };
}
