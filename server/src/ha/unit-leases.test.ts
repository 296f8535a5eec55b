/**
 * Unit leases on both backends (test/backends.ts). Time passes differently: on SQLite the test
 * moves the clock the leases are given; on PostgreSQL expiry is the database's own clock, so the
 * test waits until that clock is past a lease's expiry (the expiring leases live 150 ms; the
 * others a minute, so a slow machine never expires them by accident).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { describeBackends, type TestDatabase } from "../../test/backends.js";
import type { SqlClient } from "../db/sql/client.js";
import { migrateSql } from "../db/sql/migrate.js";
import { createUnitLeases, type Lease, newHolderId, type UnitLeases } from "./unit-leases.js";

const LONG_MS = 60_000;
const SHORT_MS = 150;
const T0 = Date.UTC(2026, 10, 30, 3, 0, 0);

interface World {
  db: TestDatabase;
  /** Leases for a holder on `client` (default the test's first client). */
  leasesFor(holder: string, ttlMs?: number, client?: SqlClient): UnitLeases;
  /** Lets time pass until `lease` has expired on the clock the backend judges by. */
  outlive(lease: Lease): Promise<void>;
}

async function world(db: TestDatabase): Promise<World> {
  await migrateSql(db.client);
  let fakeNow = T0;
  const leasesFor = (holder: string, ttlMs = LONG_MS, client = db.client) =>
    createUnitLeases(client, { holder, ttlMs, clock: () => fakeNow });
  const probe = leasesFor("clock");
  return {
    db,
    leasesFor,
    async outlive(lease) {
      if (db.backend === "sqlite") {
        fakeNow = Math.max(fakeNow, lease.expiresMs);
        return;
      }
      while ((await probe.now()) < lease.expiresMs) await sleep(20);
    },
  };
}

function held(result: Awaited<ReturnType<UnitLeases["acquire"]>>): Lease {
  if (!result.ok) throw new Error(`expected the lease, got: ${result.reason}`);
  return result.lease;
}

describeBackends("unit leases", (open) => {
  it("give a free unit to the first holder and refuse a second one, saying who holds it until when", async () => {
    const w = await world(await open());
    const a = w.leasesFor("instance-a");
    const b = w.leasesFor("instance-b");
    const lease = held(await a.acquire("unit-1"));
    expect(lease).toMatchObject({ unitId: "unit-1", holder: "instance-a", epoch: 1 });
    expect(lease.expiresMs - lease.acquiredMs).toBe(LONG_MS);
    const refused = await b.acquire("unit-1");
    expect(refused).toEqual({
      ok: false,
      heldBy: "instance-a",
      epoch: 1,
      expiresMs: lease.expiresMs,
      reason: `unit "unit-1" is held by "instance-a" (epoch 1) until ${new Date(lease.expiresMs).toISOString()}: try again after that, or leave it to its holder`,
    });
    // Other units are free.
    expect(held(await b.acquire("unit-2"))).toMatchObject({ holder: "instance-b", epoch: 1 });
  });

  it("let the holder renew and acquire again without a new epoch", async () => {
    const w = await world(await open());
    const a = w.leasesFor("instance-a");
    const first = held(await a.acquire("unit-1"));
    const renewed = await a.renew(first);
    expect(renewed).toMatchObject({ ok: true, lease: { unitId: "unit-1", holder: "instance-a", epoch: 1 } });
    if (renewed.ok) expect(renewed.lease.expiresMs).toBeGreaterThanOrEqual(first.expiresMs);
    expect(held(await a.acquire("unit-1"))).toMatchObject({ epoch: 1, acquiredMs: first.acquiredMs });
  });

  it("hand a unit to another holder once the holder stops renewing, with the next epoch, and fence the old holder off", async () => {
    const w = await world(await open());
    const a = w.leasesFor("instance-a", SHORT_MS);
    const b = w.leasesFor("instance-b");
    await w.db.client.exec(
      "CREATE TABLE judged (unit_id TEXT NOT NULL, by_holder TEXT NOT NULL, epoch BIGINT NOT NULL)",
    );
    const judge = (leases: UnitLeases, lease: Lease) =>
      leases.withLease(lease, async (tx) => {
        await tx.run("INSERT INTO judged (unit_id, by_holder, epoch) VALUES (?, ?, ?)", [
          lease.unitId,
          lease.holder,
          lease.epoch,
        ]);
        return lease.epoch;
      });

    const old = held(await a.acquire("unit-1"));
    expect(await judge(a, old)).toEqual({ ok: true, value: 1 });
    await w.outlive(old);
    const taken = held(await b.acquire("unit-1"));
    expect(taken).toMatchObject({ unitId: "unit-1", holder: "instance-b", epoch: 2 });

    const changedHands = `unit "unit-1" changed hands: "instance-b" holds it at epoch 2 (this lease was epoch 1): stop judging this unit`;
    expect(await a.renew(old)).toEqual({ ok: false, reason: changedHands });
    expect(await judge(a, old)).toEqual({ ok: false, reason: changedHands });
    expect(await a.release(old)).toBe(false);
    expect(await a.renewAll()).toEqual([]);
    expect(await judge(b, taken)).toEqual({ ok: true, value: 2 });
    expect(await w.db.client.query("SELECT by_holder, epoch FROM judged ORDER BY epoch")).toEqual([
      { by_holder: "instance-a", epoch: 1 },
      { by_holder: "instance-b", epoch: 2 },
    ]);
  });

  it("refuse to renew a lease that expired even when nobody took it, and give a new epoch on acquiring again", async () => {
    const w = await world(await open());
    const a = w.leasesFor("instance-a", SHORT_MS);
    const lease = held(await a.acquire("unit-1"));
    await w.outlive(lease);
    const renewed = await a.renew(lease);
    expect(renewed.ok).toBe(false);
    if (!renewed.ok)
      expect(renewed.reason).toMatch(/^the lease on unit "unit-1" \(epoch 1\) ended at .*: acquire it again/);
    expect(await a.withLease(lease, async () => "never")).toMatchObject({ ok: false });
    expect(held(await a.acquire("unit-1"))).toMatchObject({ holder: "instance-a", epoch: 2 });
  });

  it("free a released unit for another holder at once, the epoch still growing", async () => {
    const w = await world(await open());
    const a = w.leasesFor("instance-a");
    const b = w.leasesFor("instance-b");
    const lease = held(await a.acquire("unit-1"));
    expect(await a.release(lease)).toBe(true);
    expect(await a.release(lease)).toBe(false);
    expect(held(await b.acquire("unit-1"))).toMatchObject({ holder: "instance-b", epoch: 2 });
    expect(await a.acquire("unit-1")).toMatchObject({ ok: false, heldBy: "instance-b", epoch: 2 });
  });

  it("renew every lease the holder still holds in one call, leaving out the ones it lost", async () => {
    const w = await world(await open());
    const a = w.leasesFor("instance-a");
    const b = w.leasesFor("instance-b");
    for (const unit of ["unit-1", "unit-2", "unit-3"]) held(await a.acquire(unit));
    expect(await a.release(held(await a.acquire("unit-2")))).toBe(true);
    held(await b.acquire("unit-2"));
    expect((await a.renewAll()).map((l) => [l.unitId, l.holder, l.epoch])).toEqual([
      ["unit-1", "instance-a", 1],
      ["unit-3", "instance-a", 1],
    ]);
    expect((await b.renewAll()).map((l) => [l.unitId, l.holder, l.epoch])).toEqual([
      ["unit-2", "instance-b", 2],
    ]);
  });

  it("give each unit to exactly one of two instances racing for it", async () => {
    const w = await world(await open());
    const other = await w.db.connect();
    const a = w.leasesFor("instance-a", LONG_MS, w.db.client);
    const b = w.leasesFor("instance-b", LONG_MS, other);
    const units = Array.from({ length: 24 }, (_, i) => `unit-${i}`);
    const results = await Promise.all(
      units.flatMap((unit) => [
        a.acquire(unit).then((r) => ({ unit, by: "instance-a", r })),
        b.acquire(unit).then((r) => ({ unit, by: "instance-b", r })),
      ]),
    );
    const rows = await w.db.client.query<{ unit_id: string; holder: string; epoch: number }>(
      "SELECT unit_id, holder, epoch FROM unit_lease ORDER BY unit_id",
    );
    expect(rows).toHaveLength(units.length);
    for (const unit of units) {
      const winners = results.filter((x) => x.unit === unit && x.r.ok);
      expect(
        winners.map((x) => x.by),
        unit,
      ).toHaveLength(1);
      expect(rows.find((r) => r.unit_id === unit)).toEqual({
        unit_id: unit,
        holder: winners[0]?.by,
        epoch: 1,
      });
    }
  });

  it("list every lease row, live or not, and forget only long-expired rows under a prefix", async () => {
    const w = await world(await open());
    const a = w.leasesFor("instance-a", SHORT_MS);
    const b = w.leasesFor("instance-b");
    const gone = held(await a.acquire("~instance/instance-a"));
    const unit = held(await a.acquire("unit-1"));
    held(await b.acquire("~instance/instance-b"));
    await w.outlive(unit);
    expect((await b.list()).map((l) => [l.unitId, l.holder, l.epoch, l.live])).toEqual([
      ["unit-1", "instance-a", 1, false],
      ["~instance/instance-a", "instance-a", 1, false],
      ["~instance/instance-b", "instance-b", 1, true],
    ]);
    // Expired, but not for long enough yet; then forgotten, unit rows kept.
    expect(await b.forgetExpired("~instance/", LONG_MS)).toBe(0);
    expect(await b.forgetExpired("~instance/", 0)).toBe(w.db.backend === "sqlite" ? 0 : 1);
    if (w.db.backend === "sqlite") await w.outlive({ ...gone, expiresMs: gone.expiresMs + 1 });
    expect(await b.forgetExpired("~instance/", 0)).toBe(w.db.backend === "sqlite" ? 1 : 0);
    expect((await b.list()).map((l) => l.unitId)).toEqual(["unit-1", "~instance/instance-b"]);
    await expect(b.forgetExpired("", 0)).rejects.toThrow(/unit rows are never deleted/);
    await expect(b.forgetExpired("unit_", 0)).rejects.toThrow(/without % _ or/);
  });

  it("refuse a lease time that is not a positive whole number of milliseconds", async () => {
    const { client } = await open();
    expect(() => createUnitLeases(client, { holder: "a", ttlMs: 0 })).toThrow(
      /ttlMs must be a whole number of milliseconds above 0, got 0/,
    );
    expect(() => createUnitLeases(client, { holder: "", ttlMs: 10 })).toThrow(
      /holder must name this instance/,
    );
  });
});

describeBackends(
  "unit leases on PostgreSQL",
  (open) => {
    it("make a take-over wait for a guarded write in progress, then see it", async () => {
      const w = await world(await open());
      const other = await w.db.connect();
      const a = w.leasesFor("instance-a", SHORT_MS, w.db.client);
      const b = w.leasesFor("instance-b", LONG_MS, other);
      await w.db.client.exec("CREATE TABLE judged (unit_id TEXT NOT NULL, epoch BIGINT NOT NULL)");
      const lease = held(await a.acquire("unit-1"));
      let releaseWrite: () => void = () => {};
      const writeMayFinish = new Promise<void>((resolve) => {
        releaseWrite = resolve;
      });
      let checked: () => void = () => {};
      const leaseChecked = new Promise<void>((resolve) => {
        checked = resolve;
      });
      const write = w.db.client.transaction(async (tx) => {
        const ok = await a.check(tx, lease);
        checked();
        await writeMayFinish;
        if (ok.ok)
          await tx.run("INSERT INTO judged (unit_id, epoch) VALUES (?, ?)", [lease.unitId, lease.epoch]);
        return ok.ok;
      });
      await leaseChecked;
      await w.outlive(lease);
      const order: string[] = [];
      const takeover = b.acquire("unit-1").then((r) => {
        order.push("take-over");
        return r;
      });
      // The take-over is blocked on the lease row's lock (not merely not sent yet).
      while (
        (
          await other.get<{ n: number }>(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          )
        )?.n !== 1
      ) {
        await sleep(10);
      }
      order.push("write commits");
      releaseWrite();
      expect(await write).toBe(true);
      expect(held(await takeover)).toMatchObject({ holder: "instance-b", epoch: 2 });
      expect(order).toEqual(["write commits", "take-over"]);
      expect(await other.query("SELECT unit_id, epoch FROM judged")).toEqual([
        { unit_id: "unit-1", epoch: 1 },
      ]);
    });
  },
  { only: ["postgres"] },
);

describe("newHolderId", () => {
  it("names the host and process and differs between calls", () => {
    const one = newHolderId("box");
    expect(one).toMatch(new RegExp(`^box/${process.pid}/[0-9a-f]{8}$`));
    expect(newHolderId("box")).not.toBe(one);
  });
});
