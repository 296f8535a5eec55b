/**
 * The contract of `SqlClient` (client.ts), the same tests on SQLite and on PostgreSQL
 * (test/backends.ts), then what only one backend does: PostgreSQL's retries, SQLite's connection
 * of its own beside the synchronous one (files), or shared with synchronous code (in memory).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { describeBackends } from "../../../test/backends.js";
import type { Backend, SqlClient } from "./client.js";
import { createSqliteClient } from "./sqlite.js";
import { constraintViolation } from "./violations.js";

const blobType = (backend: Backend) => (backend === "postgres" ? "BYTEA" : "BLOB");

async function createThings(client: SqlClient): Promise<void> {
  await client.exec(`
    CREATE TABLE thing (
      id BIGINT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      temp_c DOUBLE PRECISION,
      flag INTEGER NOT NULL DEFAULT 0 CHECK (flag IN (0, 1)),
      body ${blobType(client.backend)});
    CREATE TABLE part (
      id BIGINT PRIMARY KEY,
      thing_id BIGINT NOT NULL REFERENCES thing(id));
    CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);
    INSERT INTO counter (id, n) VALUES (1, 0), (2, 0);`);
}

const insertThing = "INSERT INTO thing (id, name, temp_c, flag, body) VALUES (?, ?, ?, ?, ?)";

describeBackends("SqlClient", (open) => {
  it("stores and reads back integers, reals, text, 0/1 flags, bytes and nulls unchanged", async () => {
    const { client } = await open();
    await createThings(client);
    await client.run(insertThing, [
      Number.MAX_SAFE_INTEGER,
      "max",
      -19.4375,
      true,
      new Uint8Array([0, 1, 254, 255]),
    ]);
    await client.run(insertThing, [-Number.MAX_SAFE_INTEGER, "min 'quoted' ?", 0.1, false, null]);
    await client.run(insertThing, [1_780_000_000_000, "ms", null, 0, Buffer.from("héllo", "utf8")]);
    expect(await client.query("SELECT id, name, temp_c, flag, body FROM thing ORDER BY id")).toEqual([
      { id: -Number.MAX_SAFE_INTEGER, name: "min 'quoted' ?", temp_c: 0.1, flag: 0, body: null },
      { id: 1_780_000_000_000, name: "ms", temp_c: null, flag: 0, body: Buffer.from("héllo", "utf8") },
      {
        id: Number.MAX_SAFE_INTEGER,
        name: "max",
        temp_c: -19.4375,
        flag: 1,
        body: Buffer.from([0, 1, 254, 255]),
      },
    ]);
    expect(
      await client.get(
        "SELECT COUNT(*) AS n, MAX(flag) AS flag, SUM(flag) AS flags FROM thing WHERE id > ?",
        [0],
      ),
    ).toEqual({
      n: 2,
      flag: 1,
      flags: 1,
    });
  });

  it("refuses to read an integer JavaScript cannot hold exactly, naming the column", async () => {
    const { client } = await open();
    await createThings(client);
    await client.run("INSERT INTO counter (id, n) VALUES (?, ?)", [3, 9_007_199_254_740_993n]);
    await expect(client.query("SELECT n FROM counter WHERE id = 3")).rejects.toThrow(
      /beyond JavaScript's safe integers/,
    );
    // The connection is still usable afterwards.
    expect(await client.get("SELECT n FROM counter WHERE id = ?", [1])).toEqual({ n: 0 });
  });

  it("counts changed rows, returns RETURNING rows and upserts with ON CONFLICT", async () => {
    const { client } = await open();
    await createThings(client);
    expect(await client.run("UPDATE counter SET n = n + 1")).toEqual({ changes: 2 });
    expect(await client.run("UPDATE counter SET n = n + 1 WHERE id = ?", [99])).toEqual({ changes: 0 });
    // SUM of a BIGINT column is NUMERIC on PostgreSQL: still a number here.
    expect(await client.get("SELECT SUM(n) AS total FROM counter")).toEqual({ total: 2 });
    expect(
      await client.query("INSERT INTO thing (id, name) VALUES (?, ?), (?, ?) RETURNING id, flag", [
        1,
        "a",
        2,
        "b",
      ]),
    ).toEqual([
      { id: 1, flag: 0 },
      { id: 2, flag: 0 },
    ]);
    const upsert =
      "INSERT INTO thing (id, name, flag) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET flag = excluded.flag RETURNING id, name, flag";
    expect(await client.get(upsert, [1, "ignored", 1])).toEqual({ id: 1, name: "a", flag: 1 });
    expect(await client.run("DELETE FROM thing WHERE id = ? RETURNING id", [2])).toEqual({ changes: 1 });
    expect(await client.get("SELECT id FROM thing WHERE id = ?", [2])).toBeUndefined();
    expect(await client.query("UPDATE thing SET flag = 0")).toEqual([]);
  });

  it("refuses a parameter count that does not match the placeholders, and undefined", async () => {
    const { client } = await open();
    await createThings(client);
    await expect(client.query("SELECT '?' AS q FROM thing WHERE id = ? AND name = ?", [1])).rejects.toThrow(
      /has 2 "\?" placeholder\(s\) but 1 parameter\(s\) were given/,
    );
    await expect(
      client.run("UPDATE thing SET name = ? WHERE id = ?", ["x", undefined as never]),
    ).rejects.toThrow(/parameter 2 of .* is undefined: pass null/);
  });

  it("commits a transaction that resolves and rolls back one that throws", async () => {
    const { client } = await open();
    await createThings(client);
    const value = await client.transaction(async (tx) => {
      await tx.run(insertThing, [1, "kept", null, 0, null]);
      return (await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM thing"))?.n;
    });
    expect(value).toBe(1);
    await expect(
      client.transaction(async (tx) => {
        await tx.run(insertThing, [2, "dropped", null, 0, null]);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect(await client.query("SELECT name FROM thing")).toEqual([{ name: "kept" }]);
  });

  it("never shows a transaction's uncommitted writes to callers outside it", async () => {
    const { client } = await open();
    await createThings(client);
    const rolledBack = client.transaction(async (tx) => {
      await tx.run("UPDATE counter SET n = 42");
      await tx.get("SELECT n FROM counter WHERE id = 1");
      throw new Error("roll back");
    });
    const outside = client.get("SELECT n FROM counter WHERE id = 1");
    await expect(rolledBack).rejects.toThrow("roll back");
    expect(await outside).toEqual({ n: 0 });
  });

  it("runs concurrent read-modify-write transactions as if one after another", async () => {
    const { client } = await open();
    await createThings(client);
    const increments = Array.from({ length: 12 }, () =>
      client.transaction(
        async (tx) => {
          const row = await tx.get<{ n: number }>("SELECT n FROM counter WHERE id = 1");
          await tx.run("UPDATE counter SET n = ? WHERE id = 1", [(row?.n ?? 0) + 1]);
        },
        { isolation: "serializable", maxAttempts: 100 },
      ),
    );
    await Promise.all(increments);
    expect(await client.get("SELECT n FROM counter WHERE id = 1")).toEqual({ n: 12 });
  });

  it("refuses a call on the client from inside its own transaction, and tx calls after the end", async () => {
    const { client } = await open();
    await createThings(client);
    let leaked: { get: (sql: string) => Promise<unknown> } | undefined;
    await expect(
      client.transaction(async (tx) => {
        leaked = tx;
        await client.get("SELECT 1 AS one");
      }),
    ).rejects.toThrow(/from inside one of its own transactions: use the transaction's `tx`/);
    await expect(client.transaction(async () => client.transaction(async () => 1))).rejects.toThrow(
      /transaction\(\) was called on the SQL client from inside/,
    );
    await expect(leaked?.get("SELECT 1 AS one")).rejects.toThrow(
      /tx.get ran after its transaction had ended/,
    );
  });

  it("tells which constraint a refused write broke, the same way on both backends", async () => {
    const { client } = await open();
    await createThings(client);
    await client.run(insertThing, [1, "a", null, 0, null]);
    const refusal = (sql: string, params: (string | number | null)[]) =>
      client.run(sql, params).then(
        () => "accepted",
        (error: unknown) => constraintViolation(error),
      );
    expect(await refusal(insertThing, [2, "a", null, 0, null])).toBe("unique");
    expect(await refusal(insertThing, [1, "b", null, 0, null])).toBe("unique");
    expect(await refusal("INSERT INTO part (id, thing_id) VALUES (?, ?)", [1, 404])).toBe("foreign-key");
    expect(await refusal(insertThing, [3, "c", null, 2, null])).toBe("check");
    expect(await refusal("INSERT INTO thing (id, name) VALUES (?, ?)", [4, null])).toBe("not-null");
    expect(constraintViolation(new Error("not a database error"))).toBeNull();
  });

  it("sees one client's committed writes from another client on the same database", async () => {
    const { client, connect } = await open();
    await createThings(client);
    const other = await connect();
    await client.run(insertThing, [7, "from one", null, 1, null]);
    expect(await other.query("SELECT id, name FROM thing")).toEqual([{ id: 7, name: "from one" }]);
  });
});

describeBackends(
  "SqlClient retries on PostgreSQL",
  (open) => {
    /** Resolves once `parties` callers have arrived. */
    function barrier(parties: number): () => Promise<void> {
      let arrived = 0;
      let release: () => void = () => {};
      const all = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        arrived += 1;
        if (arrived === parties) release();
        return all;
      };
    }

    it("runs a transaction again after a serialization failure, and gives up after maxAttempts", async () => {
      const { client } = await open();
      await createThings(client);
      const bothRead = barrier(2);
      const attempts: number[] = [];
      const increment = () =>
        client.transaction(
          async (tx) => {
            attempts.push(tx.attempt);
            const row = await tx.get<{ n: number }>("SELECT n FROM counter WHERE id = 1");
            if (tx.attempt === 1) await bothRead();
            await tx.run("UPDATE counter SET n = ? WHERE id = 1", [(row?.n ?? 0) + 1]);
          },
          { isolation: "serializable" },
        );
      await Promise.all([increment(), increment()]);
      expect(await client.get("SELECT n FROM counter WHERE id = 1")).toEqual({ n: 2 });
      expect(attempts.sort()).toEqual([1, 1, 2]);

      const again = barrier(2);
      const once = () =>
        client.transaction(
          async (tx) => {
            const row = await tx.get<{ n: number }>("SELECT n FROM counter WHERE id = 1");
            await again();
            await tx.run("UPDATE counter SET n = ? WHERE id = 1", [(row?.n ?? 0) + 1]);
          },
          { isolation: "serializable", maxAttempts: 1 },
        );
      const outcomes = await Promise.allSettled([once(), once()]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
      const failure = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      expect((failure.reason as { code?: string }).code).toBe("40001");
      expect(await client.get("SELECT n FROM counter WHERE id = 1")).toEqual({ n: 3 });
    });

    it("runs a transaction again after PostgreSQL broke a deadlock by aborting it", async () => {
      const { client } = await open();
      await createThings(client);
      const bothLocked = barrier(2);
      const attempts: number[] = [];
      const cross = (first: number, second: number) =>
        client.transaction(async (tx) => {
          attempts.push(tx.attempt);
          await tx.run("UPDATE counter SET n = n + 1 WHERE id = ?", [first]);
          if (tx.attempt === 1) await bothLocked();
          await tx.run("UPDATE counter SET n = n + 10 WHERE id = ?", [second]);
        });
      await Promise.all([cross(1, 2), cross(2, 1)]);
      expect(attempts.sort()).toEqual([1, 1, 2]);
      expect(await client.query("SELECT id, n FROM counter ORDER BY id")).toEqual([
        { id: 1, n: 11 },
        { id: 2, n: 11 },
      ]);
    });
  },
  { only: ["postgres"] },
);

describe("SqlClient on an in-memory SQLite database shares its one connection with synchronous code", () => {
  const dbs: Database.Database[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
  });
  const memory = () => {
    const db = new Database(":memory:");
    dbs.push(db);
    db.exec("CREATE TABLE journal (what TEXT NOT NULL)");
    return db;
  };

  it("rolls back and rejects a transaction that waits on a timer, and keeps what synchronous code wrote meanwhile", async () => {
    const db = memory();
    const client = createSqliteClient(db);
    const journal = db.prepare("INSERT INTO journal (what) VALUES (?)");
    const outcome = client.transaction(async (tx) => {
      await tx.run("INSERT INTO journal (what) VALUES (?)", ["in the transaction"]);
      // The journal's group commit runs from a timer: here, while the transaction waits.
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          journal.run("acknowledged reading");
          resolve();
        }, 1),
      );
      await tx.run("INSERT INTO journal (what) VALUES (?)", ["after the wait"]);
    });
    await expect(outcome).rejects.toThrow(
      /waited on something other than its own queries .* and was rolled back/,
    );
    expect(db.prepare("SELECT what FROM journal").all()).toEqual([{ what: "acknowledged reading" }]);
    expect(db.inTransaction).toBe(false);
    // The connection is free again for the next caller.
    expect(await client.query("SELECT COUNT(*) AS n FROM journal")).toEqual([{ n: 1 }]);
  });

  it("queues other callers behind an open transaction and lets them run in order", async () => {
    const db = memory();
    const client = createSqliteClient(db);
    const order: string[] = [];
    const tx = client.transaction(async (t) => {
      await t.run("INSERT INTO journal (what) VALUES ('tx')");
      order.push("tx body");
    });
    const read = client.query("SELECT what FROM journal").then((rows) => {
      order.push("read");
      return rows;
    });
    await Promise.all([tx, read]);
    expect(order).toEqual(["tx body", "read"]);
    expect(await read).toEqual([{ what: "tx" }]);
  });
});

describe("SqlClient on a SQLite file works on a connection of its own beside the synchronous one", () => {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-sqlite-beside-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const dbs: Database.Database[] = [];
  const clients: SqlClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    for (const db of dbs.splice(0)) db.close();
  });
  let files = 0;
  /** A connection as `openDatabase` (db/open.ts) sets it up, to `file` (a new file by default). */
  const connection = (file = join(dir, `beside-${++files}.sqlite`)) => {
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    db.exec("CREATE TABLE IF NOT EXISTS journal (what TEXT NOT NULL)");
    dbs.push(db);
    return db;
  };
  const clientOn = (db: Database.Database) => {
    const client = createSqliteClient(db);
    clients.push(client);
    return client;
  };
  const outcomeOf = (write: Promise<unknown>) =>
    write.then(
      () => "written",
      (error: unknown) => (error as { code?: string }).code ?? String(error),
    );

  it("refuses at once a synchronous write woken inside a transaction that then rolls back, instead of losing it", async () => {
    const db = connection();
    const client = clientOn(db);
    const acknowledge = db.prepare("INSERT INTO journal (what) VALUES (?)");
    const count = db.prepare("SELECT COUNT(*) AS n FROM journal");
    let wake: () => void = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    // A request waiting on a promise the transaction's chain resolves: it runs between two tx calls.
    const interleaved = woken.then(() => acknowledge.run("acknowledged reading"));
    const seenOutside: unknown[] = [];
    const outcome = client.transaction(async (tx) => {
      await tx.run("INSERT INTO journal (what) VALUES (?)", ["in the transaction"]);
      seenOutside.push(count.get(), db.inTransaction);
      wake();
      await tx.get("SELECT COUNT(*) AS n FROM journal");
      await tx.get("SELECT COUNT(*) AS n FROM journal");
      throw new Error("409: a conflict found inside the transaction");
    });
    await expect(outcome).rejects.toThrow("409: a conflict");
    // Its own caller heard of it (on one shared connection it was "written", then rolled back).
    expect(await outcomeOf(interleaved)).toBe("SQLITE_BUSY");
    // The synchronous connection never saw the uncommitted row, and was never inside the transaction.
    expect(seenOutside).toEqual([{ n: 0 }, false]);
    expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
    acknowledge.run("acknowledged again");
    expect(db.prepare("SELECT what FROM journal").all()).toEqual([{ what: "acknowledged again" }]);
    expect(await client.query("SELECT what FROM journal")).toEqual([{ what: "acknowledged again" }]);
  });

  it("keeps what synchronous code writes between transactions, and shows each side the other's commits", async () => {
    const db = connection();
    const client = clientOn(db);
    const acknowledge = db.prepare("INSERT INTO journal (what) VALUES (?)");
    await client.transaction(async (tx) => {
      await tx.run("INSERT INTO journal (what) VALUES (?)", ["committed by the client"]);
    });
    acknowledge.run("written synchronously");
    await expect(
      client.transaction(async (tx) => {
        await tx.run("INSERT INTO journal (what) VALUES (?)", ["rolled back"]);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    const all = [{ what: "committed by the client" }, { what: "written synchronously" }];
    expect(db.prepare("SELECT what FROM journal ORDER BY rowid").all()).toEqual(all);
    expect(await client.query("SELECT what FROM journal ORDER BY rowid")).toEqual(all);
  });

  it("protects the synchronous connections of two clients on one file in one process", async () => {
    const file = join(dir, "two-instances.sqlite");
    const first = connection(file);
    const second = connection(file);
    const one = clientOn(first);
    const other = clientOn(second);
    let wake: () => void = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const interleaved = woken.then(() =>
      second.prepare("INSERT INTO journal (what) VALUES (?)").run("the other instance's reading"),
    );
    const committed = one.transaction(async (tx) => {
      await tx.run("INSERT INTO journal (what) VALUES (?)", ["one's"]);
      wake();
      await tx.get("SELECT 1 AS one");
    });
    // The other client's call waits for the transaction and sees its commit.
    const read = other.query("SELECT what FROM journal");
    await committed;
    expect(await outcomeOf(interleaved)).toBe("SQLITE_BUSY");
    expect(await read).toEqual([{ what: "one's" }]);
    expect(second.pragma("busy_timeout", { simple: true })).toBe(5000);
  });

  it("refuses a transaction started inside a synchronous transaction of the connection it stands beside", async () => {
    const db = connection();
    const client = clientOn(db);
    let started: Promise<unknown> = Promise.resolve();
    db.transaction(() => {
      db.prepare("INSERT INTO journal (what) VALUES (?)").run("synchronous");
      started = client.transaction(async (tx) => tx.run("INSERT INTO journal (what) VALUES ('client')"));
    })();
    await expect(started).rejects.toThrow(/from inside a synchronous transaction on another connection/);
    expect(db.prepare("SELECT what FROM journal").all()).toEqual([{ what: "synchronous" }]);
  });

  it("closes its own connection and leaves the one it was given open", async () => {
    const db = connection();
    const client = createSqliteClient(db);
    await client.run("INSERT INTO journal (what) VALUES (?)", ["before close"]);
    await client.close();
    expect(db.open).toBe(true);
    expect(db.prepare("SELECT what FROM journal").all()).toEqual([{ what: "before close" }]);
  });
});
