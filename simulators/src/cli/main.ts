import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type ApiTarget, createProbe, createUnit } from "../api/registration.js";
import { runDemo } from "../demo/run-demo.js";
import { runLoad } from "../load/run-load.js";
import { UNIT_MODELS, type UnitModelId } from "../models/registry.js";
import { renameProbes, replayMessages } from "../scenarios/replay.js";
import { parseScenario } from "../scenarios/scenario.js";
import { scenarioStartMs, simulateScenario } from "../scenarios/simulate.js";
import { BLE_USAGE, bleCommand } from "./ble-command.js";
import { readCredentials } from "./credentials.js";

const USAGE = `coldtrail-sim — virtual freezers, fridges and cool bags with probes that publish to coldtrail

usage:
  coldtrail-sim demo [--api URL] [--token T] [--probes 4] [--interval-ms 2000] [--state data/sim-probes.json]
                     [--mqtt URL] [--seed N] [--progress-s 10]
      live readings from a mix of units; registers probes through the HTTP API (or reuses the state file)
  coldtrail-sim run <scenario.json> [--mqtt URL] [--username U --password P | --creds FILE | --api URL --token T]
                     [--start ISO] [--seed N] [--dry-run] [--json]
      simulates a scenario and publishes its readings, with device timestamps, as fast as acks allow
  coldtrail-sim load [--mqtt URL] [--probes 1000] [--rate 5000] [--duration 10] [--connections 10]
                     [--username U --password P | --creds FILE] [--prefix load] [--json]
      publishes at a target rate and reports the achieved rate and PUBACK latency p50/p99
${BLE_USAGE}

defaults: --api http://127.0.0.1:8080 (or COLDTRAIL_API_URL), --token COLDTRAIL_ADMIN_TOKEN,
          --mqtt mqtt://127.0.0.1:1883 (or COLDTRAIL_MQTT_URL)
`;

type Out = { out: (s: string) => void; err: (s: string) => void };
const io: Out = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

function num(name: string, value: string | undefined, fallback: number, min: number): number | string {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) return `--${name} must be a number ≥ ${min}, got "${value}"`;
  return n;
}

/** Returns the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "demo":
        return await demo(rest, env);
      case "run":
        return await run(rest, env);
      case "load":
        return await load(rest, env);
      case "ble":
        return bleCommand(rest, io.out, io.err);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`coldtrail-sim: unknown command "${command}": use demo, run, load or ble (see --help)`);
        return 2;
    }
  } catch (e) {
    // parseArgs errors (unknown option, missing value) and LoadError land here: one line, no stack.
    io.err(`coldtrail-sim ${command}: ${(e as Error).message}`);
    return 2;
  }
}

async function demo(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseArgs({
    args: [...args],
    options: {
      api: { type: "string" },
      token: { type: "string" },
      probes: { type: "string" },
      "interval-ms": { type: "string" },
      state: { type: "string" },
      mqtt: { type: "string" },
      seed: { type: "string" },
      "progress-s": { type: "string" },
    },
  });
  const token = v.token ?? env.COLDTRAIL_ADMIN_TOKEN;
  if (!token) {
    io.err("coldtrail-sim demo: --token is required (the server's admin token, COLDTRAIL_ADMIN_TOKEN)");
    return 2;
  }
  const probes = num("probes", v.probes, 4, 1);
  const intervalMs = num("interval-ms", v["interval-ms"], 2000, 100);
  const seed = num("seed", v.seed, 1, 0);
  const progressS = num("progress-s", v["progress-s"], 10, 0.1);
  for (const x of [probes, intervalMs, seed, progressS]) {
    if (typeof x === "string") {
      io.err(`coldtrail-sim demo: ${x}`);
      return 2;
    }
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const r = await runDemo({
    apiUrl: v.api ?? env.COLDTRAIL_API_URL ?? "http://127.0.0.1:8080",
    token,
    probes: Math.floor(probes as number),
    intervalMs: intervalMs as number,
    statePath: v.state ?? "data/sim-probes.json",
    ...((v.mqtt ?? env.COLDTRAIL_SIM_MQTT_URL) && { mqttUrl: v.mqtt ?? env.COLDTRAIL_SIM_MQTT_URL }),
    seed: seed as number,
    progressMs: (progressS as number) * 1000,
    log: io.out,
    signal: ac.signal,
  });
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  if (!r.ok) {
    io.err(`coldtrail-sim demo: ${r.reason}`);
    return 1;
  }
  return 0;
}

async function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      mqtt: { type: "string" },
      username: { type: "string" },
      password: { type: "string" },
      creds: { type: "string" },
      api: { type: "string" },
      token: { type: "string" },
      start: { type: "string" },
      seed: { type: "string" },
      window: { type: "string" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    io.err("coldtrail-sim run: give exactly one scenario file, e.g. coldtrail-sim run power-cut.json");
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    io.err(`coldtrail-sim run: ${file}: ${(e as Error).message}`);
    return 2;
  }
  const parsed = parseScenario(json);
  if (!parsed.ok) {
    io.err(`coldtrail-sim run: ${file}: ${parsed.reason}`);
    return 2;
  }
  let scenario = parsed.scenario;
  if (v.seed !== undefined) {
    const seed = num("seed", v.seed, 1, 0);
    if (typeof seed === "string") {
      io.err(`coldtrail-sim run: ${seed}`);
      return 2;
    }
    scenario = { ...scenario, seed };
  }
  if (v.start !== undefined) {
    if (Number.isNaN(Date.parse(v.start))) {
      io.err(
        `coldtrail-sim run: --start must be an ISO 8601 time like 2026-05-03T14:00:00Z, got "${v.start}"`,
      );
      return 2;
    }
    scenario = { ...scenario, start: v.start };
  }
  const startMs = scenarioStartMs(scenario, Date.now());
  const sim = simulateScenario(scenario, startMs);
  const readings = sim.messages.reduce((n, m) => n + m.payload.readings.length, 0);
  io.out(
    `run: "${scenario.name}": ${scenario.units.length} units, ${scenario.probes.length} probes, ` +
      `${sim.messages.length} messages, ${readings} readings from ${new Date(startMs).toISOString()} to ${new Date(sim.endMs).toISOString()}`,
  );
  if (v["dry-run"]) {
    if (v.json)
      io.out(JSON.stringify({ messages: sim.messages.map((m) => ({ topic: m.topic, payload: m.payload })) }));
    return 0;
  }

  let messages = sim.messages;
  let secrets = new Map<string, string>();
  if (v.creds) {
    const c = await readCredentials(v.creds);
    if (!c.ok) {
      io.err(`coldtrail-sim run: ${c.reason}`);
      return 2;
    }
    secrets = c.secrets;
  } else if (v.api) {
    const token = v.token ?? env.COLDTRAIL_ADMIN_TOKEN;
    if (!token) {
      io.err("coldtrail-sim run: --api needs --token (or COLDTRAIL_ADMIN_TOKEN)");
      return 2;
    }
    const api: ApiTarget = { baseUrl: v.api, token };
    const unitIds = new Map<string, string>();
    for (const u of scenario.units) {
      const r = await createUnit(api, {
        name: u.name ?? `${scenario.name}: ${u.id}`,
        kind: UNIT_MODELS[u.model as UnitModelId].kind,
      });
      if (!r.ok) {
        io.err(`coldtrail-sim run: ${r.reason}`);
        return 1;
      }
      unitIds.set(u.id, r.value.id);
    }
    const ids = new Map<string, string>();
    for (const p of scenario.probes) {
      const r = await createProbe(api, { name: `${scenario.name}: ${p.id}`, unitId: unitIds.get(p.unit)! });
      if (!r.ok) {
        io.err(`coldtrail-sim run: ${r.reason}`);
        return 1;
      }
      ids.set(p.id, r.value.id);
      secrets.set(r.value.id, r.value.secret);
      io.out(`run: registered ${p.id} as probe ${r.value.id} in unit ${unitIds.get(p.unit)}`);
    }
    messages = renameProbes(messages, ids);
  }
  const url = v.mqtt ?? env.COLDTRAIL_MQTT_URL ?? "mqtt://127.0.0.1:1883";
  const window = num("window", v.window, 100, 1);
  if (typeof window === "string") {
    io.err(`coldtrail-sim run: ${window}`);
    return 2;
  }
  let lastPrint = 0;
  const r = await replayMessages(messages, {
    url,
    windowPerProbe: window,
    credentials: (id) => {
      const secret = secrets.get(id);
      if (secret) return { username: id, password: secret };
      if (v.username !== undefined)
        return { username: v.username, ...(v.password !== undefined && { password: v.password }) };
      return undefined;
    },
    onProgress: (done, total) => {
      const t = Date.now();
      if (t - lastPrint >= 1000) {
        lastPrint = t;
        io.out(`run: ${done}/${total} messages acknowledged`);
      }
    },
  });
  if (!r.ok) {
    io.err(`coldtrail-sim run: ${r.reason}`);
    return 1;
  }
  const summary = {
    scenario: scenario.name,
    messages: r.sent,
    readings,
    acked: r.acked,
    errors: r.errors,
    elapsedMs: r.elapsedMs,
    dropped: sim.dropped,
    expect: scenario.expect ?? null,
  };
  if (v.json) io.out(JSON.stringify(summary));
  else {
    io.out(`run: done: ${r.acked}/${r.sent} messages acknowledged, ${r.errors} errors, in ${r.elapsedMs} ms`);
    for (const a of scenario.expect?.alerts ?? [])
      io.out(`run: expect alert ${a.kind} on unit ${a.unit}${a.note ? ` (${a.note})` : ""}`);
    for (const x of scenario.expect?.verdicts ?? [])
      io.out(`run: expect verdict ${x.verdict} for milk in unit ${x.unit}${x.note ? ` (${x.note})` : ""}`);
  }
  return r.errors === 0 ? 0 : 1;
}

async function load(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseArgs({
    args: [...args],
    options: {
      mqtt: { type: "string" },
      probes: { type: "string" },
      rate: { type: "string" },
      duration: { type: "string" },
      connections: { type: "string" },
      username: { type: "string" },
      password: { type: "string" },
      creds: { type: "string" },
      prefix: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const probes = num("probes", v.probes, 1000, 1);
  const rate = num("rate", v.rate, 5000, 0.001);
  const duration = num("duration", v.duration, 10, 0.001);
  const connections = num("connections", v.connections, 10, 1);
  for (const x of [probes, rate, duration, connections]) {
    if (typeof x === "string") {
      io.err(`coldtrail-sim load: ${x}`);
      return 2;
    }
  }
  let credentials: Map<string, string> | undefined;
  if (v.creds) {
    const c = await readCredentials(v.creds);
    if (!c.ok) {
      io.err(`coldtrail-sim load: ${c.reason}`);
      return 2;
    }
    credentials = c.secrets;
  }
  const url = v.mqtt ?? env.COLDTRAIL_MQTT_URL ?? "mqtt://127.0.0.1:1883";
  const r = await runLoad({
    url,
    probes: Math.floor(probes as number),
    ratePerS: rate as number,
    durationS: duration as number,
    connections: Math.floor(connections as number),
    ...(v.username !== undefined && { username: v.username }),
    ...(v.password !== undefined && { password: v.password }),
    ...(credentials && { credentials }),
    ...(v.prefix !== undefined && { probeIdPrefix: v.prefix }),
    onConnected: (c) =>
      io.out(
        `load: connected ${c.connections} connections in ${(c.connectMs / 1000).toFixed(1)} s; sending ${rate}/s for ${duration} s`,
      ),
    onProgress: (p) =>
      io.out(
        `load: ${p.elapsedS.toFixed(1)} s · sent ${p.sent} · acked ${p.acked} · in flight ${p.inFlight} · errors ${p.errors}`,
      ),
  });
  if (v.json) io.out(JSON.stringify(r));
  else
    io.out(
      `load: done: sent ${r.sent} · acked ${r.acked} · errors ${r.errors} · ${r.ratePerS.toFixed(0)} readings/s over ${r.elapsedS} s ` +
        `on ${r.connections} connections · PUBACK latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`,
    );
  return r.acked > 0 && r.errors === 0 ? 0 : 1;
}

// A reader that stops early (`coldtrail-sim ble | head`) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
