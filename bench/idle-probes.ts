/**
 * Server memory per idle probe: coldtrail's RSS with no probe connected, then with 1 000 and 10 000
 * authenticated probes connected and idle (keepalive only). Per probe = (RSS at N − RSS at 0) / N.
 * The probes are registered before the first measurement, so only the connections are counted.
 * The clients run in their own process (idle-clients.ts); the server is this one.
 */
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Coldtrail } from "../server/src/app.js";
import { benchServer } from "./coldtrail.js";

export interface IdleProbeMemory {
  rssAtZeroMiB: number;
  points: { probes: number; rssMiB: number; perProbeKiB: number }[];
}

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** RSS once the heap is collected and the process has settled. */
async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(500);
  }
  return process.memoryUsage().rss;
}

export async function idleProbeMemory(opts: {
  root: string;
  steps: number[];
  register(app: Coldtrail, n: number): Promise<{ id: string; secret: string }[]>;
  log(msg: string): void;
}): Promise<IdleProbeMemory> {
  const { app, dir } = await benchServer({});
  try {
    const clients = await opts.register(app, Math.max(...opts.steps));
    const rss0 = await settledRss();
    opts.log(
      `idle probes: ${clients.length} registered, RSS with none connected ${(rss0 / 2 ** 20).toFixed(1)} MiB`,
    );
    // Too long for a command line: the credentials go in a file only this user can read.
    const argsFile = join(dir, "idle-clients.json");
    writeFileSync(
      argsFile,
      JSON.stringify({ url: app.mqttUrl, clients, steps: opts.steps, keepaliveS: 60 }),
      {
        mode: 0o600,
      },
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(opts.root, "bench/idle-clients.ts"), argsFile],
      { cwd: opts.root, stdio: ["pipe", "pipe", "inherit"] },
    );
    const exited = new Promise<void>((resolve, reject) =>
      child.once("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`idle-clients exited with ${code}`)),
      ),
    );
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const points: IdleProbeMemory["points"] = [];
    for (const _ of opts.steps) {
      const line = await Promise.race([lines.next(), exited.then(() => ({ done: true, value: "" }))]);
      if (line.done) throw new Error("idle-clients stopped before connecting every probe");
      const { n } = JSON.parse(line.value) as { n: number };
      const rss = await settledRss();
      const perProbeKiB = (rss - rss0) / 1024 / n;
      points.push({ probes: n, rssMiB: rss / 2 ** 20, perProbeKiB });
      opts.log(
        `idle probes: ${n} connected, RSS ${(rss / 2 ** 20).toFixed(1)} MiB, ${perProbeKiB.toFixed(1)} KiB a probe`,
      );
      child.stdin.write("next\n");
    }
    await exited;
    return { rssAtZeroMiB: rss0 / 2 ** 20, points };
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
