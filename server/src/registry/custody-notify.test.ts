/**
 * The custody index of a second instance follows the first's batch writes through NOTIFY
 * (`batch:<id>` on the registry channel), one batch at a time, with no periodic reload; and
 * `reloadBatch` itself on both backends.
 */
import { expect, it } from "vitest";
import { describeBackends, type TestDatabase } from "../../test/backends.js";
import type { SqlClient } from "../db/sql/client.js";
import { migrateSql } from "../db/sql/migrate.js";
import { createBatches } from "./batches.js";
import { ADMIN } from "./caller.js";
import { createRegistryIndex } from "./registry-index.js";
import { startRegistryListener } from "./registry-notify.js";

const H = 3_600_000;
const T0 = Date.UTC(2026, 4, 3, 8);
const NOW = T0 + 10 * H;

async function unit(sql: SqlClient, id: string, kind = "freezer"): Promise<string> {
  await sql.run(
    "INSERT INTO unit (id, owner_id, name, kind, profile, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
    [id, "admin", id, kind, kind === "cool-bag" ? "cool-bag" : "freezer", T0],
  );
  return id;
}

const budgets = [{ limit: "frozen", band: "check" as const, untilMs: T0 + 100 * H, remainingMs: 90 * H }];

describeBackends("custody index: one batch read again", (open) => {
  it("reloadBatch brings one batch's stays and budgets as the database has them, and drops a deleted one", async () => {
    const { client } = await open();
    await migrateSql(client);
    const freezer = await unit(client, "u_freezer");
    const bag = await unit(client, "u_bag", "cool-bag");
    const one = createBatches(client);
    const two = createBatches(client);
    await two.loadIndex();
    const a = await one.create(ADMIN, { unitId: freezer, expressedAtMs: T0 - H, atMs: T0 }, NOW);
    const b = await one.create(ADMIN, { unitId: freezer, expressedAtMs: T0 - H, atMs: T0 + H }, NOW);
    await one.move(ADMIN, a.id, { unitId: bag, atMs: T0 + 2 * H }, NOW);
    await one.saveVerdict(a.id, "safe", { budgets }, T0 + 3 * H);

    await two.index.reloadBatch(client, a.id);
    // Only the batch read again is in the second index; its history in both units too.
    expect(two.index.batchesIn(freezer, T0, T0 + 2 * H)).toEqual([a.id]);
    expect(two.index.batchesIn(bag, T0 + 3 * H, T0 + 3 * H + 1)).toEqual([a.id]);
    expect(two.index.packedSince(bag, T0 + 3 * H)).toBe(T0 + 2 * H);
    expect(two.index.inCustody()).toEqual([{ batchId: a.id, code: a.code, unitId: bag, budgets }]);

    await two.index.reloadBatch(client, b.id);
    expect(two.index.batchesIn(freezer, T0 + 3 * H, T0 + 3 * H + 1)).toEqual([b.id]);

    await client.run("DELETE FROM custody WHERE batch_id = ?", [a.id]);
    await client.run("DELETE FROM batch WHERE id = ?", [a.id]);
    await two.index.reloadBatch(client, a.id);
    expect(two.index.batchesIn(bag, T0, NOW)).toEqual([]);
    expect(two.index.batchesIn(freezer, T0, NOW)).toEqual([b.id]);
    expect(two.index.inCustody()).toEqual([]);
  });

  it("a move this process made while the batch was being read again is kept, and not closed twice", async () => {
    const { client } = await open();
    await migrateSql(client);
    const freezer = await unit(client, "u_freezer");
    const bag = await unit(client, "u_bag", "cool-bag");
    const batches = createBatches(client);
    const a = await batches.create(ADMIN, { unitId: freezer, expressedAtMs: T0 - H, atMs: T0 }, NOW);
    // As a move that commits while the reload's query is in flight (here: not in the database).
    const reloading = batches.index.reloadBatch(client, a.id);
    batches.index.closed(a.id, T0 + H);
    batches.index.opened(a.id, a.code, bag, T0 + H);
    await reloading;
    expect(batches.index.batchesIn(bag, T0 + 2 * H, T0 + 2 * H + 1)).toEqual([a.id]);
    expect(batches.index.batchesIn(freezer, T0 + 2 * H, T0 + 2 * H + 1)).toEqual([]);

    // A move read back with the reload and then replayed onto it: the new stay stays open.
    await client.run("UPDATE custody SET to_ms = ? WHERE batch_id = ? AND to_ms IS NULL", [T0 + 3 * H, a.id]);
    await client.run("INSERT INTO custody (batch_id, unit_id, from_ms, to_ms) VALUES (?, ?, ?, NULL)", [
      a.id,
      bag,
      T0 + 3 * H,
    ]);
    const again = batches.index.reloadBatch(client, a.id);
    batches.index.closed(a.id, T0 + 3 * H);
    batches.index.opened(a.id, a.code, bag, T0 + 3 * H);
    await again;
    expect(batches.index.packedSince(bag, T0 + 4 * H)).toBe(T0 + 3 * H);
    expect(batches.index.batchesIn(bag, T0 + 4 * H, T0 + 4 * H + 1)).toEqual([a.id]);
    expect(batches.index.batchesIn(freezer, T0 + 4 * H, T0 + 4 * H + 1)).toEqual([]);
  });
});

/** A second instance's custody index fed by its NOTIFY listener, and a way to wait on it. */
async function listeningPair(database: TestDatabase) {
  await migrateSql(database.client);
  const one = createBatches(database.client);
  const twoSql = await database.connect();
  const two = createBatches(twoSql);
  await two.loadIndex();
  let wake: (() => void) | null = null;
  const heard: string[] = [];
  const listener = await startRegistryListener({
    connectionString: database.url as string,
    sql: twoSql,
    index: createRegistryIndex(),
    custody: two.index,
    retryMs: 20,
    onReloaded: (c) => {
      heard.push(`${c.entity}:${c.id}`);
      wake?.();
    },
    onResumed: () => wake?.(),
  });
  return {
    one,
    two,
    heard,
    listener,
    /** Waits until `seen()` holds, woken by each notification the second instance handled. */
    async until(seen: () => boolean): Promise<void> {
      while (!seen()) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}

describeBackends(
  "custody index: another instance's batch writes arrive through NOTIFY",
  (open) => {
    it("a creation, a move, a stored verdict and a batch leaving custody on one instance reach the other's index", async () => {
      const database = await open();
      const { one, two, heard, listener, until } = await listeningPair(database);
      try {
        const freezer = await unit(database.client, "u_freezer");
        const bag = await unit(database.client, "u_bag", "cool-bag");
        const a = await one.create(ADMIN, { unitId: freezer, expressedAtMs: T0 - H, atMs: T0 }, NOW);
        await until(() => two.index.batchesIn(freezer, T0, T0 + 1).includes(a.id));
        expect(two.index.packedSince(freezer, T0 + H)).toBe(T0);

        await one.move(ADMIN, a.id, { unitId: bag, atMs: T0 + 2 * H }, NOW);
        await until(() => two.index.batchesIn(bag, T0 + 3 * H, T0 + 3 * H + 1).includes(a.id));
        expect(two.index.batchesIn(freezer, T0 + 3 * H, T0 + 3 * H + 1)).toEqual([]);
        // The freezer still knows the batch was there (a late reading asks about its own time).
        expect(two.index.batchesIn(freezer, T0 + H, T0 + H + 1)).toEqual([a.id]);

        await one.saveVerdict(a.id, "safe", { budgets }, T0 + 3 * H);
        await until(() => two.index.inCustody().length === 1);
        expect(two.index.inCustody()).toEqual([{ batchId: a.id, code: a.code, unitId: bag, budgets }]);

        await one.move(ADMIN, a.id, { unitId: null, atMs: T0 + 4 * H, how: "fed" }, NOW);
        await until(() => two.index.inCustody().length === 0);
        expect(two.index.batchesIn(bag, T0 + 5 * H, T0 + 5 * H + 1)).toEqual([]);
        expect(heard.every((h) => h === `batch:${a.id}`)).toBe(true);
      } finally {
        await listener.close();
      }
    });

    it("a refused move is not announced, and after the listener's connection is lost the whole index is read again", async () => {
      const database = await open();
      const { one, two, heard, listener, until } = await listeningPair(database);
      try {
        const freezer = await unit(database.client, "u_freezer");
        const a = await one.create(ADMIN, { unitId: freezer, expressedAtMs: T0 - H, atMs: T0 }, NOW);
        await expect(one.move(ADMIN, a.id, { unitId: freezer, atMs: T0 + H }, NOW)).rejects.toThrow(
          /already in unit/,
        );
        const b = await one.create(ADMIN, { unitId: freezer, expressedAtMs: T0 - H, atMs: T0 }, NOW);
        await until(() => heard.includes(`batch:${b.id}`));
        expect(heard).toEqual([`batch:${a.id}`, `batch:${b.id}`]);

        // A custody row written behind the modules' back is announced to nobody: only the full
        // read after a reconnection brings it.
        await database.client.run("UPDATE custody SET to_ms = ? WHERE batch_id = ? AND to_ms IS NULL", [
          T0 + 2 * H,
          b.id,
        ]);
        await database.client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'coldtrail-registry-listener' AND datname = current_database()",
        );
        await until(() => two.index.batchesIn(freezer, T0 + 3 * H, T0 + 3 * H + 1).length === 1);
        expect(two.index.batchesIn(freezer, T0 + 3 * H, T0 + 3 * H + 1)).toEqual([a.id]);
      } finally {
        await listener.close();
      }
    });
  },
  { only: ["postgres"] },
);
