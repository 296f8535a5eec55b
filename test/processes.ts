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
