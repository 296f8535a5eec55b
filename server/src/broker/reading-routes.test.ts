import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import {
  couldMatchReadingTopic,
  createReadingPersistence,
  createReadingRouter,
  isReadingTopic,
} from "./reading-routes.js";

describe("reading topics", () => {
  it("knows a probe's reading topics and nothing else", () => {
    expect(isReadingTopic("coldtrail/v1/probes/p_1/readings")).toBe(true);
    expect(isReadingTopic("coldtrail/v1/probes/p_1/temp_c")).toBe(true);
    for (const other of [
      "coldtrail/v1/probes/p_1/status",
      "coldtrail/v1/probes/p_1/commands",
      "coldtrail/v1/probes/p_1/tele/readings",
      "coldtrail/v1/probes//readings",
      "coldtrail/v1/probes/readings",
      "coldtrail/v2/probes/p_1/readings",
      "$SYS/broker/new/clients",
    ]) {
      expect(isReadingTopic(other), other).toBe(false);
    }
  });

  it("counts every filter that could match one as a reader, and no other", () => {
    for (const f of [
      "#",
      "+/#",
      "coldtrail/#",
      "coldtrail/v1/probes/+/readings",
      "coldtrail/v1/probes/p_1/readings",
      "coldtrail/v1/probes/p_1/temp_c",
      "coldtrail/v1/probes/p_1/#",
      "coldtrail/v1/probes/p_1/readings/#",
      "coldtrail/v1/probes/+/+",
      "+/+/+/+/+",
      "$share/g/coldtrail/v1/probes/+/readings",
    ]) {
      expect(couldMatchReadingTopic(f), f).toBe(true);
    }
    for (const f of [
      "coldtrail/v1/probes/p_1/status",
      "coldtrail/v1/probes/p_1/commands",
      "coldtrail/v1/probes/+",
      "coldtrail/v1/probes/p_1/readings/x",
      "+/+/+/+",
      "$SYS/+/heartbeat",
      "other/v1/probes/+/readings",
    ]) {
      expect(couldMatchReadingTopic(f), f).toBe(false);
    }
  });
});

describe("aedes with the reading router and persistence", () => {
  let broker: Aedes | undefined;
  let server: Server | undefined;
  const clients: MqttClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    if (broker) await new Promise<void>((r) => broker?.close(() => r()));
    if (server) await new Promise<void>((r) => server?.close(() => r()));
    broker = undefined;
    server = undefined;
  });

  async function start(): Promise<string> {
    broker = await Aedes.createBroker({
      mq: createReadingRouter(100),
      persistence: createReadingPersistence(),
    });
    const b = broker;
    server = createServer(b.handle);
    const s = server;
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    const a = s.address();
    return `mqtt://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
  }

  async function connect(url: string, clientId: string, clean = true): Promise<MqttClient> {
    const c = await mqtt.connectAsync(url, { clientId, clean, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  }

  /** The next message `c` receives, as "topic payload". */
  const next = (c: MqttClient) =>
    new Promise<string>((r) => c.once("message", (topic, payload) => r(`${topic} ${payload}`)));

  it("delivers readings to a live subscriber, and other topics while nobody reads readings", async () => {
    const url = await start();
    const probe = await connect(url, "probe");
    const watcher = await connect(url, "watcher");
    await watcher.subscribeAsync("coldtrail/v1/probes/p_1/status", { qos: 1 });
    let got = next(watcher);
    await probe.publishAsync("coldtrail/v1/probes/p_1/readings", "nobody reads this", { qos: 1 });
    await probe.publishAsync("coldtrail/v1/probes/p_1/status", "online", { qos: 1 });
    expect(await got).toBe("coldtrail/v1/probes/p_1/status online");

    await watcher.subscribeAsync("coldtrail/v1/probes/+/readings", { qos: 1 });
    got = next(watcher);
    await probe.publishAsync("coldtrail/v1/probes/p_1/readings", "r1", { qos: 1 });
    expect(await got).toBe("coldtrail/v1/probes/p_1/readings r1");

    await watcher.unsubscribeAsync("coldtrail/v1/probes/+/readings");
    got = next(watcher);
    await probe.publishAsync("coldtrail/v1/probes/p_1/readings", "r2", { qos: 1 });
    await probe.publishAsync("coldtrail/v1/probes/p_1/status", "still here", { qos: 1 });
    expect(await got).toBe("coldtrail/v1/probes/p_1/status still here");
  });

  it("keeps a reading for a persistent subscriber that is offline, and delivers it on its return", async () => {
    const url = await start();
    const probe = await connect(url, "probe");
    const watcher = await connect(url, "watcher", false);
    await watcher.subscribeAsync("coldtrail/v1/probes/p_1/temp_c", { qos: 1 });
    await watcher.endAsync();
    await probe.publishAsync("coldtrail/v1/probes/p_1/temp_c", "-19.5", { qos: 1 });
    // Back with its session: the broker sends what it stored meanwhile right after the CONNACK.
    const back = mqtt.connect(url, { clientId: "watcher", clean: false, reconnectPeriod: 0 });
    clients.push(back);
    expect(await next(back)).toBe("coldtrail/v1/probes/p_1/temp_c -19.5");
  });
});
