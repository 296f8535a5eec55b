/**
 * An erasure reads again only the erased account's units and probes on its own instance, and
 * announces them (and its deleted batches) to the other instances, which drop them from their
 * indexes and delete the deleted probes' rows from their own SQLite files.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { describeBackends, type TestDatabase } from "../../test/backends.js";
import { openDatabase } from "../db/open.js";
import type { SqlClient } from "../db/sql/client.js";
import { createBatches } from "../registry/batches.js";
import type { Caller } from "../registry/caller.js";
import { createRegistry } from "../registry/registry.js";
import { DAY, HOUR, openAccountsWorld, T0 } from "./test-world.js";

async function unit(sql: SqlClient, id: string, ownerId: string): Promise<string> {
  await sql.run(
    "INSERT INTO unit (id, owner_id, name, kind, profile, created_ms) VALUES (?, ?, ?, 'freezer', 'freezer', ?)",
    [id, ownerId, `${id} name`, T0],
  );
  return id;
}

async function probe(
  sql: SqlClient,
  id: string,
  ownerId: string,
  attachedTo: string | null,
): Promise<string> {
  await sql.run("INSERT INTO probe (id, owner_id, name, secret_hash, created_ms) VALUES (?, ?, ?, 'h', ?)", [
    id,
    ownerId,
    `${id} name`,
    T0,
  ]);
  if (attachedTo)
    await sql.run("INSERT INTO probe_attachment (probe_id, unit_id, from_ms) VALUES (?, ?, ?)", [
      id,
      attachedTo,
      T0,
    ]);
  return id;
}

/**
 * A donor with a unit she keeps (a batch received by the bank passed through it), a unit that
 * goes, a probe kept (attached to the kept unit) and one that goes, a batch that goes; and the
 * bank's unit and probe, which erasure must not touch.
 */
async function donorWorld(database: TestDatabase, changed: { units: string[]; probes: string[] }[]) {
  const w = await openAccountsWorld(database, {
    onRegistryChanged: async (c) => {
      changed.push({ units: [...c.units], probes: [...c.probes] });
    },
  });
  const sql = database.client;
  const north = await w.site("Northside milk bank");
  const ana: Caller = await w.member("donor", north, "Ana");
  const nora: Caller = await w.member("staff", north, "Nora Staff");
  const home = await unit(sql, "u_home", ana.accountId);
  const spare = await unit(sql, "u_spare", ana.accountId);
  const bank = await unit(sql, "u_bank", nora.accountId);
  await probe(sql, "p_home", ana.accountId, home);
  await probe(sql, "p_drawer", ana.accountId, null);
  await probe(sql, "p_bank", nora.accountId, bank);
  const batches = createBatches(sql);
  const place = () => batches.create(ana, { unitId: home, expressedAtMs: T0, atMs: T0 + HOUR }, T0 + HOUR);
  const received = await place();
  await batches.move(nora, received.id, { unitId: bank, atMs: T0 + DAY }, T0 + DAY);
  const atHome = await place();
  w.setNow(T0 + 3 * DAY);
  return { w, ana, home, spare, bank, received, atHome };
}

describeBackends("accounts: erasure tells the registry which units and probes it changed", (open) => {
  it("only the erased donor's units and probes are read again, kept and deleted alike", async () => {
    const database = await open();
    const changed: { units: string[]; probes: string[] }[] = [];
    const { w, ana } = await donorWorld(database, changed);
    await w.accounts.deleteAccount(ana, ana.accountId);
    expect(changed.map((c) => ({ units: [...c.units].sort(), probes: [...c.probes].sort() }))).toEqual([
      { units: ["u_home", "u_spare"], probes: ["p_drawer", "p_home"] },
    ]);
  });
});

describeBackends(
  "accounts: another instance hears an erasure through NOTIFY",
  (open) => {
    it("drops the erased units, probes and batches from its indexes and the deleted probe's rows from its own SQLite file", async () => {
      const database = await open();
      const { w, ana, home, spare, bank, received, atHome } = await donorWorld(database, []);
      // The other instance: its own data folder, its own connection to the shared database.
      const dir = mkdtempSync(join(tmpdir(), "coldtrail-erasure-other-"));
      const local = openDatabase(dir);
      const registry = await createRegistry(local, await database.connect());
      await registry.batches.loadIndex();
      const follower = await registry.followOtherInstances(database.url as string, () => undefined);
      try {
        for (const p of ["p_home", "p_drawer", "p_bank"]) {
          local
            .prepare(
              "INSERT INTO reading (probe_id, ts, temp_c, seq, server_timed) VALUES (?, ?, -19, NULL, 0)",
            )
            .run(p, T0 + HOUR);
          local
            .prepare(
              "INSERT INTO journal_message (probe_id, received_ms, count, readings) VALUES (?, ?, 1, '[]')",
            )
            .run(p, T0 + HOUR);
        }
        const localCount = (table: string, probeId: string) =>
          local.prepare(`SELECT count(*) FROM ${table} WHERE probe_id = ?`).pluck().get(probeId);
        expect(registry.index.probe("p_drawer")).not.toBeNull();
        expect(registry.batches.index.batchesIn(home, T0 + 2 * DAY, T0 + 2 * DAY + 1)).toEqual([atHome.id]);

        await w.accounts.deleteAccount(ana, ana.accountId);

        // The last announcement of the erasure's transaction is its last probe: wait until it is read.
        while (registry.index.probe("p_home")?.name !== null || registry.index.probe("p_drawer") !== null)
          await sleep(10);
        expect(registry.index.unit(spare)).toBeNull();
        expect(registry.index.unit(home)?.name).toBe("deleted account (freezer)");
        expect(registry.index.openAttachment("p_home")).toBeNull();
        expect(registry.batches.index.batchesIn(home, T0 + 2 * DAY, T0 + 2 * DAY + 1)).toEqual([]);
        expect(registry.batches.index.batchesIn(bank, T0 + 2 * DAY, T0 + 2 * DAY + 1)).toEqual([received.id]);
        // The deleted probe's rows went from this instance's file; the kept ones' and the bank's stay.
        expect([localCount("reading", "p_drawer"), localCount("journal_message", "p_drawer")]).toEqual([
          0, 0,
        ]);
        expect([localCount("reading", "p_home"), localCount("journal_message", "p_home")]).toEqual([1, 1]);
        expect([localCount("reading", "p_bank"), localCount("journal_message", "p_bank")]).toEqual([1, 1]);
        expect(registry.index.probe("p_bank")?.name).toBe("p_bank name");
      } finally {
        await follower.close();
        local.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
  { only: ["postgres"] },
);
