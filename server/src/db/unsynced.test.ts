import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./open.js";
import { writeUnsynced } from "./unsynced.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const FULL = 2;
const NORMAL = 1;

describe("writeUnsynced", () => {
  it("commits with synchronous=NORMAL in WAL mode and leaves the connection FULL", () => {
    const dir = mkdtempSync(join(tmpdir(), "coldtrail-unsynced-"));
    dirs.push(dir);
    const db = openDatabase(dir);
    db.exec("CREATE TABLE t (x INTEGER)");
    const seen = writeUnsynced(db, () => {
      db.prepare("INSERT INTO t VALUES (1)").run();
      return db.pragma("synchronous", { simple: true });
    });
    expect(seen).toBe(NORMAL);
    expect(db.pragma("synchronous", { simple: true })).toBe(FULL);
    // Inside an enclosing transaction the level cannot change (SQLite refuses): it runs as it is.
    db.transaction(() => writeUnsynced(db, () => db.prepare("INSERT INTO t VALUES (2)").run()))();
    expect(() => writeUnsynced(db, () => db.prepare("INSERT INTO nope VALUES (3)").run())).toThrow(/nope/);
    expect(db.pragma("synchronous", { simple: true })).toBe(FULL);
    expect(db.prepare("SELECT x FROM t ORDER BY x").pluck().all()).toEqual([1, 2]);
    db.close();
  });

  it("leaves a database without a WAL (in memory) as it is", () => {
    const db = new Database(":memory:");
    db.pragma("synchronous = FULL");
    expect(writeUnsynced(db, () => db.pragma("synchronous", { simple: true }))).toBe(FULL);
    db.close();
  });
});
