/** Small pieces the test harnesses share: free loopback ports and a watchdog for child daemons. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A loopback TCP port nobody listens on right now (and not `avoid`). */
export async function freePort(avoid?: number): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const found = typeof address === "object" && address !== null ? address.port : 0;
        server.close(() => resolve(found));
      });
    });
    if (port !== 0 && port !== avoid) return port;
  }
}

/**
 * A shell that SIGKILLs a daemon (influxd, mosquitto) once this test process is gone (checked each
 * second) and ends by itself once the daemon is gone, so it never signals a reused pid for long.
 */
export function startWatchdog(daemonPid: number): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do kill -0 ${daemonPid} 2>/dev/null || exit 0; sleep 1; done; kill -9 ${daemonPid} 2>/dev/null`;
  const dog = spawn("sh", ["-c", script], { stdio: "ignore", detached: true });
  dog.unref();
  return dog;
}

export interface Daemon {
  /** The running process id, or null while stopped. */
  readonly pid: number | null;
  /** Starts the daemon (no-op while running) and resolves once `ready()` says so. */
  start(): Promise<void>;
  /** SIGTERM and wait for exit (SIGKILL after `stopTimeoutMs`). */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: a crash, nothing flushed. */
  kill9(): Promise<void>;
  /** Stops it and forgets it (the exit hook is removed). */
  dispose(): Promise<void>;
  /** The last lines it printed, to explain a failed start. */
  tail(): string;
}

/**
 * A daemon the tests start, stop, kill and start again with the same arguments (influxd,
 * mosquitto). A test runner that exits without stopping it does not leave it running: an exit
 * hook covers a normal exit, the watchdog a runner killed by a signal.
 */
export function superviseDaemon(o: {
  name: string;
  binary: string;
  args: readonly string[];
  /** Whether it serves yet; polled every `pollMs` during start. */
  ready: () => Promise<boolean>;
  /** What `ready` waits for, for the error message. */
  readyWhat: string;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  pollMs: number;
}): Daemon {
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let tail = "";
  let watchdog: ChildProcess | null = null;
  const killOnExit = (): void => {
    if (child?.exitCode === null) child.kill("SIGKILL");
    watchdog?.kill("SIGKILL");
  };
  process.on("exit", killOnExit);

  async function stopWith(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (proc === null) return;
    const done = exited;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), o.stopTimeoutMs);
    await done;
    clearTimeout(timer);
  }

  async function start(): Promise<void> {
    if (child !== null) return;
    tail = "";
    const proc = spawn(o.binary, [...o.args], { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk: Buffer): void => {
      tail = (tail + chunk.toString("utf8")).slice(-4000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    child = proc;
    watchdog = proc.pid === undefined ? null : startWatchdog(proc.pid);
    exited = new Promise((resolve) => {
      proc.once("exit", () => {
        if (child === proc) {
          child = null;
          watchdog?.kill("SIGKILL");
          watchdog = null;
        }
        resolve();
      });
      proc.once("error", (error) => {
        keep(Buffer.from(String(error)));
        if (child === proc) child = null;
        resolve();
      });
    });
    const deadline = Date.now() + o.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (child !== proc) {
        throw new Error(`${o.name} exited during start-up (${o.args.join(" ")}):\n${tail.trim()}`);
      }
      if (await o.ready()) return;
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
    await stopWith("SIGKILL");
    throw new Error(`${o.name} did not ${o.readyWhat} within ${o.readyTimeoutMs} ms:\n${tail.trim()}`);
  }

  return {
    get pid() {
      return child?.pid ?? null;
    },
    start,
    stop: () => stopWith("SIGTERM"),
    kill9: () => stopWith("SIGKILL"),
    async dispose() {
      await stopWith("SIGTERM");
      process.off("exit", killOnExit);
    },
    tail: () => tail,
  };
}
