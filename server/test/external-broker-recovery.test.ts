import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isMosquittoInstalled, type MosquittoHarness } from "../../test/mosquitto.js";
import { type Coldtrail, startColdtrail } from "../src/app.js";
import type { MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import {
  ADMIN_TOKEN,
  apiClient,
  connectProbe,
  type RegisteredProbe,
  registerProbe,
  waitFor,
} from "./harness.js";
import { SERVER_USER, startIngestBroker } from "./ingest-broker.js";

/**
 * The external-broker ingest recovers by itself (issue #10): Mosquitto going away and coming back,
 * Mosquitto losing coldtrail's session, and a journal that fails. Real Mosquitto (the production
 * mosquitto.conf, `persistence true`), real SQLite store, real mqtt.js devices; the server runs in
 * this process with its log lines captured, so the tests also see one line per event.
 */
const skip = process.env.COLDTRAIL_SKIP_MOSQUITTO === "1" || !isMosquittoInstalled();
/** Readings in the recent past: after the protocol's 2020 floor, before the future-skew limit. */
const T0 = Date.now() - 10 * 60_000;
/** Bounded polls: generous, because reconnects back off (up to 30 s) and the machine is shared. */
const RECOVERY_WAIT_MS = 60_000;

interface Server {
  app: Coldtrail;
  dir: string;
  /** Every log line the server wrote, parsed. */
  lines: { msg: string; [k: string]: unknown }[];
  api: ReturnType<typeof apiClient>;
}

async function startServer(m: MosquittoHarness): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-ext-recovery-"));
  const lines: Server["lines"] = [];
  const log = createLogger("info", {
    write(s: string) {
      lines.push(JSON.parse(s));
    },
  });
  const config = loadConfig({
    COLDTRAIL_HTTP_PORT: "0",
    COLDTRAIL_HTTP_HOST: "127.0.0.1",
    COLDTRAIL_DATA_DIR: dir,
    COLDTRAIL_ADMIN_TOKEN: ADMIN_TOKEN,
    COLDTRAIL_MQTT_URL: m.url,
    COLDTRAIL_MQTT_USERNAME: SERVER_USER.username,
    COLDTRAIL_MQTT_PASSWORD: SERVER_USER.password,
    COLDTRAIL_MQTT_ADMIN_USERNAME: m.admin.username,
    COLDTRAIL_MQTT_ADMIN_PASSWORD: m.admin.password,
  });
  const app = await startColdtrail(config, { log });
  return { app, dir, lines, api: apiClient(app.httpUrl) };
}

async function stopServer(s: Server | null): Promise<void> {
  if (!s) return;
  await s.app.stop();
  rmSync(s.dir, { recursive: true, force: true });
}

interface Health {
  status: string;
  ingest?: { component: string; ok: boolean; state: string; since: string; reason?: string };
  degraded?: { component: string; reason: string }[];
}

async function health(s: Server): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${s.app.httpUrl}/healthz`);
  return { status: res.status, body: (await res.json()) as Health };
}

async function metric(s: Server, name: string): Promise<number> {
  const text = await (await fetch(`${s.app.httpUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no metric ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

async function storedTs(s: Server, probeId: string): Promise<number[]> {
  const from = new Date(T0 - 60_000).toISOString();
  const to = new Date(Date.now() + 60_000).toISOString();
  const r = await s.api<{ readings: { ts: string }[] }>(
    "GET",
    `/api/v1/probes/${probeId}/readings?from=${from}&to=${to}`,
  );
  if (r.status !== 200) throw new Error(`readings: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.readings.map((x) => Date.parse(x.ts));
}

const readingPayload = (ts: number, tempC: number, seq: number) =>
  JSON.stringify({ readings: [{ ts, temp_c: tempC, seq }] });

const msgs = (s: Server) => s.lines.map((l) => l.msg);

describe.skipIf(skip)("external broker: ingest recovers by itself", () => {
  let m: MosquittoHarness;
  let prov: MosquittoProvisioner;
  let srv: Server | null = null;
  const devices: MqttClient[] = [];

  beforeAll(async () => {
    ({ m, prov } = await startIngestBroker());
  });
  afterEach(async () => {
    for (const d of devices.splice(0)) d.end(true);
    await stopServer(srv);
    srv = null;
    // Each test starts with Mosquitto up.
    await m.start();
  });
  afterAll(async () => {
    await prov?.close();
    await m?.dispose();
  });

  it("Mosquitto stopped mid-stream: /healthz says degraded, ingest resumes when it is back, every acknowledged reading stored once", async () => {
    const s = await startServer(m);
    srv = s;
    expect(await health(s)).toMatchObject({
      status: 200,
      body: { status: "ok", ingest: { component: "mqtt-external", ok: true, state: "connected" } },
    });
    expect(await metric(s, "coldtrail_mqtt_external_connected")).toBe(1);
    const probes: RegisteredProbe[] = [];
    for (let k = 0; k < 3; k++) probes.push(await registerProbe({ api: s.api }));

    // Three devices publish a reading every 20 ms each at QoS 1; the PUBACK comes from Mosquitto.
    const sent = new Map<string, Set<number>>();
    const acked = new Map<string, Set<number>>();
    let running = true;
    let phase: "before" | "down" | "after" = "before";
    const ackedAfterRecovery: number[] = [];
    const streams = probes.map(async (p, k) => {
      const c = await connectProbe(m.url, p.id, p.secret, { reconnectPeriod: 200 });
      devices.push(c);
      const mine = new Set<number>();
      const ok = new Set<number>();
      sent.set(p.id, mine);
      acked.set(p.id, ok);
      for (let i = 0; running; i++) {
        await new Promise((r) => setTimeout(r, 20));
        // Each device its own minute of the recent past: 10 ms apart, for up to 100 s of publishing.
        const ts = T0 + 60_000 + k * 120_000 + i * 10;
        mine.add(ts);
        try {
          await c.publishAsync(p.mqtt.topic, readingPayload(ts, -19 - (i % 8) / 8, i), { qos: 1 });
          ok.add(ts);
          if (phase === "after") ackedAfterRecovery.push(ts);
        } catch {
          // Not acknowledged: nothing to expect of it.
        }
      }
    });
    const ackedCount = () => [...acked.values()].reduce((n, a) => n + a.size, 0);

    await waitFor(async () => ackedCount() >= 30, 20_000);
    // SIGTERM: Mosquitto saves the messages queued for coldtrail's persistent session on the way out.
    phase = "down";
    await m.stop();
    const down = await waitFor(async () => {
      const h = await health(s);
      return h.status === 503 && h;
    }, RECOVERY_WAIT_MS);
    expect(down.body).toMatchObject({
      status: "degraded",
      ingest: { component: "mqtt-external", ok: false, state: "reconnecting" },
      degraded: [{ component: "mqtt-external" }],
    });
    expect(down.body.degraded?.[0]?.reason).toMatch(/lost the MQTT broker/);
    expect(await metric(s, "coldtrail_mqtt_external_connected")).toBe(0);

    // Same port, same persistence file.
    await m.start();
    const up = await waitFor(async () => {
      const h = await health(s);
      return h.status === 200 && h;
    }, RECOVERY_WAIT_MS);
    expect(up.body).toMatchObject({ status: "ok", ingest: { ok: true, state: "connected" } });
    expect(up.body.degraded).toBeUndefined();
    phase = "after";
    await waitFor(async () => ackedAfterRecovery.length >= 30, RECOVERY_WAIT_MS);
    running = false;
    await Promise.all(streams);

    for (const p of probes) {
      const want = acked.get(p.id) as Set<number>;
      const stored = await waitFor(async () => {
        const ts = await storedTs(s, p.id);
        return [...want].every((t) => ts.includes(t)) && ts;
      }, RECOVERY_WAIT_MS);
      expect(new Set(stored).size).toBe(stored.length); // once each
      const mine = sent.get(p.id) as Set<number>;
      expect(stored.filter((t) => !mine.has(t))).toEqual([]);
    }
    expect(await metric(s, "coldtrail_mqtt_external_connected")).toBe(1);
    expect(await metric(s, "coldtrail_mqtt_external_reconnects_total")).toBeGreaterThanOrEqual(1);
    // One line per event, in order, without the server's password.
    const log = msgs(s);
    expect(log.filter((x) => x === "mqtt.external_disconnected")).toHaveLength(1);
    expect(log.filter((x) => x === "mqtt.external_recovered")).toHaveLength(1);
    const scheduled = s.lines.filter((l) => l.msg === "mqtt.external_reconnect_scheduled");
    expect(scheduled.length).toBeGreaterThanOrEqual(1);
    for (const l of scheduled) expect(l.delayMs).toBeGreaterThan(0);
    expect(log.indexOf("mqtt.external_disconnected")).toBeLessThan(log.indexOf("mqtt.external_recovered"));
    expect(JSON.stringify(s.lines)).not.toContain(SERVER_USER.password);
  }, 180_000);

  it("Mosquitto crashed and lost its database: ingest subscribes again and readings flow", async () => {
    const s = await startServer(m);
    srv = s;
    const p = await registerProbe({ api: s.api });
    const c = await connectProbe(m.url, p.id, p.secret);
    devices.push(c);
    await c.publishAsync(p.mqtt.topic, readingPayload(T0 + 1000, -20, 1), { qos: 1 });
    await waitFor(async () => (await storedTs(s, p.id)).includes(T0 + 1000));
    c.end(true);

    await m.kill9();
    await waitFor(async () => (await health(s)).status === 503, RECOVERY_WAIT_MS);
    // Mosquitto's saved state without coldtrail's session (the dynsec logins are another file).
    rmSync(join(m.dir, "mosquitto.db"), { force: true });
    await m.start();
    await waitFor(async () => (await health(s)).status === 200, RECOVERY_WAIT_MS);
    expect(msgs(s)).toContain("mqtt.external_session_lost_resubscribing");

    const again = await connectProbe(m.url, p.id, p.secret);
    devices.push(again);
    await again.publishAsync(p.mqtt.topic, readingPayload(T0 + 2000, -20.5, 2), { qos: 1 });
    expect(
      await waitFor(async () => {
        const ts = await storedTs(s, p.id);
        return ts.includes(T0 + 2000) && ts;
      }, RECOVERY_WAIT_MS),
    ).toEqual([T0 + 1000, T0 + 2000]);
  }, 120_000);

  it("a journal failure withholds the PUBACK: the message comes again after the reconnect and is stored once; health goes degraded and back", async () => {
    const s = await startServer(m);
    srv = s;
    const p = await registerProbe({ api: s.api });
    const c = await connectProbe(m.url, p.id, p.secret, { reconnectPeriod: 200 });
    devices.push(c);
    await c.publishAsync(p.mqtt.topic, readingPayload(T0 + 1000, -20, 1), { qos: 1 });
    await waitFor(async () => (await storedTs(s, p.id)).includes(T0 + 1000));
    expect(await metric(s, "coldtrail_ingest_journal_failures_total")).toBe(0);
    const reconnectsBefore = await metric(s, "coldtrail_mqtt_external_reconnects_total");

    // A real SQLite error in the journal's commit (the SQLite store writes readings in it): a
    // trigger, made through a second connection to the server's database file, refuses this one
    // reading until it is dropped.
    const dbFile = join(s.dir, "coldtrail.sqlite");
    expect(existsSync(dbFile)).toBe(true);
    const other = new Database(dbFile);
    try {
      other
        .prepare(
          `CREATE TRIGGER fail_once BEFORE INSERT ON reading
           WHEN NEW.probe_id = '${p.id}' AND NEW.ts = ${T0 + 2000}
           BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END`,
        )
        .run();
      await c.publishAsync(p.mqtt.topic, readingPayload(T0 + 2000, -20.5, 2), { qos: 1 });
      const degraded = await waitFor(async () => {
        const h = await health(s);
        return h.status === 503 && h;
      }, RECOVERY_WAIT_MS);
      other.prepare("DROP TRIGGER fail_once").run();
      expect(degraded.body).toMatchObject({
        status: "degraded",
        ingest: { component: "mqtt-external", ok: false, state: "journal-failing" },
        degraded: [{ component: "mqtt-external" }],
      });
      expect(degraded.body.degraded?.[0]?.reason).toMatch(/disk I\/O error \(test\)/);
    } finally {
      other.close();
    }
    expect(await metric(s, "coldtrail_ingest_journal_failures_total")).toBeGreaterThanOrEqual(1);

    // Redelivered by Mosquitto on the new connection, journaled now, stored once.
    const stored = await waitFor(async () => {
      const ts = await storedTs(s, p.id);
      return ts.includes(T0 + 2000) && ts;
    }, RECOVERY_WAIT_MS);
    expect(stored).toEqual([T0 + 1000, T0 + 2000]);
    const ok = await waitFor(async () => {
      const h = await health(s);
      return h.status === 200 && h;
    }, RECOVERY_WAIT_MS);
    expect(ok.body).toMatchObject({ status: "ok", ingest: { ok: true, state: "connected" } });
    expect(await metric(s, "coldtrail_mqtt_external_reconnects_total")).toBeGreaterThan(reconnectsBefore);
    expect(await metric(s, "coldtrail_mqtt_external_connected")).toBe(1);
    const log = msgs(s);
    expect(log).toContain("ingest.journal_failed");
    expect(log).toContain("ingest.journal_recovered");
    expect(log).toContain("mqtt.external_recovered");

    // And later readings flow as before.
    await c.publishAsync(p.mqtt.topic, readingPayload(T0 + 3000, -21, 3), { qos: 1 });
    expect(
      await waitFor(async () => {
        const ts = await storedTs(s, p.id);
        return ts.includes(T0 + 3000) && ts;
      }, RECOVERY_WAIT_MS),
    ).toEqual([T0 + 1000, T0 + 2000, T0 + 3000]);
  }, 120_000);
});
