import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

const BIN = join(import.meta.dirname, "..", "bin", "coldtrail-sim.js");

export interface CliRun {
  child: ChildProcess;
  /** Output so far. */
  readonly stdout: string;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts the real CLI in a child process (asynchronously: the test's broker must keep serving). */
export function startCli(args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    done,
  };
}

export function runCli(args: string[], env: Record<string, string> = {}) {
  return startCli(args, env).done;
}
