import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createJournal } from "../journal/journal.js";
import { migrate } from "./migrate.js";
import { MIGRATIONS } from "./migrations.js";

const dir = mkdtempSync(join(tmpdir(), "coldtrail-migrate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("migrations", () => {
  it("bring a file at an older version up to date and keep the readings waiting in the journal", () => {
    const db = new Database(join(dir, "old.sqlite"));
    // A file written by the version that had one journal row per reading (schema version 4).
    for (const statements of MIGRATIONS.slice(0, 4)) for (const sql of statements) db.exec(sql);
    db.pragma("user_version = 4");
    const insert = db.prepare(
      "INSERT INTO journal (probe_id, ts, temp_c, seq, server_timed, received_ms) VALUES (?, ?, ?, ?, ?, ?)",
    );
    insert.run("p-1", 1_780_000_000_000, -19.4375, 7, 0, 1_780_000_000_500);
    insert.run("p-2", 1_780_000_060_000, 3.5, null, 1, 1_780_000_060_100);

    expect(migrate(db)).toBe(MIGRATIONS.length);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    const journal = createJournal(db, { maxWaitMs: 0 });
    expect(journal.depth()).toBe(2);
    expect(journal.peek(10).map(({ id: _id, ...r }) => r)).toEqual([
      {
        probeId: "p-1",
        tsMs: 1_780_000_000_000,
        tempC: -19.4375,
        seq: 7,
        serverTimed: false,
        receivedMs: 1_780_000_000_500,
      },
      {
        probeId: "p-2",
        tsMs: 1_780_000_060_000,
        tempC: 3.5,
        seq: null,
        serverTimed: true,
        receivedMs: 1_780_000_060_100,
      },
    ]);
    db.close();
  });

  it("refuse a file from a newer coldtrail", () => {
    const db = new Database(join(dir, "new.sqlite"));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(/newer than this coldtrail/);
    db.close();
  });
});
