/**
 * A real Mosquitto (Debian's 2.0.x) for tests: loopback only, a free port, its own temp folder,
 * the dynamic security plugin with a fresh admin. Its configuration is the production one,
 * `deploy/mosquitto/mosquitto.conf`, with paths and the listener rewritten, so the tests cover what
 * docker-compose runs. `stop`/`start`/`kill9` keep the port, the persistence file and the dynsec
 * file, so tests can take Mosquitto away and bring it back with what it had saved.
 */
import { spawnSync } from "node:child_process";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, superviseDaemon } from "./processes.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DEPLOY_MOSQUITTO_CONF = join(ROOT, "deploy", "mosquitto", "mosquitto.conf");

/** Where distributions put the plugin: Debian/Ubuntu (multiarch), then the eclipse-mosquitto image. */
const PLUGIN_CANDIDATES = [
  "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
  "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
  "/usr/lib/mosquitto_dynamic_security.so",
  "/usr/local/lib/mosquitto_dynamic_security.so",
];

export interface MosquittoHarness {
  /** `mqtt://127.0.0.1:<port>`; the same across stop/start. */
  readonly url: string;
  readonly port: number;
  /** The dynsec admin made at start-up. */
  readonly admin: { username: string; password: string };
  /** The temp folder: config, dynsec JSON, persistence database, log. */
  readonly dir: string;
  readonly pid: number | null;
  /** Starts Mosquitto again after stop/kill9 (no-op while running); resolves once the port accepts. */
  start(): Promise<void>;
  /** SIGTERM and wait: Mosquitto saves its persistence database on the way out. */
  stop(): Promise<void>;
  /** SIGKILL and wait: nothing saved since the last autosave. */
  kill9(): Promise<void>;
  /** stop, delete the temp folder. */
  dispose(): Promise<void>;
  /** The last lines Mosquitto logged (to explain a failure). */
  logTail(): string;
}

export interface MosquittoOptions {
  binary?: string;
  /** The dynamic security plugin; default: the first of the usual paths that exists. */
  pluginPath?: string;
  /** How the dynsec file is made: `mosquitto_ctrl dynsec init` (default when installed) or written here. */
  dynsecInit?: "mosquitto_ctrl" | "json";
  /** Extra mosquitto.conf lines, appended. */
  extraConfig?: string[];
  readyTimeoutMs?: number;
}

export class MosquittoNotInstalledError extends Error {
  override readonly name = "MosquittoNotInstalledError";
}

export function isMosquittoInstalled(binary = "mosquitto"): boolean {
  const r = spawnSync(binary, ["-h"], { stdio: "ignore" });
  // `mosquitto -h` prints its usage and exits 3; only a missing binary is an error here.
  return r.error === undefined;
}

export function findDynsecPlugin(): string | null {
  return PLUGIN_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * Writes a dynsec file with one admin, for machines without `mosquitto_ctrl`. The password is
 * stored as `mosquitto_ctrl dynsec init` stores it: base64 PBKDF2-HMAC-SHA512 over a random
 * 12-byte salt, 101 iterations, 64 bytes (the layout and numbers of the file mosquitto_ctrl 2.0.11
 * wrote here, checked by recomputing its hash). Unlike mosquitto_ctrl's admin role, this one may
 * only administer dynsec and read `$SYS`, not every topic: the provisioner needs no more.
 */
export function writeDynsecFile(path: string, username: string, password: string): void {
  const salt = randomBytes(12);
  const iterations = 101;
  const hash = pbkdf2Sync(password, salt, iterations, 64, "sha512");
  const config = {
    clients: [
      {
        username,
        textName: "Dynsec admin user",
        password: hash.toString("base64"),
        salt: salt.toString("base64"),
        iterations,
        roles: [{ rolename: "admin" }],
      },
    ],
    roles: [
      {
        rolename: "admin",
        acls: [
          { acltype: "publishClientSend", topic: "$CONTROL/dynamic-security/#", allow: true },
          { acltype: "publishClientReceive", topic: "$CONTROL/dynamic-security/#", allow: true },
          { acltype: "subscribePattern", topic: "$CONTROL/dynamic-security/#", allow: true },
          { acltype: "publishClientReceive", topic: "$SYS/#", allow: true },
          { acltype: "subscribePattern", topic: "$SYS/#", allow: true },
          { acltype: "unsubscribePattern", topic: "#", allow: true },
        ],
      },
    ],
    // Mosquitto's own defaults, written out: nothing may be published or subscribed unless a role allows it.
    defaultACLAccess: {
      publishClientSend: false,
      publishClientReceive: true,
      subscribe: false,
      unsubscribe: true,
    },
  };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
}

/** The production config with this harness's port, folder and plugin path; pure, for tests of the rewrite. */
export function rewriteConfig(
  template: string,
  at: { port: number; dir: string; pluginPath: string; dynsecFile: string; runAsRoot: boolean },
): string {
  const seen = new Set<string>();
  const lines = template.split("\n").map((line) => {
    const key = line.trim().split(/\s+/)[0] ?? "";
    switch (key) {
      case "listener":
        seen.add(key);
        return `listener ${at.port} 127.0.0.1`;
      case "persistence_location":
        seen.add(key);
        return `persistence_location ${at.dir}/`;
      case "plugin":
        seen.add(key);
        return `plugin ${at.pluginPath}`;
      case "plugin_opt_config_file":
        seen.add(key);
        return `plugin_opt_config_file ${at.dynsecFile}`;
      case "log_dest":
        seen.add(key);
        // stderr is unbuffered: the tail is complete when a test fails.
        return "log_dest stderr";
      default:
        return line;
    }
  });
  for (const key of ["listener", "persistence_location", "plugin", "plugin_opt_config_file", "log_dest"]) {
    if (!seen.has(key))
      throw new Error(`deploy/mosquitto/mosquitto.conf has no "${key}" line for the test harness to rewrite`);
  }
  // As root, Mosquitto switches to the "mosquitto" user, which cannot write our temp folder.
  if (at.runAsRoot) lines.push("user root");
  return `${lines.join("\n")}\n`;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoHarness> {
  const binary = options.binary ?? "mosquitto";
  if (!isMosquittoInstalled(binary)) {
    throw new MosquittoNotInstalledError(
      `cannot run "${binary}": Mosquitto is not installed. Install it with "apt-get install mosquitto mosquitto-clients" (Debian 12 ships 2.0.11 with the dynamic security plugin), or set COLDTRAIL_SKIP_MOSQUITTO=1 to skip these tests.`,
    );
  }
  const pluginPath = options.pluginPath ?? findDynsecPlugin();
  if (pluginPath === null || !existsSync(pluginPath)) {
    throw new MosquittoNotInstalledError(
      `the Mosquitto dynamic security plugin is not at ${options.pluginPath ?? PLUGIN_CANDIDATES.join(" or ")}: pass pluginPath`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-mosquitto-"));
  const port = await freePort();
  const admin = { username: "coldtrail-admin", password: randomBytes(18).toString("base64url") };
  const dynsecFile = join(dir, "dynamic-security.json");
  const useCtrl = (options.dynsecInit ?? "mosquitto_ctrl") === "mosquitto_ctrl" && hasMosquittoCtrl();
  if (useCtrl) {
    const r = spawnSync("mosquitto_ctrl", ["dynsec", "init", dynsecFile, admin.username, admin.password], {
      encoding: "utf8",
    });
    if (r.status !== 0)
      throw new Error(`mosquitto_ctrl dynsec init failed (${r.status}): ${r.stderr || r.stdout}`);
  } else {
    writeDynsecFile(dynsecFile, admin.username, admin.password);
  }
  const configPath = join(dir, "mosquitto.conf");
  const runAsRoot = typeof process.getuid === "function" && process.getuid() === 0;
  writeFileSync(
    configPath,
    rewriteConfig(readFileSync(DEPLOY_MOSQUITTO_CONF, "utf8"), {
      port,
      dir,
      pluginPath,
      dynsecFile,
      runAsRoot,
    }) + (options.extraConfig ?? []).map((l) => `${l}\n`).join(""),
  );
  const url = `mqtt://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;

  const daemon = superviseDaemon({
    name: "mosquitto",
    binary,
    args: ["-c", configPath],
    ready: () => accepts(port),
    readyWhat: `accept connections on ${url}`,
    readyTimeoutMs,
    stopTimeoutMs: 10_000,
    pollMs: 25,
  });
  await daemon.start();
  return {
    url,
    port,
    admin,
    dir,
    get pid() {
      return daemon.pid;
    },
    start: daemon.start,
    stop: daemon.stop,
    kill9: daemon.kill9,
    async dispose() {
      await daemon.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
    logTail: daemon.tail,
  };
}

function hasMosquittoCtrl(): boolean {
  return spawnSync("mosquitto_ctrl", ["--help"], { stdio: "ignore" }).error === undefined;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
