/**
 * The judging connection's session expires (COLDTRAIL_MQTT_JUDGE_SESSION_EXPIRY_S) behind a real
 * Mosquitto 2.0: once an instance is gone, Mosquitto drops its `<id>-judge` session (and would stop
 * queueing readings for it) after the expiry, while the ingest session, which holds readings not
 * yet stored, stays until it is adopted or the instance comes back.
 */
import mqtt, { type IConnackPacket, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMosquittoInstalled, type MosquittoHarness, startMosquitto } from "../../test/mosquitto.js";
import { connectExternalBroker } from "../src/broker/external.js";
import { createMosquittoProvisioner, type MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import type { IncomingMessage } from "../src/ingest/ingest.js";
import { createLogger } from "../src/logger.js";
import { createMetrics } from "../src/metrics.js";
import { waitFor } from "./harness.js";
import { SERVER_USER } from "./ingest-broker.js";

const skip = process.env.COLDTRAIL_SKIP_MOSQUITTO === "1" || !isMosquittoInstalled();

describe.skipIf(skip)("the judging connection's session behind Mosquitto", () => {
  let m: MosquittoHarness;
  let prov: MosquittoProvisioner;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    // $SYS every second, so the test sees the broker drop the session soon after it does.
    m = await startMosquitto({ extraConfig: ["sys_interval 1"] });
    prov = await createMosquittoProvisioner({ url: m.url, ...m.admin, log: createLogger("silent") });
    const ready = await prov.ensureServerClient(SERVER_USER.username, SERVER_USER.password);
    if (!ready.ok) throw new Error(ready.message);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await prov?.close();
    await m?.dispose();
  });

  /** Connects with `clientId` resuming its session (clean start false), and says whether the broker had one. */
  async function sessionPresent(clientId: string): Promise<boolean> {
    const c = mqtt.connect(m.url, {
      ...SERVER_USER,
      clientId,
      clean: false,
      protocolVersion: 5,
      reconnectPeriod: 0,
      manualConnect: true,
    });
    clients.push(c);
    const connack = new Promise<IConnackPacket>((resolve, reject) => {
      c.once("connect", resolve);
      c.once("error", reject);
    });
    c.connect();
    const ack = await connack;
    await c.endAsync();
    return ack.sessionPresent;
  }

  it("is dropped once its expiry has passed; the ingest session of the same instance stays", async () => {
    const watcher = await mqtt.connectAsync(m.url, {
      ...m.admin,
      clientId: "sys-watcher",
      reconnectPeriod: 0,
    });
    clients.push(watcher);
    let disconnected: number[] = [];
    watcher.on("message", (topic, payload) => {
      if (topic === "$SYS/broker/clients/disconnected") disconnected.push(Number(payload.toString()));
    });
    await watcher.subscribeAsync("$SYS/broker/clients/disconnected");

    const judged: IncomingMessage[] = [];
    const metrics = createMetrics({ journalDepth: () => 0, storeLagMs: () => 0, storeBackoffMs: () => 0 });
    const ext = await connectExternalBroker({
      url: m.url,
      ...SERVER_USER,
      clientId: "retired",
      clients: 1,
      shareGroup: "coldtrail",
      adoptAfterS: null,
      judgeSessionExpiryS: 2,
      log: createLogger("silent"),
      metrics,
      ingest: async () => ({ ok: true, readings: 1, refused: 0 }),
      judge: (msg) => judged.push(msg),
    });
    expect(ext.mode).toBe("shared");
    expect(ext.judging).toBe(true);
    // The instance goes away for good: both its persistent sessions are left at the broker.
    await ext.close();
    disconnected = [];

    // Mosquitto counts persistent sessions whose client is away; the judge's goes after 2 s. A
    // count published before both DISCONNECTs were handled is followed by one a second later.
    await waitFor(async () => disconnected.length >= 2 && disconnected.at(-1) === 1, 60_000);
    expect(await sessionPresent("retired-judge")).toBe(false);
    expect(await sessionPresent("retired")).toBe(true);
    expect(judged).toEqual([]);
  }, 120_000);
});
