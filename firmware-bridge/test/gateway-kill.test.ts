/**
 * The gateway as a real process (`node --import tsx firmware-bridge/src/gateway/run.ts`), killed with
 * SIGKILL while it spools (the broker is down): every reading that reached the spool file arrives at
 * the server once the broker is back and a gateway starts again on the same spool. Plus the command's
 * usage errors, in-process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerProbe, startTestServer, waitFor } from "../../server/test/harness.js";
import { bleAdverts } from "../../simulators/src/ble/index.js";
import { freePort } from "../../test/processes.js";
import {
  createPushSource,
  formatAdvertLine,
  gatewayCommand,
  type SpoolEntry,
  startGateway,
} from "../src/gateway/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const MIN = 60_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function spooled(dir: string, probeId: string): SpoolEntry[] {
  const path = join(dir, `${probeId}.jsonl`);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  // Only complete lines count as spooled: a line torn by the kill was never fsync'd whole.
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as SpoolEntry);
}

describe("gateway process killed with SIGKILL while spooling", () => {
  it("loses nothing that was spooled", async () => {
    const work = mkdtempSync(join(tmpdir(), "ct-gw-kill-"));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const dataDir = join(work, "server");
    const spoolDir = join(work, "spool");
    const env = {
      COLDTRAIL_MQTT_PORT: String(await freePort()),
      COLDTRAIL_HTTP_PORT: String(await freePort()),
    };

    // Register the probe, then take the broker away.
    let server = await startTestServer(env, dataDir);
    const probe = await registerProbe(server, {}, "ble-killed-01");
    const mqttUrl = server.mqttUrl;
    await server.stop();

    const startMs = Date.now() - 2 * 60 * MIN;
    const mac = "A4:C1:38:00:00:07";
    const adverts = [
      ...bleAdverts({
        unit: "chest-freezer",
        startMs,
        durationMs: 2 * 60 * MIN,
        sensors: [{ mac, format: "pvvx", seed: 5 }],
      }),
    ];
    writeFileSync(join(work, "adverts.jsonl"), `${adverts.map(formatAdvertLine).join("\n")}\n`);
    const config = {
      broker: mqttUrl,
      spoolDir,
      windowS: 60,
      probes: [{ mac, probeId: probe.id, secret: probe.secret }],
    };
    writeFileSync(join(work, "gateway.json"), JSON.stringify(config));

    // Two simulated hours at 1200x: a reading every 50 ms of wall time, for about 6 s.
    const child: ChildProcess = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "firmware-bridge/src/gateway/run.ts",
        "--config",
        join(work, "gateway.json"),
        "--source",
        `replay:${join(work, "adverts.jsonl")}`,
        "--speed",
        "1200",
        "--log-level",
        process.env.COLDTRAIL_TEST_LOG ? "debug" : "silent",
      ],
      { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
    );
    const exited = new Promise<NodeJS.Signals | null>((r) =>
      child.once("exit", (_code, signal) => r(signal)),
    );
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    await waitFor(async () => spooled(spoolDir, probe.id).length >= 30, 20_000, 5);
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const onDisk = spooled(spoolDir, probe.id);
    expect(onDisk.length).toBeGreaterThanOrEqual(30);
    expect(onDisk.length).toBeLessThan(110); // killed mid-way, not after the whole replay

    // Broker back; a new gateway on the same spool, with no radio input, delivers the backlog.
    server = await startTestServer(env, dataDir);
    cleanups.push(() => server.stop());
    const src = createPushSource("none");
    src.end();
    const gateway = startGateway({
      config: { broker: mqttUrl, spoolDir, windowMs: MIN, maxSpooledPerProbe: 1000, probes: config.probes },
      source: src,
      reconnectMs: 200,
    });
    cleanups.push(() => gateway.close());
    expect(gateway.spools.get(probe.id)?.recovery.pending).toBe(onDisk.length);
    expect(await gateway.drained(15_000)).toBe(true);
    const api = await server.api<{ readings: { ts: string; temp_c: number; seq: number | null }[] }>(
      "GET",
      `/api/v1/probes/${probe.id}/readings?from=${new Date(startMs - MIN).toISOString()}`,
    );
    expect(api.body.readings.map((r) => ({ ts: Date.parse(r.ts), temp_c: r.temp_c, seq: r.seq }))).toEqual(
      onDisk.map((e) => ({ ts: e.ts, temp_c: e.temp_c, seq: e.seq })),
    );
    expect(api.body.readings.map((r) => r.seq)).toEqual(onDisk.map((_, i) => i));
    await gateway.close();
  }, 60_000);
});

describe("coldtrail-bridge gateway: usage", () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await gatewayCommand(args, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      stopSignal: Promise.resolve(),
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  const work = mkdtempSync(join(tmpdir(), "ct-gw-usage-"));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const cfg = join(work, "gw.json");
  writeFileSync(cfg, JSON.stringify([{ mac: "A4:C1:38:00:00:01", probeId: "p-001", secret: "x" }]));

  it("--help prints the usage and exits 0", async () => {
    expect(await run(["--help"])).toMatchObject({ code: 0, out: expect.stringContaining("--source <s>") });
  });
  it.each([
    [[], /--config <file> is required/],
    [["--config", cfg], /no broker/],
    [
      ["--config", cfg, "--broker", "mqtt://127.0.0.1:1", "--source", "bluetooth"],
      /--source must be noble or replay:<file>/,
    ],
    [
      ["--config", cfg, "--broker", "mqtt://127.0.0.1:1", "--window-s", "0"],
      /--window-s must be a number 1-3600/,
    ],
    [["--config", join(work, "missing.json")], /cannot read --config/],
    [["--config", cfg, "--frequency", "2"], /Unknown option/],
    [["--config", cfg, "--broker", "mqtt://127.0.0.1:1", "--log-level", "loud"], /--log-level must be/],
    // The optional radio package is not installed here: the message says how to get it.
    [
      ["--config", cfg, "--broker", "mqtt://127.0.0.1:1", "--source", "noble"],
      /npm install @abandonware\/noble/,
    ],
  ])("%j exits 2 with a reason", async (args, reason) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(reason);
  });

  it("replays a file into a live server and exits 0 once every reading was acknowledged", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.cleanup());
    const probe = await registerProbe(server, {}, "ble-replayed-1");
    const mac = "A4:C1:38:00:00:08";
    const startMs = Date.now() - 30 * MIN;
    const lines = [
      ...bleAdverts({
        unit: "fridge",
        startMs,
        durationMs: 30 * MIN,
        sensors: [{ mac, format: "atc1441", seed: 9 }],
      }),
    ];
    const file = join(work, "fridge.jsonl");
    // A bad line in the middle is reported and skipped, not fatal.
    writeFileSync(
      file,
      `${lines.slice(0, 90).map(formatAdvertLine).join("\n")}\nnot json\n${lines.slice(90).map(formatAdvertLine).join("\n")}\n`,
    );
    const config = join(work, "fridge.json");
    writeFileSync(
      config,
      JSON.stringify({
        broker: server.mqttUrl,
        spoolDir: join(work, "fridge-spool"),
        probes: [{ mac, probeId: probe.id, secret: probe.secret, format: "atc1441" }],
      }),
    );
    const out: string[] = [];
    const code = await gatewayCommand(
      ["--config", config, "--source", `replay:${file}`, "--log-level", "silent"],
      {
        out: (l) => out.push(l),
        err: () => undefined,
        stopSignal: new Promise(() => undefined),
      },
    );
    expect(code).toBe(0);
    const stats = JSON.parse(out.at(-1) as string).stats;
    expect(stats).toMatchObject({ adverts: lines.length, unknownMac: 0, undecodable: 0 });
    expect(stats.published).toBe(stats.readings);
    expect(stats.readings).toBeGreaterThanOrEqual(30);
    const api = await server.api<{ readings: unknown[] }>(
      "GET",
      `/api/v1/probes/${probe.id}/readings?from=${new Date(startMs - MIN).toISOString()}`,
    );
    expect(api.body.readings).toHaveLength(stats.readings);
  });
});
