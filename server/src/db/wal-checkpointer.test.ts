import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "./open.js";
import { startWalCheckpointer } from "./wal-checkpointer.js";

const dir = mkdtempSync(join(tmpdir(), "ct-checkpointer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("WAL checkpointer", () => {
  it("keeps checkpoints out of the writer's commits and still moves committed pages into the file", async () => {
    const db = openDatabase(dir);
    const log = { warn: vi.fn() };
    const checkpointer = startWalCheckpointer(db, log);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const file = join(dir, "coldtrail.sqlite");
    const before = statSync(file).size;
    db.exec("CREATE TABLE filler (k INTEGER PRIMARY KEY, v BLOB)");
    const insert = db.prepare("INSERT INTO filler (v) VALUES (randomblob(4000))");
    for (let i = 0; i < 20; i++) db.transaction(() => Array.from({ length: 100 }, () => insert.run()))();
    // The writer no longer checkpoints: only the worker can grow the database file.
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 4_000_000), {
      timeout: 30_000,
      interval: 100,
    });
    await checkpointer.stop();
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    expect(db.prepare("SELECT count(*) FROM filler").pluck().get()).toBe(2000);
    expect(log.warn).not.toHaveBeenCalled();
    db.close();
  });

  it("stopping it in a process with nothing else to do finishes instead of quitting mid-await", () => {
    // A process that only waits for the worker: when the worker was left unref'd during stop(),
    // Node ended with exit 13 (unsettled top-level await), e.g. after a refused HTTP port.
    const url = (name: string) => JSON.stringify(new URL(name, import.meta.url).href);
    const script = `
      const { openDatabase } = await import(${url("./open.ts")});
      const { startWalCheckpointer } = await import(${url("./wal-checkpointer.ts")});
      const db = openDatabase(process.argv[1]);
      await startWalCheckpointer(db, { warn() {} }).stop();
      db.close();
      process.stdout.write("stopped");`;
    for (let i = 0; i < 3; i++) {
      const child = spawnSync(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script, join(dir, `alone-${i}`)],
        {
          cwd: fileURLToPath(new URL(".", import.meta.url)),
          encoding: "utf8",
          timeout: 30_000,
        },
      );
      expect({ status: child.status, stdout: child.stdout }).toEqual({ status: 0, stdout: "stopped" });
    }
  }, 60_000);
});
