import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedBroker, type EmbeddedBrokerDeps, startEmbeddedBroker } from "../src/broker/embedded.js";
import { MAX_INFLIGHT_PER_CONNECTION, PUBLISH_BURST } from "../src/broker/limits.js";
import type { IncomingMessage, IngestOutcome } from "../src/ingest/ingest.js";
import { createLogger } from "../src/logger.js";
import { hashSecret } from "../src/registry/secrets.js";
import { connectProbe, registerProbe, startTestServer, type TestServer, waitFor } from "./harness.js";

// Issue #14: each finding of the adversarial run, against a real aedes over real sockets.

const run = promisify(execFile);

/** Connects as a probe and publishes a bad QoS 0 message as fast as it can, again after each disconnect. */
const FLOOD_SCRIPT = `
import mqtt from "mqtt";
const [url, username, password, topic] = process.argv.slice(1);
// Ends with the test process (its stdin closes then), even when a test timed out.
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
let sent = 0;
for (;;) {
  const c = mqtt.connect(url, { username, password, clientId: username + ":flood", reconnectPeriod: 0 });
  await new Promise((r) => { c.once("connect", r); c.once("error", r); c.once("close", r); });
  while (c.connected) {
    c.publish(topic, "not json at all", { qos: 0 });
    if (++sent % 100 === 0) {
      process.stdout.write(sent + "\\n");
      await new Promise((r) => setImmediate(r));
    }
  }
  c.end(true);
}
`;
const SECRET = "s3cret-0123456789";
const PROBES = ["probe-a", "probe-b", "probe-c", "probe-d", "probe-e", "probe-f", "probe-g", "probe-h"];

interface TestBroker {
  broker: EmbeddedBroker;
  registry: Registry;
  ingested: IncomingMessage[];
  url: string;
  refused(reason: string): Promise<number>;
  dropped(reason: string): Promise<number>;
}

const brokers: EmbeddedBroker[] = [];
const clients: MqttClient[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.end(true);
  for (const s of sockets.splice(0)) s.destroy();
});
afterAll(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

/** A real embedded broker whose ingest records the messages (or holds them, for `hold`). */
async function testBroker(
  over: Partial<EmbeddedBrokerDeps> = {},
  hold?: (msg: IncomingMessage) => Promise<void>,
): Promise<TestBroker> {
  const registry = new Registry();
  const ingested: IncomingMessage[] = [];
  const hashes = new Map(PROBES.map((p) => [p, hashSecret(SECRET)]));
  const broker = await startEmbeddedBroker({
    port: 0,
    limits: { maxConnections: 100, maxConnectionsPerProbe: 2 },
    log: createLogger("silent"),
    registry,
    secretHashOf: (id) => hashes.get(id) ?? null,
    async ingest(msg): Promise<IngestOutcome> {
      await hold?.(msg);
      ingested.push(msg);
      return { ok: true, readings: 1, refused: 0 };
    },
    ...over,
  });
  brokers.push(broker);
  const counter = (name: string) => async (reason: string) =>
    (await registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  return {
    broker,
    registry,
    ingested,
    url: `mqtt://127.0.0.1:${broker.port}`,
    refused: counter("coldtrail_mqtt_refused_total"),
    dropped: counter("coldtrail_mqtt_dropped_total"),
  };
}

type Login = { ok: true; client: MqttClient; sessionPresent: boolean } | { ok: false; code: number | string };

/** Logs in and says how the broker answered: connected, or the CONNACK return code. */
function login(url: string, username: string, clientId: string, extra: IClientOptions = {}): Promise<Login> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, {
      username,
      password: SECRET,
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 20_000,
      ...extra,
    });
    clients.push(c);
    c.once("connect", (connack) => resolve({ ok: true, client: c, sessionPresent: connack.sessionPresent }));
    c.once("error", (err) => {
      c.end(true);
      resolve({ ok: false, code: (err as Error & { code?: number | string }).code ?? err.message });
    });
    c.once("close", () => resolve({ ok: false, code: "closed" }));
  });
}

async function connected(url: string, username: string, clientId: string, extra: IClientOptions = {}) {
  const r = await login(url, username, clientId, extra);
  if (!r.ok) throw new Error(`${username} as ${clientId}: refused with ${r.code}`);
  return r.client;
}

const closed = (c: MqttClient) =>
  new Promise<void>((resolve) => (c.connected ? c.once("close", () => resolve()) : resolve()));

async function rawSocket(port: number): Promise<Socket> {
  const s = netConnect(port, "127.0.0.1");
  sockets.push(s);
  s.on("error", () => {});
  await once(s, "connect");
  return s;
}

interface RetainedStore {
  createRetainedStream(pattern: string): AsyncIterable<{ topic: string; payload: Buffer }>;
}

const topic = (probeId: string, leaf: string) => `coldtrail/v1/probes/${probeId}/${leaf}`;

describe("embedded broker limits (issue #14)", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await testBroker();
  });

  it("refuses a client id of another probe (CONNACK 5): no kick, no resuming its session", async () => {
    // probe-a leaves a persistent session with a subscription, and a message is queued for it.
    const a = await connected(t.url, "probe-a", "probe-a", { clean: false });
    await a.subscribeAsync(topic("probe-a", "commands"), { qos: 1 });
    a.end(true);
    await closed(a);
    await new Promise<void>((resolve, reject) =>
      t.broker.aedes.publish(
        {
          cmd: "publish",
          topic: topic("probe-a", "commands"),
          payload: Buffer.from("queued"),
          qos: 1,
          retain: false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    for (const clientId of ["probe-a", "probe-a:x"]) {
      expect(await login(t.url, "probe-b", clientId, { clean: false })).toEqual({ ok: false, code: 5 });
    }
    expect(await t.refused("client_id_not_own")).toBe(2);

    // The owner gets its session and its queued message back.
    const received: string[] = [];
    const back = await login(t.url, "probe-a", "probe-a", { clean: false });
    expect(back.ok && back.sessionPresent).toBe(true);
    if (!back.ok) return;
    back.client.on("message", (_t, payload) => received.push(payload.toString()));
    await waitFor(async () => received.length > 0);
    expect(received).toEqual(["queued"]);

    // A live connection is not kicked by a refused one: it still gets its PUBACK afterwards.
    expect(await login(t.url, "probe-b", "probe-a")).toEqual({ ok: false, code: 5 });
    await back.client.publishAsync(topic("probe-a", "readings"), "{}", { qos: 1 });
    expect(back.client.connected).toBe(true);
    // Its own suffixed client id is accepted, and so is an id of no probe's (mosquitto_pub's generated
    // one) — which then is probe-b's while it holds it: probe-a cannot take it over.
    expect((await login(t.url, "probe-b", "probe-b:bench")).ok).toBe(true);
    const generated = await login(t.url, "probe-b", "mosqpub|4242-host", { clean: false });
    expect(generated.ok).toBe(true);
    expect(await login(t.url, "probe-a", "mosqpub|4242-host")).toEqual({ ok: false, code: 5 });
  });

  it("refuses a client id longer than 128 characters at CONNECT (CONNACK 2), before any log or store", async () => {
    const long = `probe-a:${"x".repeat(65_000)}`;
    expect(await login(t.url, "probe-a", long)).toEqual({ ok: false, code: 2 });
    expect(await t.refused("client_id_too_long")).toBe(1);
    expect(t.ingested.every((m) => (m.clientId ?? "").length <= 128)).toBe(true);
  });

  it("caps connections per probe; a reconnect with the same client id replaces its old connection", async () => {
    const c1 = await connected(t.url, "probe-c", "probe-c:1");
    await connected(t.url, "probe-c", "probe-c:2");
    expect(await login(t.url, "probe-c", "probe-c:3")).toEqual({ ok: false, code: 3 });
    expect(await t.refused("probe_connection_limit")).toBe(1);
    const again = await connected(t.url, "probe-c", "probe-c:1");
    await closed(c1);
    expect(again.connected).toBe(true);
  });

  it("refuses a packet announcing more than 128 KiB from its header, and closes the connection", async () => {
    const s = await rawSocket(t.broker.port);
    // CONNECT with a remaining length of 268,435,455 bytes (256 MB), and no body.
    s.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    await once(s, "close");
    expect(await t.refused("packet_too_large")).toBe(1);

    const g = await connected(t.url, "probe-h", "probe-h");
    await g.publishAsync(topic("probe-h", "readings"), Buffer.alloc(64 * 1024, 0x20), { qos: 1 });
    expect(t.ingested.filter((m) => m.username === "probe-h")).toHaveLength(1);
    g.publish(topic("probe-h", "readings"), Buffer.alloc(200 * 1024, 0x20), { qos: 1 });
    await closed(g);
    expect(await t.refused("packet_too_large")).toBe(2);
    expect(t.ingested.filter((m) => m.username === "probe-h")).toHaveLength(1);
  });

  it("keeps retained messages only on the probe's status topic, up to 1 KiB", async () => {
    const e = await connected(t.url, "probe-e", "probe-e");
    await e.publishAsync(topic("probe-e", "tele/STATE"), Buffer.alloc(10_000, 0x41), {
      qos: 1,
      retain: true,
    });
    await e.publishAsync(topic("probe-e", "status"), Buffer.alloc(2048, 0x20), { qos: 1, retain: true });
    await e.publishAsync(topic("probe-e", "status"), '{"state":"online"}', { qos: 1, retain: true });
    const retained = async () => {
      const out: { topic: string; bytes: number }[] = [];
      // aedes' types leave out its persistence; its retained store is what is checked here.
      const store = (t.broker.aedes as unknown as { persistence: RetainedStore }).persistence;
      for await (const p of store.createRetainedStream(topic("probe-e", "#"))) {
        out.push({ topic: p.topic, bytes: p.payload.length });
      }
      return out;
    };
    const kept = await waitFor(async () => {
      const r = await retained();
      return r.length > 0 && r;
    });
    expect(kept).toEqual([{ topic: topic("probe-e", "status"), bytes: 18 }]);
    expect(await t.dropped("retain_not_allowed")).toBe(2);
    // The messages themselves were still handed to ingest.
    expect(t.ingested.filter((m) => m.username === "probe-e")).toHaveLength(3);
  });

  it("disconnects a probe flooding QoS 0 messages, having dropped and counted those over its rate", async () => {
    const g = await connected(t.url, "probe-g", "probe-g");
    let sent = 0;
    while (g.connected && sent < 20_000) {
      g.publish(topic("probe-g", "readings"), "not json", { qos: 0 });
      if (++sent % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await closed(g);
    expect(await t.refused("publish_abuse")).toBe(1);
    const taken = t.ingested.filter((m) => m.username === "probe-g").length;
    expect(taken).toBeGreaterThanOrEqual(PUBLISH_BURST);
    expect(await t.dropped("rate_limit")).toBeGreaterThan(0);
    expect(taken + (await t.dropped("rate_limit"))).toBeLessThanOrEqual(sent);
  });
});

describe("embedded broker: messages in flight per connection", () => {
  it(`hands ingest at most ${MAX_INFLIGHT_PER_CONNECTION} QoS 1 messages of one connection at once, and acknowledges all`, async () => {
    let pending = 0;
    let maxPending = 0;
    const waiting: (() => void)[] = [];
    const t = await testBroker({}, (msg) => {
      if (msg.username !== "probe-f") return Promise.resolve();
      pending++;
      maxPending = Math.max(maxPending, pending);
      return new Promise<void>((resolve) =>
        waiting.push(() => {
          pending--;
          resolve();
        }),
      );
    });
    const f = await connected(t.url, "probe-f", "probe-f");
    const acks = Array.from({ length: 40 }, (_, i) =>
      f.publishAsync(topic("probe-f", "readings"), `{"i":${i}}`, { qos: 1 }),
    );
    let acked = 0;
    for (const a of acks) void a.then(() => acked++);
    while (acked < 40) {
      await waitFor(async () => waiting.length > 0 || acked === 40);
      for (const release of waiting.splice(0)) release();
      await new Promise((r) => setImmediate(r));
    }
    expect(maxPending).toBe(MAX_INFLIGHT_PER_CONNECTION);
    expect(t.ingested.filter((m) => m.username === "probe-f")).toHaveLength(40);
  });
});

describe("embedded broker: connections and logins", () => {
  it("caps all connections, logged in or not", async () => {
    const t = await testBroker({ limits: { maxConnections: 2, maxConnectionsPerProbe: 2 } });
    const a = await connected(t.url, "probe-a", "probe-a");
    await rawSocket(t.broker.port);
    const third = await rawSocket(t.broker.port);
    await once(third, "close");
    expect(await t.refused("connection_limit")).toBe(1);
    a.end(true);
    await closed(a);
    // A freed place is taken again.
    await waitFor(async () => (await login(t.url, "probe-b", "probe-b")).ok);
  });

  it("locks logins after repeated wrong passwords and then refuses even the right one without checking it", async () => {
    let checks = 0;
    const t = await testBroker({
      secretHashOf: (id) => {
        checks++;
        return id === "probe-d" ? hashSecret(SECRET) : null;
      },
    });
    for (let i = 0; i < 5; i++) {
      expect(await login(t.url, "probe-d", "probe-d", { password: `guess-${i}` })).toEqual({
        ok: false,
        code: 4,
      });
    }
    expect(checks).toBe(5);
    expect(await login(t.url, "probe-d", "probe-d")).toEqual({ ok: false, code: 3 });
    expect(await login(t.url, "probe-x", "probe-x")).toEqual({ ok: false, code: 3 });
    expect(checks).toBe(5);
    expect(await t.refused("bad_login")).toBe(5);
    expect(await t.refused("login_locked")).toBe(2);
  });

  it("closes a socket that never sends CONNECT, and not one that logged in", async () => {
    const { CONNECT_TIMEOUT_MS } = await import("../src/broker/limits.js");
    expect(CONNECT_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
    const t = await testBroker({ connectTimeoutMs: 300 });
    const silent = await rawSocket(t.broker.port);
    const a = await connected(t.url, "probe-a", "probe-a");
    await once(silent, "close");
    await a.publishAsync(topic("probe-a", "readings"), "{}", { qos: 1 });
    expect(a.connected).toBe(true);
  });

  it("listens for mqtts with the PEM certificate and key it is given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coldtrail-tls-"));
    try {
      await run("openssl", [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ]);
      const cert = readFileSync(join(dir, "cert.pem"));
      const t = await testBroker({ tls: { port: 0, cert, key: readFileSync(join(dir, "key.pem")) } });
      expect(t.broker.tlsPort).toBeGreaterThan(0);
      const c = await connected(`mqtts://127.0.0.1:${t.broker.tlsPort}`, "probe-a", "probe-a", { ca: cert });
      await c.publishAsync(topic("probe-a", "readings"), '{"tls":true}', { qos: 1 });
      expect(t.ingested.map((m) => Buffer.from(m.payload).toString())).toEqual(['{"tls":true}']);
      // An untrusted certificate is refused by the client, so it really is TLS.
      expect((await login(`mqtts://127.0.0.1:${t.broker.tlsPort}`, "probe-b", "probe-b")).ok).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("coldtrail with its embedded broker (issue #14)", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s?.cleanup());

  const metric = async (line: string) => {
    const text = (await s.api<string>("GET", "/metrics")).body;
    const m = text.split("\n").find((l) => l.startsWith(line));
    return m ? Number(m.split(" ").pop()) : 0;
  };

  it("a new secret closes the probe's connections, and only the new one logs in", async () => {
    const p = await registerProbe(s);
    const c = await connectProbe(s.mqttUrl, p.id, p.secret);
    const r = await s.api<{ secret: string }>("POST", `/api/v1/probes/${p.id}/secret`);
    expect(r.status).toBe(201);
    await closed(c);
    expect(await metric('coldtrail_mqtt_refused_total{reason="secret_rotated"}')).toBe(1);
    await expect(connectProbe(s.mqttUrl, p.id, p.secret)).rejects.toThrow(/Bad username or password/i);
    const fresh = await connectProbe(s.mqttUrl, p.id, r.body.secret);
    expect(fresh.connected).toBe(true);
    fresh.end(true);
  });

  it("while one probe floods bad QoS 0 messages, another's QoS 1 reading is acknowledged and stored, and /healthz answers", async () => {
    const flooder = await registerProbe(s, { name: "flooder" });
    const good = await registerProbe(s, { name: "good freezer" });
    // The flood runs in its own process, at the speed it can, as a misbehaving device would.
    const flood = spawn(
      process.execPath,
      ["--input-type=module", "-e", FLOOD_SCRIPT, s.mqttUrl, flooder.id, flooder.secret, flooder.mqtt.topic],
      { cwd: fileURLToPath(new URL("../..", import.meta.url)), stdio: ["pipe", "pipe", "inherit"] },
    );
    let sent = 0;
    flood.stdout.on("data", (d: Buffer) => {
      const last = d.toString().trim().split("\n").pop();
      if (last) sent = Number(last);
    });
    const exited = once(flood, "exit");
    try {
      // The flood is under way: far more messages than the probe's burst.
      await waitFor(async () => sent >= 10 * PUBLISH_BURST, 20_000);
      const sentBefore = sent;
      const g = await connectProbe(s.mqttUrl, good.id, good.secret);
      const ts = Date.now();
      await g.publishAsync(good.mqtt.topic, JSON.stringify({ readings: [{ ts, temp_c: -19.5 }] }), {
        qos: 1,
      });
      const health = await fetch(`${s.httpUrl}/healthz`);
      expect(health.status).toBe(200);
      const stored = await waitFor(async () => {
        const r = await s.api<{ readings: { ts: string }[] }>(
          "GET",
          `/api/v1/probes/${good.id}/readings?from=${new Date(ts - 1000).toISOString()}&to=${new Date(ts + 1000).toISOString()}`,
        );
        return r.body.readings.length > 0 && r.body.readings;
      }, 20_000);
      expect(stored.map((x) => Date.parse(x.ts))).toEqual([ts]);
      // All of it happened while the flood went on.
      expect(sent).toBeGreaterThan(sentBefore);
      expect(flood.exitCode).toBeNull();
      expect(await metric('coldtrail_mqtt_dropped_total{reason="rate_limit"}')).toBeGreaterThan(0);
      g.end(true);
    } finally {
      flood.stdin.end();
      await exited;
    }
    const deadLetters = await s.api<{ deadletters: unknown[] }>(
      "GET",
      `/api/v1/deadletters?probeId=${flooder.id}&limit=1000`,
    );
    expect(deadLetters.body.deadletters.length).toBeLessThan(sent);
  }, 60_000);
});
