import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../test/processes.js";
import { ADMIN_TOKEN, apiClient, TEST_SECRET_KEY, waitFor } from "./harness.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** A start (tsx compiling the server, then listening) took 25–28 s at load 15 on 2 cores. */
const READY_MS = 90_000;

export interface ServerProcess {
  httpUrl: string;
  mqttUrl: string;
  readonly pid: number | undefined;
  start(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/** coldtrail as a real separate process (`node --import tsx server/src/main.ts`), to kill -9 it. */
export async function serverProcess(env: Record<string, string>): Promise<ServerProcess> {
  const httpPort = await freePort();
  const mqttPort = await freePort();
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const api = apiClient(httpUrl);
  const self: ServerProcess = {
    httpUrl,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    get pid() {
      return child?.pid;
    },
    async start() {
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
        stdio: ["ignore", "inherit", "inherit"],
      });
      const c = child;
      exited = new Promise((resolve) => c.once("exit", () => resolve()));
      await waitFor(async () => {
        if (c.exitCode !== null) throw new Error(`server exited with ${c.exitCode}`);
        try {
          return (await fetch(`${httpUrl}/healthz`)).ok;
        } catch {
          return false;
        }
      }, READY_MS);
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
    api,
  };
  await self.start();
  return self;
}
