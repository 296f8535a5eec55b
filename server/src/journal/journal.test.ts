import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import type { Reading } from "../reading.js";
import { createJournal } from "./journal.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open() {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-journal-"));
  dirs.push(dir);
  return openDatabase(dir);
}

const readings: Reading[] = [
  { probeId: "p-1", tsMs: 1_780_000_000_000, tempC: -19.4375, seq: 7, serverTimed: false },
  { probeId: "p-1", tsMs: 1_780_000_060_000, tempC: 3.5, seq: null, serverTimed: true },
];

describe("journal", () => {
  it("a journal left with rows of the previous format forwards them beside new ones, in order", async () => {
    const db = open();
    // What the previous version left behind: JSON text rows.
    db.prepare(
      "INSERT INTO journal_message (probe_id, received_ms, count, readings) VALUES (?, ?, ?, ?)",
    ).run(
      "p-old",
      1_780_000_000_500,
      2,
      JSON.stringify([
        [1_780_000_000_000, -19.5, 1, 0],
        [1_780_000_001_000, -19, null, 1],
      ]),
    );
    const journal = createJournal(db, { maxWaitMs: 0 });
    expect(journal.depth()).toBe(2);
    await journal.append(readings, 1_780_000_200_000);
    expect(db.prepare("SELECT typeof(readings) FROM journal_message ORDER BY id").pluck().all()).toEqual([
      "text",
      "blob",
    ]);
    const all = journal.peek(100);
    expect(all.map(({ id: _id, ...r }) => r)).toEqual([
      {
        probeId: "p-old",
        tsMs: 1_780_000_000_000,
        tempC: -19.5,
        seq: 1,
        serverTimed: false,
        receivedMs: 1_780_000_000_500,
      },
      {
        probeId: "p-old",
        tsMs: 1_780_000_001_000,
        tempC: -19,
        seq: null,
        serverTimed: true,
        receivedMs: 1_780_000_000_500,
      },
      ...readings.map((r) => ({ ...r, receivedMs: 1_780_000_200_000 })),
    ]);
    // Reading ahead: the messages after the first one only.
    const firstId = (all[0] as (typeof all)[number]).id;
    expect(journal.peek(100, firstId).map((e) => e.probeId)).toEqual(readings.map(() => "p-1"));
    journal.ack(firstId);
    expect(journal.depth()).toBe(readings.length);
    db.close();
  });

  it("removes acknowledged messages and keeps the connection's synchronous=FULL for the commits after", async () => {
    const db = open();
    const journal = createJournal(db, { maxWaitMs: 0 });
    for (let m = 0; m < 3; m++) await journal.append(readings, 1_780_000_200_000 + m);
    const ids = [...new Set(journal.peek(100).map((e) => e.id))];
    expect(ids).toHaveLength(3);
    journal.ack(ids[1] as number);
    expect(journal.depth()).toBe(2);
    expect(journal.peek(100).map((e) => e.id)).toEqual([ids[2], ids[2]]);
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    db.close();
  });
});
