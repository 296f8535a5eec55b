import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMosquittoInstalled, type MosquittoHarness } from "../../test/mosquitto.js";
import type { MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import { createLogger } from "../src/logger.js";
import {
  connectProbe,
  type RegisteredProbe,
  registerProbe,
  startTestServer,
  type TestServer,
  waitFor,
} from "./harness.js";
import { SERVER_USER, startIngestBroker } from "./ingest-broker.js";
import { type ServerProcess, serverProcess } from "./server-process.js";

/**
 * coldtrail behind a real Mosquitto 2.0 (the production mosquitto.conf, dynamic security plugin):
 * probes authenticate at Mosquitto with the credentials coldtrail issued, Mosquitto enforces that a
 * probe publishes only under its own id, and Mosquitto's persistent session for `coldtrail-ingest`
 * carries readings across a coldtrail stop, a Mosquitto restart and a coldtrail `kill -9`.
 * Devices are `mosquitto_pub` processes (run with async execFile: the server may share this process).
 */
const skip = process.env.COLDTRAIL_SKIP_MOSQUITTO === "1" || !isMosquittoInstalled();
const log = createLogger(process.env.COLDTRAIL_TEST_LOG ?? "silent");
/** Readings in the recent past: after the protocol's 2020 floor, before the future-skew limit. */
const T0 = Date.now() - 10 * 60_000;
const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

interface PubResult {
  code: number;
  stderr: string;
}

/** One `mosquitto_pub` run as a device: QoS 1, so exit 0 means Mosquitto sent the PUBACK. */
function mosquittoPub(
  m: MosquittoHarness,
  user: { id: string; secret: string },
  topic: string,
  payload: string,
  extra: string[] = [],
): Promise<PubResult> {
  const args = [
    "-h",
    "127.0.0.1",
    "-p",
    String(m.port),
    "-u",
    user.id,
    "-P",
    user.secret,
    "-t",
    topic,
    "-m",
    payload,
    "-q",
    "1",
    ...extra,
  ];
  return new Promise((resolve) => {
    execFile("mosquitto_pub", args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stderr: String(stderr) });
    });
  });
}

const readingPayload = (ts: number, tempC: number, seq: number) =>
  JSON.stringify({ readings: [{ ts, temp_c: tempC, seq }] });

type Api = Pick<TestServer, "api">;

async function storedTs(s: Api, probeId: string): Promise<number[]> {
  const from = new Date(T0 - 60_000).toISOString();
  const to = new Date(Date.now() + 60_000).toISOString();
  const r = await s.api<{ readings: { ts: string }[] }>(
    "GET",
    `/api/v1/probes/${probeId}/readings?from=${from}&to=${to}`,
  );
  if (r.status !== 200) throw new Error(`readings: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.readings.map((x) => Date.parse(x.ts));
}

async function deadLetters(s: Api): Promise<{ probeId: string | null; topic: string; reason: string }[]> {
  return (
    await s.api<{ deadletters: { probeId: string | null; topic: string; reason: string }[] }>(
      "GET",
      "/api/v1/deadletters",
    )
  ).body.deadletters;
}

const serverEnv = (m: MosquittoHarness) => ({
  COLDTRAIL_MQTT_URL: m.url,
  COLDTRAIL_MQTT_USERNAME: SERVER_USER.username,
  COLDTRAIL_MQTT_PASSWORD: SERVER_USER.password,
  // The server creates each probe's Mosquitto login itself at registration.
  COLDTRAIL_MQTT_ADMIN_USERNAME: m.admin.username,
  COLDTRAIL_MQTT_ADMIN_PASSWORD: m.admin.password,
});

describe.skipIf(skip)("coldtrail with an external Mosquitto", () => {
  let m: MosquittoHarness;
  let prov: MosquittoProvisioner;
  let srv: TestServer;
  let dir: string;
  let alpha: RegisteredProbe;
  let beta: RegisteredProbe;

  /** Registration over HTTP only: the server gives the probe its Mosquitto login. */
  async function registerAndProvision(s: Api): Promise<RegisteredProbe> {
    const p = await registerProbe(s);
    const listed = await prov.listClients();
    if (!listed.ok || !listed.usernames.includes(p.id)) throw new Error(`no Mosquitto login for ${p.id}`);
    return p;
  }

  beforeAll(async () => {
    ({ m, prov } = await startIngestBroker(log));
    dir = mkdtempSync(join(tmpdir(), "coldtrail-ext-"));
    tmp.push(dir);
    srv = await startTestServer(serverEnv(m), dir);
    alpha = await registerAndProvision(srv);
    beta = await registerAndProvision(srv);
  });
  afterAll(async () => {
    await srv?.cleanup();
    await prov?.close();
    await m?.dispose();
  });

  it("tells devices the broker's URL and stores what a probe publishes through Mosquitto", async () => {
    expect(alpha.mqtt).toEqual({
      url: m.url,
      username: alpha.id,
      topic: `coldtrail/v1/probes/${alpha.id}/readings`,
    });
    const r = await mosquittoPub(m, alpha, alpha.mqtt.topic, readingPayload(T0 + 1000, -19.25, 1));
    expect(r).toEqual({ code: 0, stderr: "" });
    expect(
      await waitFor(
        async () => (await storedTs(srv, alpha.id)).includes(T0 + 1000) && storedTs(srv, alpha.id),
      ),
    ).toEqual([T0 + 1000]);
    const got = await srv.api<{ readings: { ts: string; temp_c: number; seq: number }[] }>(
      "GET",
      `/api/v1/probes/${alpha.id}/readings?from=${new Date(T0).toISOString()}&to=${new Date(T0 + 2000).toISOString()}`,
    );
    expect(got.body.readings).toEqual([{ ts: new Date(T0 + 1000).toISOString(), temp_c: -19.25, seq: 1 }]);
  });

  it("a message with MQTT 5 properties (mqtt.js's path) and a plain one (the splitter's) are both stored", async () => {
    const withProps = await mosquittoPub(m, alpha, alpha.mqtt.topic, readingPayload(T0 + 1500, -19.5, 11), [
      "-V",
      "mqttv5",
      "-D",
      "publish",
      "user-property",
      "firmware",
      "1.2.3",
    ]);
    expect(withProps).toEqual({ code: 0, stderr: "" });
    const plain = await mosquittoPub(m, alpha, alpha.mqtt.topic, readingPayload(T0 + 1600, -19.4, 12));
    expect(plain).toEqual({ code: 0, stderr: "" });
    await waitFor(async () => (await storedTs(srv, alpha.id)).includes(T0 + 1600));
    expect(await storedTs(srv, alpha.id)).toEqual(expect.arrayContaining([T0 + 1500, T0 + 1600]));
  });

  it("Mosquitto refuses a wrong secret and an unregistered probe; nothing is stored", async () => {
    const wrong = await mosquittoPub(
      m,
      { id: alpha.id, secret: "not-the-secret" },
      alpha.mqtt.topic,
      readingPayload(T0 + 2000, -19, 2),
    );
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/not authori[sz]ed/i);
    const stranger = await mosquittoPub(
      m,
      { id: "p-stranger", secret: "whatever" },
      "coldtrail/v1/probes/p-stranger/readings",
      readingPayload(T0 + 2000, -19, 2),
    );
    expect(stranger.code).not.toBe(0);
    // A good reading afterwards arrives; the refused ones never did.
    expect((await mosquittoPub(m, alpha, alpha.mqtt.topic, readingPayload(T0 + 2500, -19, 3))).code).toBe(0);
    await waitFor(async () => (await storedTs(srv, alpha.id)).includes(T0 + 2500));
    expect(await storedTs(srv, alpha.id)).not.toContain(T0 + 2000);
  });

  it("a probe publishing under another probe's id is refused by Mosquitto; coldtrail never sees it", async () => {
    const before = await deadLetters(srv);
    // MQTT 5: Mosquitto answers with PUBACK reason 0x87 "Not authorized", mosquitto_pub warns.
    const v5 = await mosquittoPub(m, alpha, beta.mqtt.topic, readingPayload(T0 + 3000, 5, 4), ["-V", "5"]);
    expect(v5.stderr).toMatch(/Publish 1 failed: Not authorized/);
    // MQTT 3.1.1 has no negative PUBACK: Mosquitto acknowledges and drops the message.
    const v311 = await mosquittoPub(m, alpha, beta.mqtt.topic, readingPayload(T0 + 3001, 5, 5));
    expect(v311.code).toBe(0);
    // Beta's own reading, published afterwards, arrives; alpha's never did.
    expect((await mosquittoPub(m, beta, beta.mqtt.topic, readingPayload(T0 + 3500, -20, 1))).code).toBe(0);
    await waitFor(async () => (await storedTs(srv, beta.id)).includes(T0 + 3500));
    expect(await storedTs(srv, beta.id)).toEqual([T0 + 3500]);
    expect(await storedTs(srv, alpha.id)).not.toContain(T0 + 3000);
    expect(await deadLetters(srv)).toEqual(before);
  });

  it("readings published while coldtrail is stopped, across a Mosquitto restart, arrive once after it starts again", async () => {
    await srv.stop();
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ts = T0 + 10_000 + i * 100;
      expect(
        (await mosquittoPub(m, alpha, alpha.mqtt.topic, readingPayload(ts, -18 - i / 10, 100 + i))).code,
      ).toBe(0);
      sent.push(ts);
    }
    // SIGTERM: Mosquitto writes the queued messages of the persistent session to its database.
    await m.stop();
    await m.start();
    for (let i = 5; i < 10; i++) {
      const ts = T0 + 10_000 + i * 100;
      expect(
        (await mosquittoPub(m, alpha, alpha.mqtt.topic, readingPayload(ts, -18 - i / 10, 100 + i))).code,
      ).toBe(0);
      sent.push(ts);
    }
    const before = await (async () => {
      srv = await startTestServer(serverEnv(m), dir);
      return Date.now();
    })();
    const stored = await waitFor(async () => {
      const ts = await storedTs(srv, alpha.id);
      return sent.every((t) => ts.includes(t)) && ts;
    });
    expect(Date.now() - before).toBeLessThan(10_000);
    expect(stored.filter((t) => t >= T0 + 10_000)).toEqual(sent);
    expect(new Set(stored).size).toBe(stored.length);
  });
});

describe.skipIf(skip)("coldtrail killed with SIGKILL behind Mosquitto", () => {
  let m: MosquittoHarness;
  let prov: MosquittoProvisioner;
  let srv: ServerProcess | null = null;
  let device: MqttClient | null = null;
  beforeAll(async () => {
    ({ m, prov } = await startIngestBroker(log));
  });
  afterAll(async () => {
    device?.end(true);
    await srv?.stop();
    await prov?.close();
    await m?.dispose();
  });

  it("every reading Mosquitto acknowledged to the device reaches the store exactly once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coldtrail-ext-kill-"));
    tmp.push(dir);
    srv = await serverProcess({ COLDTRAIL_DATA_DIR: dir, ...serverEnv(m) });
    const s = srv;
    const p = await registerProbe(s);
    const provisioned = await prov.ensureProbe(p.id, p.secret);
    expect(provisioned).toEqual({ ok: true });
    const c = await connectProbe(m.url, p.id, p.secret, { reconnectPeriod: 500 });
    device = c;

    const acked = new Set<number>();
    const sent = new Set<number>();
    let i = 0;
    let running = true;
    // The device publishes a reading every 5 ms (a busy network's rate, not a flood: Mosquitto
    // acknowledges at once, so nothing slows a device down to coldtrail's pace); each PUBACK comes
    // from Mosquitto.
    const stream = (async () => {
      while (running) {
        await new Promise((r) => setTimeout(r, 5));
        const ts = T0 + 100_000 + i * 10;
        i += 1;
        sent.add(ts);
        try {
          await c.publishAsync(p.mqtt.topic, readingPayload(ts, -19 - (i % 16) / 16, i), { qos: 1 });
          acked.add(ts);
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();

    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, 400));
      await s.kill9(); // mid-stream: messages in flight between Mosquitto and coldtrail
      const ackedWhileDown = acked.size;
      await new Promise((r) => setTimeout(r, 300));
      expect(acked.size).toBeGreaterThan(ackedWhileDown); // Mosquitto keeps acknowledging, and queues
      await s.start();
    }
    running = false;
    await stream;
    // And a last one acknowledged the very moment before the server dies.
    const last = T0 + 99_000;
    sent.add(last);
    await c.publishAsync(p.mqtt.topic, readingPayload(last, -18.5, 0), { qos: 1 });
    acked.add(last);
    await s.kill9();
    await s.start();

    const stored = await waitFor(async () => {
      const ts = await storedTs(s, p.id);
      return [...acked].every((t) => ts.includes(t)) && ts;
    }, 20_000);
    expect(acked.size).toBeGreaterThan(50);
    expect(new Set(stored).size).toBe(stored.length); // once each
    for (const ts of stored) expect(sent.has(ts)).toBe(true);
  }, 120_000);
});
