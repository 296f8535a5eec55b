import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { migrate } from "../db/migrate.js";
import { type Db, openDatabase } from "../db/open.js";
import type { Reading } from "../reading.js";
import { createSqliteReadingsUpsert } from "../stores/sqlite.js";
import { createJournal, deleteJournalRowsOfProbes, type Journal } from "./journal.js";

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileDb(): Db {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-journal-"));
  dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  return db;
}

const reading = (probeId: string, i: number): Reading => ({
  probeId,
  tsMs: 1_780_000_000_000 + i * 60_000,
  tempC: -19 - i / 16,
  seq: i,
  serverTimed: false,
});

/** The next turn of the event loop after the journal's own setImmediate (maxWaitMs 0). */
const nextTurn = () => new Promise((r) => setImmediate(r));

describe("journal group commit with the WAL synced off the event loop", () => {
  it("resolves appends after the commit, and gathers the appends made during a sync into the next group", async () => {
    const db = fileDb();
    const commits: number[][] = [];
    const journal = createJournal(db, {
      maxWaitMs: 0,
      storeInTransaction: createSqliteReadingsUpsert(db),
      onCommit: (rows) => commits.push(rows.map((r) => r.seq as number)),
    });
    const first = journal.append([reading("p-1", 0)], 1);
    await nextTurn(); // the first group is committed; its WAL sync is on the thread pool
    expect(commits).toEqual([]); // not durable yet: not acknowledged, not announced
    const more = [1, 2, 3].map((i) => journal.append([reading(`p-${i}`, i)], 1));
    await Promise.all([first, ...more]);
    expect(commits).toEqual([[0], [1, 2, 3]]);
    // Committed, visible to another connection to the file, and the connection is FULL again.
    const other = new Database(db.name, { readonly: true });
    expect(other.prepare("SELECT seq FROM reading ORDER BY seq").pluck().all()).toEqual([0, 1, 2, 3]);
    other.close();
    expect(db.pragma("synchronous", { simple: true })).toBe(2); // FULL
  });

  it("appendThen calls back after the commit, never before it returns, and one failing callback does not silence the rest", async () => {
    const db = fileDb();
    const commits: number[][] = [];
    const journal = createJournal(db, {
      maxWaitMs: 0,
      storeInTransaction: createSqliteReadingsUpsert(db),
      onCommit: (rows) => commits.push(rows.map((r) => r.seq as number)),
    });
    const heard: string[] = [];
    const all = new Promise<void>((resolve) => {
      journal.appendThen([reading("p-1", 1)], 1, () => {
        heard.push("p-1");
        throw new Error("the caller's own failure");
      });
      journal.appendThen([reading("p-2", 2)], 1, (err) => {
        heard.push(err ? `p-2 ${err.message}` : "p-2");
        resolve();
      });
    });
    journal.appendThen([reading("p-3", 3), reading("p-4", 4)], 1, (err) =>
      heard.push(`mixed: ${err?.message}`),
    );
    expect(heard).toEqual([]); // nothing is called back from inside appendThen
    await all;
    expect(heard).toEqual([
      "mixed: journal.append takes the readings of one probe (one message) at a time",
      "p-1",
      "p-2",
    ]);
    expect(commits).toEqual([[1, 2]]);
    expect(db.prepare("SELECT seq FROM reading ORDER BY seq").pluck().all()).toEqual([1, 2]);
  });

  it("journals rows for a separate store; flush resolves once everything pending is durable", async () => {
    const db = fileDb();
    const committed: string[] = [];
    const journal = createJournal(db, {
      maxWaitMs: 1000,
      onCommit: (rows) => committed.push(...rows.map((r) => r.probeId)),
    });
    const appends = [
      journal.append([reading("p-a", 1), reading("p-a", 2)], 5),
      journal.append([reading("p-b", 3)], 6),
    ];
    await journal.flush(); // does not wait the 1000 ms group window
    expect(committed).toEqual(["p-a", "p-a", "p-b"]);
    await Promise.all(appends);
    expect(journal.depth()).toBe(3);
    const entries = journal.peek(10);
    expect(entries.map((e) => [e.probeId, e.seq, e.receivedMs])).toEqual([
      ["p-a", 1, 5],
      ["p-a", 2, 5],
      ["p-b", 3, 6],
    ]);
    journal.ack((entries[1] as { id: number }).id);
    expect(journal.depth()).toBe(1);
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
  });

  it("keeps journaling after close(), durable on the event loop, and a reopened file holds it all", async () => {
    const db = fileDb();
    const journal = createJournal(db, { maxWaitMs: 0 });
    await journal.append([reading("p-1", 1)], 1);
    await journal.close();
    await journal.append([reading("p-1", 2)], 2);
    expect(journal.depth()).toBe(2);
    const name = db.name;
    db.close();
    const reopened = new Database(name);
    dbs.push(reopened);
    expect(
      createJournal(reopened, { maxWaitMs: 0 })
        .peek(10)
        .map((e) => e.seq),
    ).toEqual([1, 2]);
  });

  it("commits synchronously durable when the database has no WAL file (in memory)", async () => {
    const db = new Database(":memory:");
    dbs.push(db);
    migrate(db);
    const commits: number[] = [];
    const journal = createJournal(db, { maxWaitMs: 0, onCommit: (rows) => commits.push(rows.length) });
    await Promise.all([journal.append([reading("p-1", 1)], 1), journal.append([reading("p-2", 2)], 1)]);
    expect(commits).toEqual([2]);
    expect(journal.peek(10).map((e) => e.probeId)).toEqual(["p-1", "p-2"]);
  });

  it("refuses an append that mixes probes, naming the rule", async () => {
    const journal = createJournal(fileDb(), { maxWaitMs: 0 });
    await expect(journal.append([reading("p-1", 1), reading("p-2", 2)], 1)).rejects.toThrow(
      /readings of one probe/,
    );
  });
});

const readings: Reading[] = [
  { probeId: "p-1", tsMs: 1_780_000_000_000, tempC: -19.4375, seq: 7, serverTimed: false },
  { probeId: "p-1", tsMs: 1_780_000_060_000, tempC: 3.5, seq: null, serverTimed: true },
];

describe("journal rows", () => {
  it("a journal left with rows of the previous format forwards them beside new ones, in order", async () => {
    const db = fileDb();
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
    const db = fileDb();
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

  it("peek returns whole messages, in order, until it holds `limit` readings, whatever the messages' sizes", async () => {
    const db = fileDb();
    const journal = createJournal(db, { maxWaitMs: 0 });
    // Sizes that change under the reader: big, then single readings, then big again.
    const sizes = [7, 1, 1, 1, 1, 1, 1, 1, 1, 5, 1, 9, 1];
    let i = 0;
    for (const n of sizes) {
      await journal.append(
        Array.from({ length: n }, () => reading("p-1", i++)),
        1_780_000_200_000,
      );
    }
    const pages: number[][] = [];
    let cursor = 0;
    for (;;) {
      const page = journal.peek(6, cursor);
      if (page.length === 0) break;
      pages.push(page.map((e) => e.seq as number));
      cursor = (page.at(-1) as (typeof page)[number]).id;
    }
    // Each page: whole messages, stopping at the first that brings it to 6 or more readings.
    const seqs = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
    expect(pages).toEqual([seqs(0, 7), seqs(7, 13), seqs(13, 20), seqs(20, 30), seqs(30, 31)]);
    db.close();
  });

  /** What a journal opened now reads from the file: the rows after `afterId`, `limit` readings. */
  const fromFile = async (db: Db, limit: number, afterId: number) => {
    const reader = createJournal(db, { maxWaitMs: 0 });
    try {
      return reader.peek(limit, afterId);
    } finally {
      await reader.close();
    }
  };
  const pageOf = (journal: Journal, limit: number, afterId: number) => journal.peek(limit, afterId);

  it("peek serves the rows just committed from memory exactly as the file holds them, through acks, erasures and an emptied journal", async () => {
    const db = fileDb();
    const journal = createJournal(db, { maxWaitMs: 0 });
    let i = 0;
    let emptied = 0;
    for (let step = 0; step < 60; step++) {
      // A varied but fixed script: messages of 1 to 5 readings from three probes, some in one group.
      const messages = 1 + ((step * 7) % 4);
      const pending: Promise<void>[] = [];
      for (let m = 0; m < messages; m++) {
        const probe = `p-${(step + m) % 3}`;
        const size = 1 + ((step * 13 + m) % 5);
        pending.push(
          journal.append(
            Array.from({ length: size }, () => reading(probe, i++)),
            1_780_000_300_000 + step,
          ),
        );
      }
      await Promise.all(pending);
      const all = pageOf(journal, 1_000_000, 0);
      expect(all).toEqual(await fromFile(db, 1_000_000, 0));
      expect(journal.depth()).toBe(all.length);
      // Reading ahead from the middle, a small page.
      const middle = all[Math.floor(all.length / 2)]?.id ?? 0;
      expect(pageOf(journal, 4, middle)).toEqual(await fromFile(db, 4, middle));
      if (step % 5 === 4) journal.ack(middle); // the forwarder confirmed about half
      if (step % 11 === 10) deleteJournalRowsOfProbes(db, ["p-1"]); // an erasure
      if (step % 17 === 16) {
        journal.ack(all.at(-1)?.id ?? 0); // all forwarded: the journal is empty
        expect(journal.depth()).toBe(0);
        expect(await fromFile(db, 10, 0)).toEqual([]);
        emptied++;
      }
    }
    expect(emptied).toBe(3);
    const left = pageOf(journal, 1_000_000, 0);
    expect(left).toEqual(await fromFile(db, 1_000_000, 0));
    expect(left.some((e) => e.probeId === "p-1")).toBe(true);
    await journal.close();
  });

  it("an erasure removes the probe's journaled readings from what peek returns and from the depth", async () => {
    const db = fileDb();
    const journal = createJournal(db, { maxWaitMs: 0 });
    await journal.append([reading("p-gone", 1), reading("p-gone", 2)], 1_780_000_400_000);
    await journal.append([reading("p-kept", 3)], 1_780_000_400_001);
    expect(journal.depth()).toBe(3);
    deleteJournalRowsOfProbes(db, ["p-gone"]);
    expect(journal.peek(100).map((e) => e.probeId)).toEqual(["p-kept"]);
    expect(journal.depth()).toBe(1);
    expect(await fromFile(db, 100, 0)).toEqual(journal.peek(100));
    await journal.close();
  });

  it("a backlog longer than memory keeps is read from the file, and memory serves again once it is forwarded", async () => {
    const db = fileDb();
    const journal = createJournal(db, { maxWaitMs: 0 });
    const messages = 20_500;
    const pending: Promise<void>[] = [];
    for (let m = 0; m < messages; m++) pending.push(journal.append([reading("p-1", m)], 1_780_000_500_000));
    await Promise.all(pending);
    expect(journal.depth()).toBe(messages);
    const first = journal.peek(10);
    expect(first.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, k) => k));
    const last = journal.peek(1_000_000);
    expect(last).toHaveLength(messages);
    expect(last).toEqual(await fromFile(db, 1_000_000, 0));
    journal.ack(last.at(-1)?.id ?? 0);
    expect(journal.depth()).toBe(0);
    await journal.append([reading("p-1", messages)], 1_780_000_500_001);
    expect(journal.peek(10).map((e) => e.seq)).toEqual([messages]);
    expect(journal.peek(10)).toEqual(await fromFile(db, 10, 0));
    await journal.close();
  });
});
