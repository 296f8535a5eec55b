/**
 * A real `influxd` (Debian's InfluxDB 1.6) for tests and benches: loopback only, free ports, its
 * own temp folder. `stop`/`start`/`restart` keep the same data dir and ports, so tests can take
 * InfluxDB away for a while and bring it back with the data it had.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, superviseDaemon } from "./processes.js";

export interface InfluxdHarness {
  /** `http://127.0.0.1:<port>`; stays the same across stop/start. */
  readonly url: string;
  /** The running influxd's process id, or null while stopped. */
  readonly pid: number | null;
  /** Starts influxd again after `stop`/`kill9` (no-op while running); resolves once `/ping` answers 204. */
  start(): Promise<void>;
  /** SIGTERM and wait for exit (SIGKILL after `stopTimeoutMs`). */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: a crash, nothing flushed. */
  kill9(): Promise<void>;
  /** stop (if running), then start. */
  restart(): Promise<void>;
  /** stop and delete the temp folder with all data. */
  dispose(): Promise<void>;
}

export interface InfluxdOptions {
  /** Path of the influxd binary; default `influxd` from PATH. */
  binary?: string;
  /** How long to wait for `/ping` after spawning; default 30 s. */
  readyTimeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL; default 10 s. */
  stopTimeoutMs?: number;
}

export class InfluxdNotInstalledError extends Error {
  override readonly name = "InfluxdNotInstalledError";
}

/** True when `binary` can be executed. */
export function isInfluxdInstalled(binary = "influxd"): boolean {
  const probe = spawnSync(binary, ["version"], { stdio: "ignore" });
  return probe.error === undefined && probe.status === 0;
}

/** A database name no other test uses: tests share one influxd but never see each other's data. */
export function uniqueDatabaseName(prefix = "t"): string {
  databaseCounter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}_${process.pid}_${databaseCounter}_${random}`;
}
let databaseCounter = 0;

export async function startInfluxd(options: InfluxdOptions = {}): Promise<InfluxdHarness> {
  const binary = options.binary ?? "influxd";
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  if (!isInfluxdInstalled(binary)) {
    throw new InfluxdNotInstalledError(
      `cannot run "${binary} version": InfluxDB is not installed. Install it with "apt-get install influxdb" ` +
        "(Debian's InfluxDB 1.6), or set COLDTRAIL_TEST_INFLUX_URL to a running InfluxDB, " +
        "or COLDTRAIL_SKIP_INFLUX=1 to skip the InfluxDB tests.",
    );
  }

  const dir = mkdtempSync(join(tmpdir(), "coldtrail-influxd-"));
  const httpPort = await freePort();
  const rpcPort = await freePort(httpPort);
  const configPath = join(dir, "influxdb.conf");
  writeFileSync(configPath, influxdConfig(dir, httpPort, rpcPort));
  const url = `http://127.0.0.1:${httpPort}`;

  const daemon = superviseDaemon({
    name: "influxd",
    binary,
    args: ["run", "-config", configPath],
    ready: () => pingAnswers(url),
    readyWhat: `answer ${url}/ping`,
    readyTimeoutMs,
    stopTimeoutMs,
    pollMs: 50,
  });
  await daemon.start();

  return {
    url,
    get pid() {
      return daemon.pid;
    },
    start: daemon.start,
    stop: daemon.stop,
    kill9: daemon.kill9,
    async restart() {
      await daemon.stop();
      await daemon.start();
    },
    async dispose() {
      await daemon.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function influxdConfig(dir: string, httpPort: number, rpcPort: number): string {
  // Everything on loopback; no phoning home, no _internal monitor database, no per-request logs.
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, "meta")}"
  logging-enabled = false

[data]
  dir = "${join(dir, "data")}"
  wal-dir = "${join(dir, "wal")}"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "error"
  suppress-logo = true

[continuous_queries]
  log-enabled = false
`;
}

async function pingAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 204;
  } catch {
    return false;
  }
}

/**
 * The timestamps (epoch ms) of a probe's readings in database `db`, read from influxd directly under
 * coldtrail's documented schema (measurement `reading`, tag `probe_id`, field `temp_c`).
 */
export async function readingTimestamps(url: string, db: string, probeId: string): Promise<number[]> {
  const q = new URL("/query", url);
  q.searchParams.set("db", db);
  q.searchParams.set("epoch", "ms");
  q.searchParams.set("q", `SELECT temp_c FROM reading WHERE probe_id = '${probeId}'`);
  const res = (await (await fetch(q)).json()) as {
    results: { series?: { values: [number, number][] }[] }[];
  };
  return (res.results[0]?.series?.[0]?.values ?? []).map((v) => v[0]);
}
