import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { type Db, openDatabase } from "../db/open.js";
import type { SqlClient } from "../db/sql/client.js";
import { type Batches, createBatches } from "../registry/batches.js";
import { ADMIN } from "../registry/caller.js";
import { type AccountsWorld, DAY, HOUR, openAccountsWorld, T0 } from "./test-world.js";

/**
 * Erasure's two parts on either backend: the shared rows through the SQL client, then the deleted
 * probes' readings and journal rows in the instance's own SQLite file (here a file of its own, as
 * beside PostgreSQL). erasure.test.ts covers the whole story on SQLite, with verdicts and passports.
 */
describeBackends("accounts: erasure of the shared rows", (open) => {
  let w: AccountsWorld;
  let sql: SqlClient;
  let batches: Batches;
  let dir: string;
  let local: Db;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "coldtrail-erasure-local-"));
    local = openDatabase(dir);
    const database = await open();
    sql = database.client;
    batches = createBatches(sql);
    w = await openAccountsWorld(database, {
      local: { db: local },
      onBatchesDeleted: (ids) => {
        for (const id of ids) batches.index.removed(id);
      },
    });
  });
  afterEach(() => {
    local.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Units and probes straight into the tables (their modules are not on the SQL client yet). */
  async function unit(id: string, ownerId: string): Promise<string> {
    await sql.run(
      "INSERT INTO unit (id, owner_id, name, kind, profile, created_ms) VALUES (?, ?, ?, 'freezer', 'freezer', ?)",
      [id, ownerId, `${id} name`, T0],
    );
    return id;
  }
  async function probe(id: string, ownerId: string, attachedTo: string | null): Promise<string> {
    await sql.run(
      "INSERT INTO probe (id, owner_id, name, secret_hash, ble_mac, created_ms) VALUES (?, ?, ?, 'h', ?, ?)",
      [id, ownerId, `${id} name`, `mac-${id}`, T0],
    );
    if (attachedTo)
      await sql.run("INSERT INTO probe_attachment (probe_id, unit_id, from_ms) VALUES (?, ?, ?)", [
        id,
        attachedTo,
        T0,
      ]);
    local
      .prepare("INSERT INTO reading (probe_id, ts, temp_c, seq, server_timed) VALUES (?, ?, -19, NULL, 0)")
      .run(id, T0 + HOUR);
    local
      .prepare("INSERT INTO journal_message (probe_id, received_ms, count, readings) VALUES (?, ?, 1, '[]')")
      .run(id, T0 + HOUR);
    return id;
  }
  const localCount = (table: string, probeId: string) =>
    local.prepare(`SELECT count(*) FROM ${table} WHERE probe_id = ?`).pluck().get(probeId);

  it("deletes a donor's own batches, units and probes, keeps what others depend on, and tombstones her", async () => {
    const north = await w.site("Northside milk bank");
    const ana = await w.activeMember("donor", north, "Ana");
    const nora = await w.member("staff", north, "Nora Staff");
    const home = await unit("u_home", ana.caller.accountId);
    await unit("u_spare", ana.caller.accountId);
    const bank = await unit("u_bank", nora.accountId);
    const homeProbe = await probe("p_home", ana.caller.accountId, home);
    const drawerProbe = await probe("p_drawer", ana.caller.accountId, null);
    const place = (donorRef: string) =>
      batches.create(ana.caller, { unitId: home, expressedAtMs: T0, atMs: T0 + HOUR, donorRef }, T0 + HOUR);
    const received = await place("ana-1");
    await batches.move(nora, received.id, { unitId: bank, atMs: T0 + DAY }, T0 + DAY);
    const handedOver = await place("ana-2");
    await batches.move(
      ana.caller,
      handedOver.id,
      { unitId: null, atMs: T0 + DAY, how: "handed-over" },
      T0 + DAY,
    );
    const atHome = await place("ana-3");
    await sql.run(
      "INSERT INTO alert_channel (id, owner_id, kind, target, secret, created_ms) VALUES ('c_ana', ?, 'webhook', 'https://ana.example.org/hook', 's', ?)",
      [ana.caller.accountId, T0],
    );
    await sql.run(
      `INSERT INTO alert_outbox (delivery_id, event_id, event_type, alert_id, channel_id, status, next_attempt_ms, created_ms)
       VALUES ('d_1', 1, 'raised', 'al_1', 'c_ana', 'pending', ?, ?)`,
      [T0, T0],
    );
    const { token } = await w.accounts.createToken(ana.caller, "script");
    expect(batches.index.batchesIn(home, T0 + 2 * DAY, T0 + 2 * DAY + 1)).toEqual([atHome.id]);

    w.setNow(T0 + 3 * DAY);
    const erased = await w.accounts.deleteAccount(ana.caller, ana.caller.accountId);
    const counts = {
      batchesDeleted: 1,
      batchesKept: 2,
      unitsDeleted: 1,
      unitsKept: 1,
      probesDeleted: 1,
      probesKept: [homeProbe],
    };
    expect(erased).toEqual({ accountId: ana.caller.accountId, ...counts });

    // Kept: the batches others depend on (donor reference cleared), her unit they passed through
    // (renamed), the probe whose readings that unit's history needs (can no longer connect).
    expect((await batches.get(ADMIN, received.id)).donorRef).toBeNull();
    expect(await batches.custody(received.id)).toHaveLength(2);
    expect((await batches.byCode(handedOver.code))?.donorRef).toBeNull();
    expect(await batches.byCode(atHome.code)).toBeNull();
    expect(await sql.query("SELECT count(*) AS n FROM custody WHERE batch_id = ?", [atHome.id])).toEqual([
      { n: 0 },
    ]);
    expect(batches.index.batchesIn(home, T0 + 2 * DAY, T0 + 2 * DAY + 1)).toEqual([]);
    expect(await sql.query("SELECT id, name FROM unit WHERE owner_id = ?", [ana.caller.accountId])).toEqual([
      { id: home, name: "deleted account (freezer)" },
    ]);
    expect(
      await sql.get("SELECT name, secret_hash, ble_mac FROM probe WHERE id = ?", [homeProbe]),
    ).toMatchObject({ name: null, ble_mac: null });
    expect(
      (await sql.get<{ secret_hash: string }>("SELECT secret_hash FROM probe WHERE id = ?", [homeProbe]))
        ?.secret_hash,
    ).not.toBe("h");
    expect(await sql.query("SELECT to_ms FROM probe_attachment WHERE probe_id = ?", [homeProbe])).toEqual([
      { to_ms: T0 + 3 * DAY },
    ]);
    expect(await sql.get("SELECT id FROM probe WHERE id = ?", [drawerProbe])).toBeUndefined();
    // This instance's own rows of the deleted probe went; the kept probe's readings stay.
    expect([localCount("reading", drawerProbe), localCount("journal_message", drawerProbe)]).toEqual([0, 0]);
    expect([localCount("reading", homeProbe), localCount("journal_message", homeProbe)]).toEqual([1, 1]);
    // Her channels say nothing any more; what they would still have delivered is cancelled.
    expect(await sql.get("SELECT target, secret, deleted_ms FROM alert_channel WHERE id = 'c_ana'")).toEqual({
      target: "",
      secret: null,
      deleted_ms: T0 + 3 * DAY,
    });
    expect(await sql.get("SELECT status FROM alert_outbox WHERE delivery_id = 'd_1'")).toEqual({
      status: "cancelled",
    });
    expect(await w.accounts.resolveToken(token)).toBeNull();
    expect(await w.accounts.getAccount(ADMIN, ana.caller.accountId)).toMatchObject({
      email: null,
      name: "deleted account",
      status: "deleted",
    });
    expect((await w.auditOf("account", ana.caller.accountId)).at(-1)).toMatchObject({
      actor: ana.caller.accountId,
      action: "account.deleted",
      details: counts,
    });
  });

  it("keeps a staff member's units, probes and batches for the site", async () => {
    const north = await w.site("Northside milk bank");
    const nora = await w.member("staff", north, "Nora Staff");
    const bank = await unit("u_bank", nora.accountId);
    const bankProbe = await probe("p_bank", nora.accountId, bank);
    const batch = await batches.create(nora, { unitId: bank, expressedAtMs: T0, atMs: T0 }, T0);
    expect(await w.accounts.deleteAccount(ADMIN, nora.accountId)).toMatchObject({
      batchesDeleted: 0,
      unitsDeleted: 0,
      probesDeleted: 0,
    });
    expect(await sql.get("SELECT name FROM unit WHERE id = ?", [bank])).toEqual({ name: "u_bank name" });
    expect(await sql.get("SELECT secret_hash FROM probe WHERE id = ?", [bankProbe])).toEqual({
      secret_hash: "h",
    });
    expect((await batches.get(ADMIN, batch.id)).code).toBe(batch.code);
    expect(localCount("reading", bankProbe)).toBe(1);
  });
});
