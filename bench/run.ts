/**
 * `npm run bench`: coldtrail's benchmarks. Each path is measured beside its own ceiling in the
 * same run, publishers in a separate process from the server; figures are medians of several
 * runs, printed as a table and written to bench/results.json with the machine they ran on.
 */
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, freemem, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Aedes } from "aedes";
import type { Coldtrail } from "../server/src/app.js";
import type { Reading } from "../server/src/reading.js";
import { computeVerdict, PROFILES } from "../server/src/rules/index.js";
import { startInfluxd, uniqueDatabaseName } from "../test/influxd.js";
import { alertBurst } from "./alert-burst.js";
import { alertLatency } from "./alert-latency.js";
import { forwardBacklog } from "./backlog.js";
import { batchExportsOfAYear } from "./batch-exports.js";
import { benchServer } from "./coldtrail.js";
import { externalBench } from "./external.js";
import { idleProbeMemory } from "./idle-probes.js";
import { tenThousandProbes } from "./load.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LIVE = {
  probes: 100,
  messagesPerClient: Number(process.env.BENCH_LIVE_MESSAGES ?? 400),
  inflight: 16,
  stepMs: Number(process.env.BENCH_LIVE_STEP_MS ?? 1000),
};
const REPLAY = { probes: 10, messagesPerClient: 20, readingsPerMessage: 500 };

/** A ratio as a whole percentage, for the printed rows. */
const percent = (x: number) => `${(x * 100).toFixed(0)}%`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

interface PublisherResult {
  acked: number;
  readings: number;
  elapsedMs: number;
  messagesPerS: number;
  /** performance.now() in this process when the publisher had connected and started. */
  startedAt: number;
}

function runPublisher(args: object, onConnected?: () => void): Promise<PublisherResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(HERE, "publisher.ts"), JSON.stringify(args)],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let startedAt = 0;
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = JSON.parse(buf.slice(0, nl)) as { event: string } & PublisherResult;
        buf = buf.slice(nl + 1);
        if (line.event === "connected") {
          startedAt = performance.now();
          onConnected?.();
        }
        if (line.event === "done") resolve({ ...line, startedAt });
        nl = buf.indexOf("\n");
      }
    });
    child.once("exit", (code) => code !== 0 && reject(new Error(`publisher exited with ${code}`)));
  });
}

async function bareAedes(): Promise<{ url: string; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((r) => aedes.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * Live readings as probes in service send them: attached and settled an hour ago (past the alert
 * engine's settling, so every reading goes through the unit's rule monitor), stamped about now
 * (`liveT0`: within ± half the run's span, under the 5-minute clock-skew threshold). Stamped a
 * day back, every probe had a clock a day off: a clock-skew alert each, one SQL transaction and
 * fsync on the event loop per probe, and readings outside any attachment that the rules skipped.
 */
const SETTLED_MS = 3_600_000;
const liveT0 = (messagesPerClient: number) => Date.now() - (messagesPerClient * LIVE.stepMs) / 2;

async function registerProbes(
  app: Coldtrail,
  n: number,
  attachedAtMs = Date.now(),
): Promise<{ id: string; secret: string }[]> {
  const { parts } = app;
  const caller = { accountId: "admin", role: "admin" as const };
  const unit = await parts.units.create(caller, { name: "bench freezer", kind: "freezer" }, Date.now());
  const out: { id: string; secret: string }[] = [];
  // One SQL-client transaction each (probes.create is async since the registry moved to the SQL
  // client: wrapping it in a synchronous db.transaction refused to start, and returned before it ran).
  for (let i = 0; i < n; i++) {
    const { probe, secret } = await parts.probes.create(caller, { unitId: unit.id }, attachedAtMs);
    out.push({ id: probe.id, secret });
  }
  return out;
}

interface Row {
  path: string;
  metric: string;
  unit: string;
  median: number;
  runs: number[];
  ceiling?: { name: string; median: number; runs: number[] };
  ratio?: number;
  target?: string;
}

/** Readings/s from the publisher's start until the store confirmed every reading. */
async function throughStore(
  app: Coldtrail,
  args: object,
  onConnected?: () => void,
): Promise<{ storedPerS: number; ackedPerS: number }> {
  const r = await runPublisher(args, onConnected);
  await app.parts.forwarder.drain(600_000);
  const elapsed = performance.now() - r.startedAt;
  return { storedPerS: (r.readings * 1000) / elapsed, ackedPerS: (r.readings * 1000) / r.elapsedMs };
}

interface LiveRun {
  storedPerS: number;
  ackedPerS: number;
  cpuUs: number;
  loopP99: number;
  loopMax: number;
}

/**
 * One live run on a fresh server: readings/s, and what the server spent on them: its CPU time per
 * reading (all threads; steadier than a rate on a shared machine) and the event loop's delay
 * (p99, max), which is the wait every PUBACK behind a stall shares.
 */
async function liveRun(store: "sqlite" | "influx", influxUrl: string | null): Promise<LiveRun> {
  const env: Record<string, string> =
    store === "influx" && influxUrl
      ? {
          COLDTRAIL_STORE: "influx",
          COLDTRAIL_INFLUX_URL: influxUrl,
          COLDTRAIL_INFLUX_DB: uniqueDatabaseName("bench"),
        }
      : {};
  const { app, dir } = await benchServer(env);
  try {
    const clients = await registerProbes(app, LIVE.probes, Date.now() - SETTLED_MS);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const r = await throughStore(app, {
      url: app.mqttUrl,
      clients,
      ...LIVE,
      readingsPerMessage: 1,
      t0: liveT0(LIVE.messagesPerClient),
    });
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    return {
      ...r,
      cpuUs: (cpu.user + cpu.system) / (LIVE.probes * LIVE.messagesPerClient),
      loopP99: loop.percentile(99) / 1e6,
      loopMax: loop.max / 1e6,
    };
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** aedes alone acknowledging the live load: messages/s. */
async function aedesRun(): Promise<number> {
  const b = await bareAedes();
  try {
    const clients = Array.from({ length: LIVE.probes }, (_, k) => ({ id: `bench-${k}`, secret: "" }));
    const r = await runPublisher({ url: b.url, clients, ...LIVE, readingsPerMessage: 1, t0: Date.now() });
    return r.messagesPerS;
  } finally {
    await b.close();
  }
}

/** InfluxDB alone: the same number of points as pre-built line protocol, 500 a request, 4 at once. */
async function influxCeiling(url: string): Promise<number[]> {
  const runs: number[] = [];
  const total = REPLAY.probes * REPLAY.messagesPerClient * REPLAY.readingsPerMessage;
  for (let i = 0; i < RUNS; i++) {
    const db = uniqueDatabaseName("raw");
    await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: "POST" });
    const t0 = Date.now() - 86_400_000;
    const bodies: string[] = [];
    for (let b = 0; b < total / 500; b++) {
      const lines = [];
      for (let k = 0; k < 500; k++) {
        const n = b * 500 + k;
        lines.push(
          `reading,probe_id=p_raw${b % REPLAY.probes} temp_c=${-19 + (n % 32) / 16},seq=${n}i ${t0 + n * 1000}`,
        );
      }
      bodies.push(lines.join("\n"));
    }
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++] as string;
          const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: "POST", body });
          if (res.status !== 204) throw new Error(`influx write ${res.status}: ${await res.text()}`);
        }
      }),
    );
    const rate = (total * 1000) / (performance.now() - start);
    runs.push(rate);
    log(`influxd alone run ${i + 1}/${RUNS}: ${Math.round(rate)} points/s`);
  }
  return runs;
}

/**
 * The replay path: readings stored per second, and the server's CPU time per reading over the same
 * span (the server runs in this process). On a shared machine the rate swings with the neighbours;
 * the CPU cost per reading moves far less, so it shows what a change to the path itself did.
 */
async function replayPath(url: string): Promise<{ rates: number[]; cpuUsPerReading: number[] }> {
  const rates: number[] = [];
  const cpuUsPerReading: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { app, dir } = await benchServer({
      COLDTRAIL_STORE: "influx",
      COLDTRAIL_INFLUX_URL: url,
      COLDTRAIL_INFLUX_DB: uniqueDatabaseName("replay"),
    });
    const clients = await registerProbes(app, REPLAY.probes);
    // From the publisher's start (its process is up and connected), as the rate.
    let cpu0 = process.cpuUsage();
    const r = await throughStore(
      app,
      { url: app.mqttUrl, clients, ...REPLAY, inflight: 4, t0: Date.now() - 30 * 86_400_000 },
      () => {
        cpu0 = process.cpuUsage();
      },
    );
    const cpu = process.cpuUsage(cpu0);
    const readings = REPLAY.probes * REPLAY.messagesPerClient * REPLAY.readingsPerMessage;
    rates.push(r.storedPerS);
    cpuUsPerReading.push((cpu.user + cpu.system) / readings);
    log(
      `replay influx run ${i + 1}/${RUNS}: ${Math.round(r.storedPerS)} readings/s stored (${Math.round(r.ackedPerS)}/s acknowledged), server CPU ${(cpuUsPerReading[i] as number).toFixed(2)} µs a reading`,
    );
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rates, cpuUsPerReading };
}

/**
 * A batch with a year of one-minute readings (525 600): the verdict over the API (store read,
 * stitching, engine) and the pure engine alone on the same readings.
 */
async function verdictOfAYear(): Promise<Row[]> {
  const { app, dir } = await benchServer({});
  const { parts } = app;
  const caller = { accountId: "admin", role: "admin" as const };
  const DAY = 86_400_000;
  const end = Date.now();
  const start = end - 365 * DAY;
  const unit = await parts.units.create(caller, { name: "a year", kind: "freezer" }, start);
  const { probe } = await parts.probes.create(caller, {}, start);
  await parts.probes.attach(caller, probe.id, unit.id, start, start);
  const readings: Reading[] = [];
  for (let t = start, i = 0; t < end; t += 60_000, i++) {
    // −20 °C with a 3-minute door opening to −6 °C every 3 hours.
    readings.push({
      probeId: probe.id,
      tsMs: t,
      tempC: (t - start) % (3 * 3_600_000) < 180_000 ? -6 : -20 + (i % 7) / 16,
      seq: i,
      serverTimed: false,
    });
  }
  for (let i = 0; i < readings.length; i += 50_000) await parts.store.write(readings.slice(i, i + 50_000));
  log(`verdict: stored ${readings.length} readings`);
  const batch = await parts.batches.create(
    caller,
    { unitId: unit.id, expressedAtMs: start - DAY, atMs: start, state: "frozen" },
    end,
  );
  const timed = async (server: typeof app, path: string) => {
    const t0 = performance.now();
    const res = await fetch(`${server.httpUrl}${path}`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    const body = (await res.json()) as { verdict: string };
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t0, verdict: body.verdict };
  };
  const verdictPath = `/api/v1/batches/${batch.id}`;
  const passportPath = `/api/v1/passports/${batch.code}`;
  // The first requests ever walk the year from SQLite (leaving a checkpoint) and roll its hours up.
  const ever = await timed(app, verdictPath);
  log(`verdict: first request ever (walks the year): ${Math.round(ever.ms)} ms (${ever.verdict})`);
  const passportEver = await timed(app, passportPath);
  log(`verdict: first passport ever (rolls up the year's hours): ${Math.round(passportEver.ms)} ms`);
  // After a restart, the first request resumes from the checkpoint and rollups kept in SQLite.
  await app.stop();
  let server = (await benchServer({}, dir)).app;
  const cold = await timed(server, verdictPath);
  log(`verdict: first request after a restart: ${Math.round(cold.ms)} ms (${cold.verdict})`);
  if (cold.verdict !== ever.verdict)
    throw new Error(`verdict changed across a restart: ${ever.verdict} → ${cold.verdict}`);
  await server.stop();
  server = (await benchServer({}, dir)).app;
  const passportCold = await timed(server, passportPath);
  log(`verdict: first passport after a restart: ${Math.round(passportCold.ms)} ms`);
  const api: number[] = [];
  const passports: number[] = [];
  const engine: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const warm = await timed(server, verdictPath);
    api.push(warm.ms);
    passports.push((await timed(server, passportPath)).ms);
    const custody = [
      {
        unitId: unit.id,
        unitKind: "freezer" as const,
        profile: PROFILES["home-freezer"],
        fromMs: start,
        toMs: null,
        readings,
        expectedIntervalMs: 60_000,
      },
    ];
    const t1 = performance.now();
    const r = computeVerdict({ expressedAtMs: start - DAY, initialState: "frozen", custody }, end);
    engine.push(performance.now() - t1);
    if (!r.ok) throw new Error(r.reason);
    log(
      `verdict run ${i + 1}/${RUNS}: verdict ${Math.round(warm.ms)} ms, passport ${Math.round(passports[i] as number)} ms, engine walking the whole year ${Math.round(engine[i] as number)} ms (${warm.verdict})`,
    );
  }
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  const row = (path: string, runs: number[], target?: string): Row => ({
    path,
    metric: "ms per request",
    unit: "",
    median: median(runs),
    runs,
    ...(target !== undefined && { target }),
  });
  const year = `a year of 1-minute readings (${readings.length}), SQLite`;
  return [
    row(`GET /batches/{id}, ${year}, first request after a restart`, [cold.ms], "< 200 ms"),
    row("GET /batches/{id}, same batch, later requests", api, "< 200 ms"),
    row(`GET /passports/{code}, ${year}, first request after a restart`, [passportCold.ms], "< 200 ms"),
    row("GET /passports/{code}, same batch, later requests", passports, "< 200 ms"),
    row("GET /batches/{id}, the first request ever (walks the whole year once)", [ever.ms]),
    row("GET /passports/{code}, the first request ever (rolls up the year's hours once)", [passportEver.ms]),
    row("rules engine alone walking the whole year", engine),
  ];
}

const rows: Row[] = [];
const extra = (process.env.BENCH_ONLY ?? "").split(",").filter(Boolean);
const want = (name: string) => extra.length === 0 || extra.includes(name);

log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, node ${process.version}; ${RUNS} runs each`);
const influxd = await startInfluxd();
try {
  // First, while this process has allocated nothing else: RSS is what the connections cost.
  if (want("memory")) {
    const m = await idleProbeMemory({ root: ROOT, steps: [1000, 10_000], register: registerProbes, log });
    for (const p of m.points) {
      rows.push({
        path: `server RSS per idle probe, ${p.probes} connected (RSS ${Math.round(p.rssMiB)} MiB, ${Math.round(m.rssAtZeroMiB)} MiB with none)`,
        metric: "KiB per probe",
        unit: "",
        median: p.perProbeKiB,
        runs: [p.perProbeKiB],
        target: "≤ 50 KiB",
      });
    }
  }
  if (want("live")) {
    // Round by round: aedes alone, then each store, so that each round's ratio compares runs made
    // within a minute of each other (the machine's rate drifts by tens of percent between minutes).
    const stores = (process.env.BENCH_LIVE_STORES ?? "sqlite,influx").split(",") as ("sqlite" | "influx")[];
    const ceiling: number[] = [];
    const live = new Map(stores.map((store) => [store, [] as LiveRun[]]));
    for (let i = 0; i < RUNS; i++) {
      ceiling.push(await aedesRun());
      log(`aedes alone run ${i + 1}/${RUNS}: ${Math.round(ceiling[i] as number)} messages/s acknowledged`);
      for (const store of stores) {
        const r = await liveRun(store, influxd.url);
        live.get(store)?.push(r);
        log(
          `live ${store} run ${i + 1}/${RUNS}: ${Math.round(r.storedPerS)} readings/s stored (${Math.round(r.ackedPerS)}/s acknowledged, ${percent(r.storedPerS / (ceiling[i] as number))} of aedes alone just before), server CPU ${r.cpuUs.toFixed(1)} µs/reading, event-loop delay p99 ${r.loopP99.toFixed(0)} ms, max ${r.loopMax.toFixed(0)} ms`,
        );
      }
    }
    for (const [store, done] of live) {
      const runs = done.map((r) => r.storedPerS);
      const pairs = runs.map((x, k) => x / (ceiling[k] as number));
      rows.push(
        {
          path: `live (1 reading/message, ${LIVE.probes} probes) → ${store}`,
          metric: `readings stored (each round over aedes alone just before it: median ${percent(median(pairs))} of ${pairs.map(percent).join(", ")})`,
          unit: "/s",
          median: median(runs),
          runs,
          ceiling: { name: "aedes alone, messages acknowledged", median: median(ceiling), runs: ceiling },
          ratio: median(runs) / median(ceiling),
          target: "≥ 50%",
        },
        {
          path: `live → ${store}, server CPU per reading (all threads)`,
          metric: `µs (event-loop delay p99 ${median(done.map((r) => r.loopP99)).toFixed(0)} ms, max ${median(done.map((r) => r.loopMax)).toFixed(0)} ms)`,
          unit: "",
          median: median(done.map((r) => r.cpuUs)),
          runs: done.map((r) => r.cpuUs),
        },
      );
    }
  }
  let rawInflux: number[] | null = null;
  if (want("replay")) {
    const ceiling = await influxCeiling(influxd.url);
    rawInflux = ceiling;
    const { rates: runs, cpuUsPerReading } = await replayPath(influxd.url);
    rows.push({
      path: `replay (500 readings/message, ${REPLAY.probes} probes) → influx`,
      metric: "readings stored",
      unit: "/s",
      median: median(runs),
      runs,
      ceiling: { name: "influxd alone, raw line protocol", median: median(ceiling), runs: ceiling },
      ratio: median(runs) / median(ceiling),
      target: "≥ 70%",
    });
    rows.push({
      path: "replay → influx, server CPU time (parse, journal, forward) per reading",
      metric: "µs",
      unit: "",
      median: median(cpuUsPerReading),
      runs: cpuUsPerReading,
    });
  }
  if (want("backlog")) {
    const ceiling = rawInflux ?? (await influxCeiling(influxd.url));
    const messages = REPLAY.probes * REPLAY.messagesPerClient;
    const r = await forwardBacklog({ influxUrl: influxd.url, runs: RUNS, messages, ...REPLAY, log });
    rows.push({
      path: `journaled backlog (${messages} messages of ${REPLAY.readingsPerMessage}) forwarded → influx, no broker or ingest`,
      metric: `readings/s (CPU ${median(r.cpuUsPerReading).toFixed(2)} µs a reading)`,
      unit: "",
      median: median(r.rates),
      runs: r.rates,
      ceiling: { name: "influxd alone, raw line protocol", median: median(ceiling), runs: ceiling },
      ratio: median(r.rates) / median(ceiling),
    });
  }
  if (want("external")) {
    const pool = Number(process.env.BENCH_EXTERNAL_CLIENTS ?? 4);
    const r = await externalBench({
      runs: RUNS,
      ...LIVE,
      // The product's default unless set: what a deployment that sets nothing gets.
      ...(process.env.BENCH_EXTERNAL_RECEIVE_MAXIMUM && {
        receiveMaximum: Number(process.env.BENCH_EXTERNAL_RECEIVE_MAXIMUM),
      }),
      poolClients: pool,
      log,
      registerProbes: (app, n) => registerProbes(app, n, Date.now() - SETTLED_MS),
      liveT0,
      embeddedRun: async () => (await liveRun("sqlite", null)).storedPerS,
      runPublisher,
    });
    const live = rows.find((x) => x.path.startsWith("live") && x.path.endsWith("sqlite"));
    const ceiling = {
      name: "Mosquitto alone, to an ack-only subscriber",
      median: median(r.ceiling),
      runs: r.ceiling,
    };
    for (const [what, runs, paired] of [
      ["one connection, Receive Maximum 1", r.oneAtATime, false],
      [`one connection, Receive Maximum ${r.receiveMaximum}`, r.plain, true],
      [`shared subscription × ${pool}, Receive Maximum ${r.receiveMaximum}`, r.shared, true],
    ] as const) {
      // Each round's external run over the embedded run made beside it.
      const pairs = paired ? runs.map((x, k) => x / (r.embedded[k] as number)) : [];
      const notes = [
        ...(paired
          ? [
              `${percent(median(pairs))} of the embedded run beside it: median of ${pairs.map(percent).join(", ")}, embedded ${Math.round(median(r.embedded))}/s`,
            ]
          : []),
        ...(live ? [`${percent(median(runs) / live.median)} of the live part's median`] : []),
      ];
      rows.push({
        path: `external Mosquitto (1 reading/message, ${LIVE.probes} probes), ${what} → sqlite`,
        metric: `readings stored${notes.length ? ` (${notes.join("; ")})` : ""}`,
        unit: "/s",
        median: median(runs),
        runs,
        ceiling,
        ratio: median(runs) / ceiling.median,
        target: "≥ embedded live",
      });
    }
    for (const [what, cpu] of [
      ["one connection", r.plainCpuUs],
      [`shared subscription × ${pool}`, r.sharedCpuUs],
    ] as const) {
      const mosquittoUs = cpu.map((c) => c.mosquitto).filter((c): c is number => c !== null);
      rows.push({
        path: `external Mosquitto, ${what} → sqlite, CPU per reading: coldtrail (all threads)`,
        metric: `µs (Mosquitto ${mosquittoUs.length ? median(mosquittoUs).toFixed(1) : "?"} µs more)`,
        unit: "",
        median: median(cpu.map((c) => c.server)),
        runs: cpu.map((c) => c.server),
      });
    }
  }
  if (want("verdict")) rows.push(...(await verdictOfAYear()));
  if (want("load")) {
    const f = await tenThousandProbes({
      root: ROOT,
      probes: Number(process.env.BENCH_LOAD_PROBES ?? 10_000),
      ratePerS: Number(process.env.BENCH_LOAD_RATE ?? 5000),
      durationS: 20,
      register: registerProbes,
      log,
    });
    rows.push(
      {
        path: `simulator load: ${f.probes} probes, one connection each, target ${f.targetPerS}/s → coldtrail (SQLite)`,
        metric: `readings acknowledged (PUBACK p50 ${f.latencyMs.p50} ms, p99 ${f.latencyMs.p99} ms, ${f.errors} errors)`,
        unit: "/s",
        median: f.ratePerS,
        runs: [f.ratePerS],
        target: "PUBACK p99 < 250 ms",
      },
      {
        path: `simulator load, server event loop while sending (connect of ${f.connections} took ${f.connectS} s, loop max ${Math.round(f.connectLoopMaxMs)} ms then)`,
        metric: `ms delay p99 (max ${Math.round(f.sendLoopMaxMs)} ms; GC ${Math.round(f.sendGcMs)} ms in all, longest ${Math.round(f.sendGcMaxMs)} ms)`,
        unit: "",
        median: f.sendLoopP99Ms,
        runs: [f.sendLoopP99Ms, f.sendLoopMaxMs],
      },
    );
  }
  if (want("exports")) {
    const e = await batchExportsOfAYear(RUNS, log);
    log(`exports: CSV of ${e.rows} rows; server RSS grew at most ${e.csvPeakRssGainMiB.toFixed(0)} MiB`);
    rows.push(
      {
        path: `batch readings.csv of a year (${e.rows} rows, peak RSS +${e.csvPeakRssGainMiB.toFixed(0)} MiB)`,
        metric: "ms",
        unit: "",
        median: median(e.csvMs),
        runs: e.csvMs,
        ceiling: {
          name: "the SQLite store's own range read of the year, ms",
          median: median(e.rangeMs),
          runs: e.rangeMs,
        },
        ratio: median(e.rangeMs) / median(e.csvMs),
      },
      {
        path: `batch report.pdf of a year (${e.pdfBytes} bytes)`,
        metric: "ms",
        unit: "",
        median: median(e.pdfMs),
        runs: e.pdfMs,
      },
    );
  }
  if (want("alerts")) {
    const r = await alertLatency({
      root: ROOT,
      excursions: Number(process.env.BENCH_EXCURSIONS ?? 60),
      loadRate: 10_000,
      loadProbes: 1000,
      log,
    });
    for (const c of r.channels) {
      log(
        `alerts: ${c.channel}: p50 ${Math.round(c.p50Ms)} ms, p99 ${Math.round(c.p99Ms)} ms over ${c.n} excursions`,
      );
      rows.push({
        path: `alert latency, reading that completes an excursion → ${c.channel} (${c.n} excursions, background ${Math.round(r.load.ratePerS)} readings/s achieved)`,
        metric: `ms p50 (p99 ${Math.round(c.p99Ms)} ms, max ${Math.round(c.maxMs)} ms)`,
        unit: "",
        median: c.p50Ms,
        runs: [c.p50Ms, c.p99Ms],
        target: "p99 < 1000 ms",
      });
    }
  }
  if (want("alert-burst")) {
    const excursions = Number(process.env.BENCH_EXCURSIONS ?? 60);
    const r = await alertBurst({ excursions, log });
    for (const c of r.channels)
      rows.push({
        path: `alert burst, ${c.n} alert deliveries at once (${excursions} excursions × 3 receivers) → ${c.channel}${c.channel === "email" ? ` in ${r.emails} messages` : ""}, no background load`,
        metric: `ms p50 (p99 ${Math.round(c.p99Ms)} ms, max ${Math.round(c.maxMs)} ms)`,
        unit: "",
        median: c.p50Ms,
        runs: [c.p50Ms, c.p99Ms],
        target: "p99 < 1000 ms",
      });
  }
} finally {
  await influxd.dispose();
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en") : n.toFixed(2));
console.log("\n| path | median | ceiling (median) | ratio | target |\n| --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(
    `| ${r.path} | ${fmt(r.median)} ${r.metric} ${r.unit} | ${r.ceiling ? `${fmt(r.ceiling.median)} (${r.ceiling.name})` : "–"} | ${r.ratio !== undefined ? percent(r.ratio) : "–"} | ${r.target ?? ""} |`,
  );
}
const out = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? null,
    node: process.version,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeGiB: Math.round(freemem() / 2 ** 30),
  },
  runs: RUNS,
  results: rows,
};
writeFileSync(join(HERE, "results.json"), `${JSON.stringify(out, null, 2)}\n`);
log("wrote bench/results.json");
process.exit(0);
