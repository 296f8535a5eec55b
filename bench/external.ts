/**
 * Bench part `external`: coldtrail's ingest behind a real Mosquitto (test/mosquitto.ts: the
 * production mosquitto.conf on a free loopback port), beside Mosquitto's own ceiling in the same
 * run. Publishers are the same raw-socket QoS 1 process as the live path (bench/publisher.ts).
 *
 * - ceiling: Mosquitto delivering every message to one MQTT 5 subscriber that only acknowledges
 *   (mqtt.js, Receive Maximum as coldtrail's), from the publisher's start until the last arrived;
 * - coldtrail: from the publisher's start until every reading was journaled (acknowledged to
 *   Mosquitto) and the store confirmed it: one connection with one message in flight (Receive
 *   Maximum 1), one connection reading ahead (the default, Receive Maximum 100), and
 *   a shared subscription over a pool of connections (COLDTRAIL_MQTT_SHARE_GROUP).
 */
import { readFileSync, rmSync } from "node:fs";
import mqtt from "mqtt";
import type { Coldtrail } from "../server/src/app.js";
import { createMosquittoProvisioner } from "../server/src/broker/mosquitto-dynsec.js";
import { loadConfig } from "../server/src/config.js";
import { createLogger } from "../server/src/logger.js";
import { type MosquittoHarness, startMosquitto } from "../test/mosquitto.js";
import { benchServer } from "./coldtrail.js";

export interface ExternalBenchDeps {
  runs: number;
  probes: number;
  messagesPerClient: number;
  inflight: number;
  /** Milliseconds between a probe's readings (publisher.ts). */
  stepMs?: number;
  /** Each ingest connection's Receive Maximum; unset: the product's default (config.ts). */
  receiveMaximum?: number;
  poolClients: number;
  log(msg: string): void;
  /** Probes attached and settled, as in the embedded `live` part. */
  registerProbes(app: Coldtrail, n: number): Promise<{ id: string; secret: string }[]>;
  /** The first reading's timestamp of a live run of `messagesPerClient` (run.ts `liveT0`). */
  liveT0(messagesPerClient: number): number;
  /**
   * One embedded `live` run (SQLite), made beside each external run: on a shared machine the rate
   * drifts by tens of percent between minutes, so the target compares each pair.
   */
  embeddedRun(): Promise<number>;
  runPublisher(
    args: object,
    onConnected?: () => void,
  ): Promise<{ readings: number; messagesPerS: number; startedAt: number }>;
}

export interface ExternalBenchResult {
  /** The Receive Maximum the runs used (the product's default unless the bench set one). */
  receiveMaximum: number;
  ceiling: number[];
  /** One connection with Receive Maximum 1: one message in flight at a time. */
  oneAtATime: number[];
  plain: number[];
  shared: number[];
  /** The embedded live rate of the run made just before each `plain` and `shared` pair. */
  embedded: number[];
  /**
   * The shared runs' CPU time per reading, from the publisher's start until stored: coldtrail's
   * (this process, all threads) and Mosquitto's (null where /proc is not there). Steadier than the
   * rate on a shared machine; both processes share the cores, so both count.
   */
  sharedCpuUs: { server: number; mosquitto: number | null }[];
  /** The same for the one-connection runs (`plain`). */
  plainCpuUs: { server: number; mosquitto: number | null }[];
}

/** CPU time (user + system) of a process so far, µs, from Linux's /proc; null elsewhere. */
function processCpuUs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
    const f = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
    const ticks = Number(f[11]) + Number(f[12]);
    return Number.isFinite(ticks) ? ticks * 10_000 : null;
  } catch {
    return null;
  }
}

const SERVER_USER = { username: "coldtrail-bench", password: "bench-ingest-password-0123456789" };

async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`bench external: ${what} not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Mosquitto alone: messages/s delivered to a subscriber that only acknowledges. */
async function mosquittoCeiling(
  m: MosquittoHarness,
  deps: ExternalBenchDeps & { receiveMaximum: number },
): Promise<number> {
  const prov = await createMosquittoProvisioner({ url: m.url, ...m.admin, log: createLogger("silent") });
  const ids = Array.from({ length: deps.probes }, (_, k) => ({
    id: `ceil-${k}`,
    secret: `ceiling-secret-${k}`,
  }));
  try {
    const own = await prov.ensureServerClient(SERVER_USER.username, SERVER_USER.password);
    if (!own.ok) throw new Error(own.message);
    for (const c of ids) {
      const r = await prov.ensureProbe(c.id, c.secret);
      if (!r.ok) throw new Error(r.message);
    }
  } finally {
    await prov.close();
  }
  const sub = await mqtt.connectAsync(m.url, {
    ...SERVER_USER,
    clientId: "bench-ack-only",
    protocolVersion: 5,
    clean: true,
    properties: { receiveMaximum: deps.receiveMaximum },
  });
  let received = 0;
  let last = 0;
  sub.on("message", () => {
    received++;
    last = performance.now();
  });
  await sub.subscribeAsync("coldtrail/v1/probes/+/readings", { qos: 1 });
  const total = deps.probes * deps.messagesPerClient;
  const r = await deps.runPublisher({
    url: m.url,
    clients: ids,
    messagesPerClient: deps.messagesPerClient,
    inflight: deps.inflight,
    stepMs: deps.stepMs,
    readingsPerMessage: 1,
    t0: Date.now(),
  });
  await waitUntil("the ack-only subscriber got every message", async () => received >= total);
  await sub.endAsync();
  return (total * 1000) / (last - r.startedAt);
}

/** coldtrail behind Mosquitto: readings/s from the publisher's start until stored, and the CPU spent. */
async function coldtrailBehind(
  m: MosquittoHarness,
  deps: ExternalBenchDeps & { receiveMaximum: number },
  env: Record<string, string>,
  run: number,
): Promise<{ rate: number; cpuUs: { server: number; mosquitto: number | null } }> {
  const clientId = `bench-ingest-${run}-${Date.now()}`;
  const { app, dir } = await benchServer({
    COLDTRAIL_MQTT_URL: m.url,
    COLDTRAIL_MQTT_USERNAME: SERVER_USER.username,
    COLDTRAIL_MQTT_PASSWORD: SERVER_USER.password,
    COLDTRAIL_MQTT_ADMIN_USERNAME: m.admin.username,
    COLDTRAIL_MQTT_ADMIN_PASSWORD: m.admin.password,
    COLDTRAIL_MQTT_RECEIVE_MAXIMUM: String(deps.receiveMaximum),
    ...env,
    // Its own sessions each run: nothing queued by an earlier run.
    COLDTRAIL_MQTT_INGEST_CLIENT_ID: clientId,
  });
  try {
    const clients = await deps.registerProbes(app, deps.probes);
    const prov = await createMosquittoProvisioner({ url: m.url, ...m.admin, log: createLogger("silent") });
    try {
      for (const c of clients) {
        const r = await prov.ensureProbe(c.id, c.secret);
        if (!r.ok) throw new Error(r.message);
      }
    } finally {
      await prov.close();
    }
    const before = (await app.parts.metrics.readings.get()).values[0]?.value ?? 0;
    const total = deps.probes * deps.messagesPerClient;
    let cpu0 = process.cpuUsage();
    let mosquitto0 = processCpuUs(m.pid);
    const r = await deps.runPublisher(
      {
        url: m.url,
        clients,
        messagesPerClient: deps.messagesPerClient,
        inflight: deps.inflight,
        stepMs: deps.stepMs,
        readingsPerMessage: 1,
        t0: deps.liveT0(deps.messagesPerClient),
      },
      () => {
        cpu0 = process.cpuUsage();
        mosquitto0 = processCpuUs(m.pid);
      },
    );
    await waitUntil(
      "coldtrail journaled every reading",
      async () => ((await app.parts.metrics.readings.get()).values[0]?.value ?? 0) - before >= total,
    );
    await app.parts.forwarder.drain(600_000);
    const rate = (total * 1000) / (performance.now() - r.startedAt);
    const cpu = process.cpuUsage(cpu0);
    const mosquitto1 = processCpuUs(m.pid);
    return {
      rate,
      cpuUs: {
        server: (cpu.user + cpu.system) / total,
        mosquitto: mosquitto0 !== null && mosquitto1 !== null ? (mosquitto1 - mosquitto0) / total : null,
      },
    };
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
    // Remove the run's persistent sessions: Mosquitto would go on queuing for them (a share of
    // every later run's messages in a group, all of them with plain filters).
    const pool = Number(env.COLDTRAIL_MQTT_INGEST_CLIENTS ?? 1);
    for (let k = 0; k < pool; k++) await endSession(m, k === 0 ? clientId : `${clientId}-${k}`);
  }
}

async function endSession(m: MosquittoHarness, clientId: string): Promise<void> {
  const c = await mqtt.connectAsync(m.url, {
    ...SERVER_USER,
    clientId,
    protocolVersion: 5,
    clean: true,
    properties: { sessionExpiryInterval: 0 },
    reconnectPeriod: 0,
  });
  await c.endAsync();
}

/** The Receive Maximum a deployment gets when it sets none. */
function defaultReceiveMaximum(): number {
  return loadConfig({}).mqtt.ingest.receiveMaximum;
}

export async function externalBench(given: ExternalBenchDeps): Promise<ExternalBenchResult> {
  const receiveMaximum = given.receiveMaximum ?? defaultReceiveMaximum();
  const deps = { ...given, receiveMaximum };
  const m = await startMosquitto();
  const out: ExternalBenchResult = {
    receiveMaximum,
    ceiling: [],
    oneAtATime: [],
    plain: [],
    shared: [],
    embedded: [],
    sharedCpuUs: [],
    plainCpuUs: [],
  };
  try {
    for (let i = 0; i < deps.runs; i++) {
      const c = await mosquittoCeiling(m, deps);
      out.ceiling.push(c);
      deps.log(
        `external: Mosquitto alone run ${i + 1}/${deps.runs}: ${Math.round(c)} messages/s to an ack-only subscriber`,
      );
      // One message in flight at a time (Mosquitto sends the next after the PUBACK): what the
      // read-ahead buys. Not the ingest before it read ahead, which was 3.1.1 with Mosquitto's
      // window of 20 but read and acknowledged one message at a time.
      // A tenth of the messages: at a few hundred a second the full load would take minutes.
      const few = { ...deps, messagesPerClient: Math.max(1, Math.round(deps.messagesPerClient / 10)) };
      const one = (await coldtrailBehind(m, few, { COLDTRAIL_MQTT_RECEIVE_MAXIMUM: "1" }, i)).rate;
      out.oneAtATime.push(one);
      deps.log(
        `external: coldtrail, one connection, Receive Maximum 1, run ${i + 1}/${deps.runs}: ${Math.round(one)} readings/s stored`,
      );
      const e = await deps.embeddedRun();
      out.embedded.push(e);
      deps.log(
        `external: embedded live beside it, run ${i + 1}/${deps.runs}: ${Math.round(e)} readings/s stored`,
      );
      const { rate: p, cpuUs: pCpu } = await coldtrailBehind(m, deps, {}, i);
      out.plain.push(p);
      out.plainCpuUs.push(pCpu);
      deps.log(
        `external: coldtrail, one connection, run ${i + 1}/${deps.runs}: ${Math.round(p)} readings/s stored, CPU ${pCpu.server.toFixed(1)} µs/reading in coldtrail (all threads), ${pCpu.mosquitto?.toFixed(1) ?? "?"} in Mosquitto`,
      );
      const { rate: s, cpuUs } = await coldtrailBehind(
        m,
        deps,
        { COLDTRAIL_MQTT_SHARE_GROUP: "coldtrail", COLDTRAIL_MQTT_INGEST_CLIENTS: String(deps.poolClients) },
        i,
      );
      out.shared.push(s);
      out.sharedCpuUs.push(cpuUs);
      deps.log(
        `external: coldtrail, shared subscription × ${deps.poolClients}, run ${i + 1}/${deps.runs}: ${Math.round(s)} readings/s stored, CPU ${cpuUs.server.toFixed(1)} µs/reading in coldtrail (all threads), ${cpuUs.mosquitto?.toFixed(1) ?? "?"} in Mosquitto`,
      );
    }
  } finally {
    await m.dispose();
  }
  return out;
}
