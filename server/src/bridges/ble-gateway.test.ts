/**
 * The bridge on real parts: a household broker (its own aedes) where messages shaped exactly like
 * OpenMQTTGateway's and Theengs Gateway's arrive, a real coldtrail server, and readings checked over
 * its HTTP API. Time is an injected clock, so windows close when the test says.
 */
import { createServer, type Server } from "node:net";
import { encodeAdvert } from "@coldtrail/firmware-bridge/decoders";
import { Aedes } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerProbe, startTestServer, type TestServer, waitFor } from "../../test/harness.js";
import { createIngest } from "../ingest/ingest.js";
import { type BleGatewayBridge, DEFAULT_BLE_BRIDGE_TOPICS, startBleGatewayBridge } from "./ble-gateway.js";

const MIN = 60_000;
const BINDKEY = "231d39c1d7cc1ab1aee224cd096db932";
const MAC_PVVX = "A4:C1:38:AA:00:01";
const MAC_THEENGS = "A4:C1:38:AA:00:02";
const MAC_BTHOME = "54:48:E6:8F:80:A5";

let server: TestServer;
let household: { aedes: Aedes; server: Server; url: string };
let publisher: MqttClient;
let bridge: BleGatewayBridge;
let clock = Date.now() - 60 * MIN;
const probeOf = new Map<string, string>();

const hex = (b: Uint8Array | undefined) => Buffer.from(b as Uint8Array).toString("hex");
function pvvx(tempC: number): string {
  const r = encodeAdvert("pvvx", { tempC, batteryPct: 77, batteryMv: 2900 }, { mac: MAC_PVVX });
  if (!r.ok) throw new Error(r.reason);
  return hex(r.advert.serviceData["181a"]);
}
function bthome(tempC: number, counter: number): string {
  const r = encodeAdvert(
    "bthome-v2",
    { tempC, batteryPct: 95 },
    { mac: MAC_BTHOME, bindkey: BINDKEY, counter },
  );
  if (!r.ok) throw new Error(r.reason);
  return hex(r.advert.serviceData.fcd2);
}
const topicOf = (gw: string, mac: string) => `home/${gw}/BTtoMQTT/${mac.replace(/:/g, "")}`;
async function publish(topic: string, payload: unknown, retain = false): Promise<void> {
  await publisher.publishAsync(topic, typeof payload === "string" ? payload : JSON.stringify(payload), {
    qos: 1,
    retain,
  });
}
const processed = () =>
  Object.entries(bridge.counts).reduce((n, [k, v]) => (k === "ingested" || k === "refused" ? n : n + v), 0);

beforeAll(async () => {
  server = await startTestServer();
  const aedes = await Aedes.createBroker();
  const net = createServer(aedes.handle);
  await new Promise<void>((r) => net.listen(0, "127.0.0.1", () => r()));
  const addr = net.address();
  household = {
    aedes,
    server: net,
    url: `mqtt://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`,
  };
  publisher = await mqtt.connectAsync(household.url, { clientId: "omg-esp32" });
  for (const [mac, id] of [
    [MAC_PVVX, "ble-omg-01"],
    [MAC_THEENGS, "ble-theengs-01"],
    [MAC_BTHOME, "ble-bthome-01"],
  ] as const) {
    probeOf.set(mac, (await registerProbe(server, {}, id)).id);
  }
  // A retained message already on the household broker is old news when the bridge subscribes.
  await publish(topicOf("OpenMQTTGateway", MAC_PVVX), { id: MAC_PVVX, tempc: 12.5 }, true);

  const ctx = server.parts;
  // The server's own ingest path (same journal, dead letters and metrics) as app.ts builds it.
  const ingest = createIngest({
    journal: ctx.journal,
    deadLetters: ctx.deadLetters,
    metrics: ctx.metrics,
    log: ctx.log,
    isProbe: (id) => ctx.probes.auth(id) !== null,
    updateProbe: () => undefined,
    onJournaled: () => ctx.forwarder.poke(),
    now: () => Date.now(),
  });
  bridge = startBleGatewayBridge({
    url: household.url,
    topics: DEFAULT_BLE_BRIDGE_TOPICS,
    macToProbe: (mac) => probeOf.get(mac) ?? null,
    bindkeyOf: (mac) => (mac === MAC_BTHOME ? BINDKEY : undefined),
    ingest,
    log: ctx.log,
    now: () => clock,
    windowMs: MIN,
    tickMs: 20,
    registry: ctx.metrics.registry,
  });
  await bridge.ready;
});

afterAll(async () => {
  await bridge?.close();
  await publisher?.endAsync();
  await new Promise<void>((r) => household.aedes.close(() => r()));
  await new Promise<void>((r) => household.server.close(() => r()));
  await server?.cleanup();
});

async function readings(mac: string) {
  const r = await server.api<{ readings: { ts: string; temp_c: number }[] }>(
    "GET",
    `/api/v1/probes/${probeOf.get(mac)}/readings?from=${new Date(Date.now() - 2 * 60 * MIN).toISOString()}`,
  );
  return r.body.readings.map((x) => [Date.parse(x.ts) - T0, x.temp_c]);
}
const T0 = clock;

describe("BLE gateway bridge", () => {
  it("turns OpenMQTTGateway and Theengs messages into one reading per probe per minute; ignores and counts the rest", async () => {
    // Minute 0.
    const omg = {
      mac_type: 0,
      adv_type: 0,
      name: "ATC_AA0001",
      servicedatauuid: "0x181a",
      brand: "Xiaomi",
      model: "LYWSD03MMC",
      model_id: "LYWSD03MMC_PVVX",
      type: "THB",
    };
    await publish(topicOf("OMG_ESP32_BLE", MAC_PVVX), {
      id: MAC_PVVX,
      ...omg,
      rssi: -70,
      servicedata: pvvx(-18.1),
    });
    await publish(topicOf("OMG_ESP32_BLE", MAC_PVVX), {
      id: MAC_PVVX,
      ...omg,
      rssi: -71,
      servicedata: pvvx(30),
    }); // one odd packet
    await publish(topicOf("OMG_ESP32_BLE", MAC_PVVX), {
      id: MAC_PVVX,
      ...omg,
      rssi: -69,
      servicedata: pvvx(-18.3),
    });
    await publish(topicOf("TheengsGateway", MAC_THEENGS), {
      id: MAC_THEENGS,
      name: "ATC_AA0002",
      rssi: -82,
      brand: "Xiaomi",
      model: "LYWSD03MMC",
      model_id: "LYWSD03MMC_ATC",
      type: "THB",
      tempc: -19.5,
      tempf: -3.1,
      hum: 40,
      batt: 64,
      volt: 2.81,
    });
    await publish(topicOf("TheengsGateway", MAC_BTHOME), {
      id: MAC_BTHOME,
      rssi: -75,
      servicedatauuid: "fcd2",
      servicedata: bthome(-20, 5),
    });
    await publish(topicOf("TheengsGateway", "11:22:33:44:55:66"), {
      id: "11:22:33:44:55:66",
      rssi: -90,
      tempc: 22,
    }); // not ours
    await publish(topicOf("OMG_ESP32_BLE", MAC_PVVX), "online"); // garbage
    await publish("home/OMG_ESP32_BLE/BTtoMQTT/undecoded", { rssi: -50 }); // no MAC
    await publish(topicOf("OMG_ESP32_BLE", MAC_PVVX), { id: MAC_PVVX, rssi: -70, distance: 2.1 }); // presence only
    await waitFor(async () => processed() === 10);

    // Minute 1: new samples close minute 0; a replayed BTHome packet is refused.
    clock += MIN + 1000;
    await publish(topicOf("OMG_ESP32_BLE", MAC_PVVX), {
      id: MAC_PVVX,
      ...omg,
      rssi: -70,
      servicedata: pvvx(-17.9),
    });
    await publish(topicOf("TheengsGateway", MAC_BTHOME), {
      id: MAC_BTHOME,
      rssi: -75,
      servicedatauuid: "fcd2",
      servicedata: bthome(25, 5),
    });
    await publish(topicOf("TheengsGateway", MAC_BTHOME), {
      id: MAC_BTHOME,
      rssi: -75,
      servicedatauuid: "fcd2",
      servicedata: bthome(-19, 6),
    });
    await waitFor(async () => processed() === 13);
    // Then silence: the open windows close on the clock.
    clock += MIN + 1000;
    await waitFor(async () => bridge.counts.ingested === 5);

    expect(await readings(MAC_PVVX)).toEqual([
      [0, -18.1], // the median of -18.1, 30, -18.3: the odd packet did not count
      [MIN + 1000, -17.9],
    ]);
    expect(await readings(MAC_THEENGS)).toEqual([[0, -19.5]]);
    expect(await readings(MAC_BTHOME)).toEqual([
      [0, -20],
      [MIN + 1000, -19],
    ]);
    expect(bridge.counts).toEqual({
      retained: 1,
      sample: 7,
      ingested: 5,
      refused: 0,
      unknown_mac: 1,
      not_json: 1,
      no_mac: 1,
      no_temperature: 1,
      replayed: 1,
      undecodable: 0,
    });
    const metrics = await fetch(`${server.httpUrl}/metrics`, {
      headers: { authorization: "Bearer test-admin-token-0123456789" },
    });
    const text = await metrics.text();
    expect(text).toContain('coldtrail_ble_bridge_messages_total{outcome="unknown_mac"} 1');
    expect(text).toMatch(/coldtrail_ingest_readings_total \d+/);
  });

  it("a reading for a probe the server does not know is refused by ingest (dead-lettered), not lost silently", async () => {
    probeOf.set("A4:C1:38:AA:00:77", "ble-not-registered");
    await publish(topicOf("TheengsGateway", "A4:C1:38:AA:00:77"), { id: "A4:C1:38:AA:00:77", tempc: -18 });
    await waitFor(async () => bridge.counts.sample === 8);
    clock += MIN + 1000;
    await waitFor(async () => bridge.counts.refused === 1);
    const dl = await server.api<{
      deadLetters?: { reason: string; probeId: string }[];
      deadletters?: unknown;
    }>("GET", "/api/v1/deadletters");
    expect(JSON.stringify(dl.body)).toContain("unknown_probe");
  });
});
