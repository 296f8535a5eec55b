import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import { createLogger } from "../logger.js";
import type { Reading } from "../reading.js";
import { createSqliteReadingsStore } from "../stores/sqlite.js";
import { type ReadingsStore, StoreUnavailableError } from "../stores/types.js";
import { createForwarder } from "./forwarder.js";
import { createJournal } from "./journal.js";

const dirs: string[] = [];
/** After every promise chain started so far has run (the gated writes below do no I/O of their own). */
const settled = () => new Promise<void>((r) => setImmediate(r));
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-fwd-"));
  dirs.push(dir);
  const db = openDatabase(dir);
  return { db, journal: createJournal(db, { maxWaitMs: 0 }), real: createSqliteReadingsStore(db) };
}

const reading = (i: number, tempC = -19): Reading => ({
  probeId: "p-1",
  tsMs: 1_780_000_000_000 + i * 60_000,
  tempC,
  seq: i,
  serverTimed: false,
});

/** A real store in front of which a condition decides, per write, to refuse or be unreachable. */
function guarded(
  real: ReadingsStore,
  gate: (batch: readonly Reading[]) => "ok" | "down" | "refuse",
): ReadingsStore {
  return {
    ...real,
    async write(batch) {
      const g = gate(batch);
      if (g === "down") throw new StoreUnavailableError("test", "connection refused");
      if (g === "refuse") throw new Error("field type conflict");
      return real.write(batch);
    },
  };
}

describe("forwarder", () => {
  it("keeps readings journaled while the store is down and delivers them in order once it is back", async () => {
    const { journal, real } = setup();
    let down = true;
    const stored: number[] = [];
    const fwd = createForwarder(
      journal,
      guarded(real, () => (down ? "down" : "ok")),
      createLogger("silent"),
      {
        batchSize: 7,
        minBackoffMs: 5,
        maxBackoffMs: 20,
        onStored: (rows) => stored.push(...rows.map((r) => r.seq as number)),
      },
    );
    await journal.append(
      Array.from({ length: 20 }, (_, i) => reading(i)),
      Date.now(),
    );
    fwd.poke();
    await new Promise((r) => setTimeout(r, 60));
    expect(journal.depth()).toBe(20);
    expect(fwd.backoffMs).toBeGreaterThan(0);
    down = false;
    await fwd.drain(2000);
    expect(journal.depth()).toBe(0);
    expect(stored).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await real.range("p-1", 0, Number.MAX_SAFE_INTEGER)).length).toBe(20);
    await fwd.stop();
  });

  it("isolates a reading the store refuses for good, hands it over, and stores the rest", async () => {
    const { journal, real } = setup();
    const refused: Reading[] = [];
    const fwd = createForwarder(
      journal,
      guarded(real, (batch) => (batch.some((r) => r.tempC === 13) ? "refuse" : "ok")),
      createLogger("silent"),
      { batchSize: 100, minBackoffMs: 5, maxBackoffMs: 20, onRefused: (rows) => refused.push(...rows) },
    );
    await journal.append(
      Array.from({ length: 50 }, (_, i) => reading(i, i === 17 || i === 31 ? 13 : -19)),
      Date.now(),
    );
    await fwd.drain(2000);
    expect(refused.map((r) => r.seq)).toEqual([17, 31]);
    expect((await real.range("p-1", 0, Number.MAX_SAFE_INTEGER)).map((r) => r.seq)).toEqual(
      Array.from({ length: 50 }, (_, i) => i).filter((i) => i !== 17 && i !== 31),
    );
    expect(journal.depth()).toBe(0);
    await fwd.stop();
  });

  it("reads ahead: keeps `concurrency` batches with the store at once and acknowledges them in journal order", async () => {
    const { journal, real } = setup();
    const held: { first: number; release: () => void }[] = [];
    const gated: ReadingsStore = {
      ...real,
      async write(batch) {
        await new Promise<void>((release) => held.push({ first: batch[0]?.seq as number, release }));
        return real.write(batch);
      },
    };
    const stored: number[] = [];
    const fwd = createForwarder(journal, gated, createLogger("silent"), {
      batchSize: 10,
      concurrency: 3,
      minBackoffMs: 5,
      maxBackoffMs: 20,
      onStored: (rows) => stored.push(...rows.map((r) => r.seq as number)),
    });
    // Six messages of ten readings: one batch each.
    for (let m = 0; m < 6; m++) {
      await journal.append(
        Array.from({ length: 10 }, (_, k) => reading(m * 10 + k)),
        Date.now(),
      );
    }
    const drained = fwd.drain(5000);
    await settled();
    expect(held.map((h) => h.first)).toEqual([0, 10, 20]);
    // The second batch is confirmed first: nothing leaves the journal before the first is.
    (held[1] as (typeof held)[number]).release();
    await settled();
    expect(journal.depth()).toBe(60);
    expect(stored).toEqual([]);
    (held[0] as (typeof held)[number]).release();
    await settled();
    expect(journal.depth()).toBe(40);
    expect(stored).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Two slots freed: the next two batches were read and sent meanwhile.
    expect(held.map((h) => h.first)).toEqual([0, 10, 20, 30, 40]);
    for (let i = 2; held.length < 6 || i < held.length; i++) {
      while (held.length <= i) await settled();
      (held[i] as (typeof held)[number]).release();
    }
    await drained;
    expect(stored).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(journal.depth()).toBe(0);
    await fwd.stop();
  });

  it("acknowledges nothing after a batch that failed, and writes it and the ones after it again", async () => {
    const { journal, real } = setup();
    const writes: number[] = [];
    let failFirst = true;
    const stored: number[] = [];
    const fwd = createForwarder(
      journal,
      guarded(real, (batch) => {
        const first = batch[0]?.seq as number;
        writes.push(first);
        if (first === 10 && failFirst) {
          failFirst = false;
          return "down";
        }
        return "ok";
      }),
      createLogger("silent"),
      {
        batchSize: 10,
        concurrency: 4,
        minBackoffMs: 5,
        maxBackoffMs: 20,
        onStored: (rows) => stored.push(...rows.map((r) => r.seq as number)),
      },
    );
    for (let m = 0; m < 4; m++) {
      await journal.append(
        Array.from({ length: 10 }, (_, k) => reading(m * 10 + k)),
        Date.now(),
      );
    }
    await fwd.drain(5000);
    // Batch 0 confirmed and acknowledged; 10 failed; 20 and 30 were confirmed but after the failure,
    // so they stayed in the journal and were written again with 10.
    expect(writes).toEqual([0, 10, 20, 30, 10, 20, 30]);
    expect(stored).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect((await real.range("p-1", 0, Number.MAX_SAFE_INTEGER)).map((r) => r.seq)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect(journal.depth()).toBe(0);
    await fwd.stop();
  });
});
