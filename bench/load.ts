/**
 * The `load` part: `coldtrail-sim load` drives 10 000 probes, one authenticated connection each,
 * at 5 000 readings/s against coldtrail's embedded broker (SQLite), in its own process; the
 * server runs in this one. Besides the simulator's PUBACK latency, it watches the server's event
 * loop while the simulator sends (not while 10 000 clients connect, which is timed apart): the
 * delay histogram, the longest stalls and when they came, and the garbage collector's pauses.
 */
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import type { Coldtrail } from "../server/src/app.js";
import { benchServer } from "./coldtrail.js";

export interface LoadFigures {
  probes: number;
  targetPerS: number;
  ratePerS: number;
  errors: number;
  connections: number;
  latencyMs: { p50: number; p99: number };
  /** How long the simulator took to connect every probe. */
  connectS: number;
  /** The server's event-loop delay while the simulator connected, and while it sent. */
  connectLoopMaxMs: number;
  sendLoopP99Ms: number;
  sendLoopMaxMs: number;
  /** Garbage collection while sending: total pause, longest pause. */
  sendGcMs: number;
  sendGcMaxMs: number;
  /** The longest event-loop stalls while sending, with their start in seconds after sending began. */
  stalls: { atS: number; ms: number }[];
}

/** Gaps of a 10 ms timer longer than this are noted as stalls. */
const STALL_MS = 50;

/** Event-loop stalls: when a 10 ms timer fires late, by how much (a 5-line tracer, cheap). */
function stallTracer() {
  const stalls: { atMs: number; ms: number }[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - 10;
    if (late > STALL_MS) stalls.push({ atMs: last, ms: late });
    last = now;
  }, 10);
  return {
    stop(sinceMs: number, top: number) {
      clearInterval(timer);
      return stalls
        .sort((a, b) => b.ms - a.ms)
        .slice(0, top)
        .map((s) => ({ atS: Math.round((s.atMs - sinceMs) / 100) / 10, ms: Math.round(s.ms) }));
    },
  };
}

export async function tenThousandProbes(opts: {
  root: string;
  probes: number;
  ratePerS: number;
  durationS: number;
  register(app: Coldtrail, n: number): Promise<{ id: string; secret: string }[]>;
  log(msg: string): void;
}): Promise<LoadFigures> {
  const { probes: n, ratePerS: rate, log } = opts;
  const { app, dir } = await benchServer({});
  try {
    const creds = Object.fromEntries((await opts.register(app, n)).map((c) => [c.id, c.secret]));
    const credsFile = join(dir, "creds.json");
    writeFileSync(credsFile, JSON.stringify(creds), { mode: 0o600 });
    log(
      `load: ${n} probes registered; connecting one client each and publishing ${rate}/s for ${opts.durationS} s`,
    );
    // The server's event loop: a stall here (GC, a big commit, a flush) is the PUBACK tail.
    const connectLoop = monitorEventLoopDelay({ resolution: 10 });
    const sendLoop = monitorEventLoopDelay({ resolution: 10 });
    let sending = false;
    let sendingSinceMs = 0;
    let tracer: ReturnType<typeof stallTracer> | null = null;
    let gcMs = 0;
    let gcMaxMs = 0;
    const gc = new PerformanceObserver((list) => {
      if (!sending) return;
      for (const e of list.getEntries()) {
        gcMs += e.duration;
        gcMaxMs = Math.max(gcMaxMs, e.duration);
      }
    });
    gc.observe({ entryTypes: ["gc"] });
    connectLoop.enable();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          join(opts.root, "simulators/bin/coldtrail-sim.js"),
          "load",
          "--mqtt",
          app.mqttUrl,
          "--probes",
          String(n),
          "--rate",
          String(rate),
          "--duration",
          String(opts.durationS),
          "--creds",
          credsFile,
          "--json",
        ],
        { cwd: opts.root, stdio: ["ignore", "pipe", "inherit"] },
      );
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        // The simulator's first line: every probe is connected and sending starts.
        if (!sending && buf.includes("load: connected")) {
          sending = true;
          sendingSinceMs = performance.now();
          connectLoop.disable();
          sendLoop.enable();
          tracer = stallTracer();
        }
      });
      child.once("exit", (code) =>
        code === 0 ? resolve(buf) : reject(new Error(`coldtrail-sim load exited with ${code}`)),
      );
    });
    sending = false;
    sendLoop.disable();
    connectLoop.disable();
    gc.disconnect();
    const stalls = (tracer as ReturnType<typeof stallTracer> | null)?.stop(sendingSinceMs, 5) ?? [];
    const lines = out.trim().split("\n");
    const connected = /^load: connected \d+ connections in ([\d.]+) s/.exec(
      lines.find((l) => l.startsWith("load: connected")) ?? "",
    );
    const result = JSON.parse(lines.at(-1) as string) as {
      ratePerS: number;
      errors: number;
      connections: number;
      latencyMs: { p50: number; p99: number };
    };
    await app.parts.forwarder.drain(120_000);
    const f: LoadFigures = {
      probes: n,
      targetPerS: rate,
      ratePerS: result.ratePerS,
      errors: result.errors,
      connections: result.connections,
      latencyMs: result.latencyMs,
      connectS: connected ? Number(connected[1]) : Number.NaN,
      connectLoopMaxMs: connectLoop.max / 1e6,
      sendLoopP99Ms: sendLoop.percentile(99) / 1e6,
      sendLoopMaxMs: sendLoop.max / 1e6,
      sendGcMs: gcMs,
      sendGcMaxMs: gcMaxMs,
      stalls,
    };
    log(
      `load: ${Math.round(f.ratePerS)}/s acknowledged over ${f.connections} connections, p50 ${f.latencyMs.p50} ms, p99 ${f.latencyMs.p99} ms, ${f.errors} errors; connected in ${f.connectS} s (event-loop delay max ${f.connectLoopMaxMs.toFixed(0)} ms meanwhile)`,
    );
    log(
      `load: while sending, server event-loop delay p99 ${f.sendLoopP99Ms.toFixed(0)} ms, max ${f.sendLoopMaxMs.toFixed(0)} ms; GC ${f.sendGcMs.toFixed(0)} ms in all, longest pause ${f.sendGcMaxMs.toFixed(0)} ms; longest stalls ${f.stalls.map((s) => `${s.ms} ms at ${s.atS} s`).join(", ") || "none"}`,
    );
    return f;
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
