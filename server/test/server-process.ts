import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../test/processes.js";
import { ADMIN_TOKEN, apiClient, TEST_SECRET_KEY, waitFor } from "./harness.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** A start (tsx compiling the server, then listening) took 25–28 s at load 15 on 2 cores. */
const READY_MS = 90_000;

export interface ServerProcess {
  readonly httpUrl: string;
  readonly mqttUrl: string;
  readonly pid: number | undefined;
  start(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/** Start attempts when a port taken between `freePort` and the server's listen makes it exit. */
const START_ATTEMPTS = 3;
/** How much of the child's stderr is kept to explain a failed start. */
const STDERR_TAIL_CHARS = 4000;

/** coldtrail as a real separate process (`node --import tsx server/src/main.ts`), to kill -9 it. */
export async function serverProcess(env: Record<string, string>): Promise<ServerProcess> {
  let httpPort = await freePort();
  let mqttPort = await freePort();
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let started = false;
  let stderrTail = "";
  const launch = async () => {
    stderrTail = "";
    child = spawn(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        COLDTRAIL_HTTP_PORT: String(httpPort),
        COLDTRAIL_HTTP_HOST: "127.0.0.1",
        COLDTRAIL_MQTT_PORT: String(mqttPort),
        COLDTRAIL_ADMIN_TOKEN: ADMIN_TOKEN,
        COLDTRAIL_SECRET_KEY: TEST_SECRET_KEY,
        COLDTRAIL_LOG_LEVEL: process.env.COLDTRAIL_TEST_LOG ?? "warn",
        ...env,
      },
      stdio: ["ignore", "inherit", "pipe"],
    });
    const c = child;
    // Passed through as before, and its end kept to say why a start failed.
    c.stderr?.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
    });
    exited = new Promise((resolve) => c.once("exit", () => resolve()));
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    await waitFor(async () => {
      if (c.exitCode !== null) {
        throw new Error(`server exited with ${c.exitCode}: ${stderrTail.trim() || "(nothing on stderr)"}`);
      }
      try {
        return (await fetch(`${httpUrl}/healthz`)).ok;
      } catch {
        return false;
      }
    }, READY_MS);
  };
  const self: ServerProcess = {
    get httpUrl() {
      return `http://127.0.0.1:${httpPort}`;
    },
    get mqttUrl() {
      return `mqtt://127.0.0.1:${mqttPort}`;
    },
    get pid() {
      return child?.pid;
    },
    async start() {
      for (let attempt = 1; ; attempt++) {
        try {
          await launch();
          started = true;
          return;
        } catch (e) {
          // Another process took a port in the moment between freePort and listen. Before the
          // first start nobody knows the URLs yet, so fresh ports are taken; a restart keeps its
          // ports (clients reconnect to them) and tries again shortly.
          const portTaken = /already in use|EADDRINUSE/.test(stderrTail);
          if (!portTaken || attempt >= START_ATTEMPTS) throw e;
          if (!started) {
            httpPort = await freePort();
            mqttPort = await freePort();
          } else {
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      }
    },
    async kill9() {
      child?.kill("SIGKILL");
      await exited;
      child = null;
    },
    async stop() {
      child?.kill("SIGTERM");
      await exited;
      child = null;
    },
    api: (method, path, body) => apiClient(self.httpUrl)(method, path, body),
  };
  await self.start();
  return self;
}
