/**
 * The lease keeper on both backends (test/backends.ts), ticked by the test. Time passes as in
 * unit-leases.test.ts: on SQLite the leases' clock is moved; on PostgreSQL expiry is the database's
 * clock, so the test waits until that clock has passed a lease (the short leases live 1.5 s, the
 * others a minute so that a slow machine never expires them by accident). The keeper's own clock,
 * for leases it could not renew, is always moved by the test. The scheduled ticks (start) run under
 * fake timers on SQLite, where the leases' clock is the faked Date.now too.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, expect, it, vi } from "vitest";
import { describeBackends, type TestDatabase } from "../../test/backends.js";
import type { SqlClient } from "../db/sql/client.js";
import { migrateSql } from "../db/sql/migrate.js";
import { createLeaseKeeper, type LeaseKeeper, PRESENCE_PREFIX } from "./lease-keeper.js";
import { createUnitLeases, type Lease, type UnitLeases } from "./unit-leases.js";

const LONG_MS = 60_000;
const SHORT_MS = 1500;
const T0 = Date.UTC(2026, 10, 30, 3, 0, 0);
const UNITS = ["u_1", "u_2", "u_3", "u_4", "u_5", "u_6"];

interface Event {
  keeper: string;
  kind: "gained" | "lost";
  unitId: string;
  epoch?: number;
  reason?: string;
}

interface Keeper extends LeaseKeeper {
  leases: UnitLeases;
  /** Unit ids held now, sorted. */
  units(): string[];
}

const keepers: LeaseKeeper[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const keeper of keepers.splice(0)) await keeper.stop();
});

async function world(db: TestDatabase, clock?: () => number) {
  await migrateSql(db.client);
  let leaseNow = T0;
  const leaseClock = clock ?? (() => leaseNow);
  const events: Event[] = [];
  const units = [...UNITS];
  let localNow = T0;
  const keeper = (
    name: string,
    options: { ttlMs?: number; client?: SqlClient; now?: () => number } = {},
  ): Keeper => {
    const ttlMs = options.ttlMs ?? LONG_MS;
    const leases = createUnitLeases(options.client ?? db.client, { holder: name, ttlMs, clock: leaseClock });
    const k = createLeaseKeeper({
      leases,
      ttlMs,
      unitIds: () => units,
      now: options.now ?? (() => localNow),
      onGained: (unitId, lease) => events.push({ keeper: name, kind: "gained", unitId, epoch: lease.epoch }),
      onLost: (unitId, reason) => events.push({ keeper: name, kind: "lost", unitId, reason }),
    });
    keepers.push(k);
    return Object.assign(k, { leases, units: () => [...k.held().keys()].sort() });
  };
  const probe = createUnitLeases(db.client, { holder: "clock", ttlMs: LONG_MS, clock: leaseClock });
  return {
    db,
    events,
    units,
    keeper,
    moveLocal: (ms: number) => {
      localNow += ms;
    },
    /** Lets time pass until every lease in `held` has expired on the clock the backend judges by. */
    async outlive(held: Iterable<Lease>) {
      const until = Math.max(...[...held].map((l) => l.expiresMs));
      if (db.backend === "sqlite") {
        leaseNow = Math.max(leaseNow, until);
        return;
      }
      while ((await probe.now()) < until) await sleep(20);
    },
  };
}

const of = (events: Event[], keeper: string, kind: Event["kind"]) =>
  events.filter((e) => e.keeper === keeper && e.kind === kind).map((e) => e.unitId);

describeBackends("the lease keeper", (open) => {
  it("shares the units between two instances, each at most its fair share, no unit twice", async () => {
    const w = await world(await open());
    const a = w.keeper("instance-a");
    const b = w.keeper("instance-b", { client: await w.db.connect() });
    await a.tick();
    expect(a.units()).toEqual(UNITS); // alone: everything
    await b.tick();
    expect(b.units()).toEqual([]); // none free; A sees B from now on
    await a.tick();
    expect(a.units()).toEqual(["u_1", "u_2", "u_3"]);
    expect(w.events.filter((e) => e.keeper === "instance-a" && e.kind === "lost")).toEqual(
      ["u_4", "u_5", "u_6"].map((unitId) => ({
        keeper: "instance-a",
        kind: "lost",
        unitId,
        reason: `unit "${unitId}" was let go for another instance: 2 instances share 6 units, at most 3 each`,
      })),
    );
    await b.tick();
    for (let round = 0; round < 3; round++) {
      await a.tick();
      await b.tick();
    }
    expect(a.units()).toEqual(["u_1", "u_2", "u_3"]);
    expect(b.units()).toEqual(["u_4", "u_5", "u_6"]);
    expect([...b.held().values()].map((l) => l.epoch)).toEqual([2, 2, 2]);
    const rows = (await a.leases.list()).filter((r) => r.live);
    expect(rows.map((r) => [r.unitId, r.holder])).toEqual([
      ...UNITS.map((u, i) => [u, i < 3 ? "instance-a" : "instance-b"]),
      [`${PRESENCE_PREFIX}instance-a`, "instance-a"],
      [`${PRESENCE_PREFIX}instance-b`, "instance-b"],
    ]);
    // Each unit gained once by each of its holders, in turn: never by two at once.
    expect(of(w.events, "instance-b", "gained")).toEqual(["u_4", "u_5", "u_6"]);
    expect(of(w.events, "instance-a", "gained")).toEqual(UNITS);
  });

  it("takes no more than its fair share of new units while another instance is alive", async () => {
    const w = await world(await open());
    w.units.splice(0);
    const a = w.keeper("instance-a");
    const b = w.keeper("instance-b");
    await a.tick();
    await b.tick();
    w.units.push(...UNITS);
    await a.tick();
    expect(a.units()).toEqual(["u_1", "u_2", "u_3"]);
    await b.tick();
    expect(b.units()).toEqual(["u_4", "u_5", "u_6"]);
  });

  it("gives every unit of an instance that stopped renewing to the other at its next tick, with the next epoch, and tells the old holder", async () => {
    const w = await world(await open());
    const a = w.keeper("instance-a", { ttlMs: SHORT_MS, client: await w.db.connect() });
    const b = w.keeper("instance-b");
    await a.tick();
    await b.tick();
    await a.tick();
    await b.tick();
    expect([a.units(), b.units()]).toEqual([
      ["u_1", "u_2", "u_3"],
      ["u_4", "u_5", "u_6"],
    ]);
    const before = new Map(a.held());
    // A stops renewing (hung, cut off): its leases run out ttl after its last renewal…
    await w.outlive(before.values());
    // …and B's next tick, at most one renewal period later, takes every one of them at once,
    // although that is more than half: A is no longer alive.
    await b.tick();
    expect(b.units()).toEqual(UNITS);
    for (const [unitId, old] of before) {
      expect(b.held().get(unitId)).toMatchObject({ holder: "instance-b", epoch: old.epoch + 1 });
    }
    // A, woken again, hears it lost them to B, and takes nothing back.
    const seen = w.events.length;
    await a.tick();
    expect(a.units()).toEqual([]);
    const lostByA = w.events.slice(seen).filter((e) => e.keeper === "instance-a" && e.kind === "lost");
    expect(lostByA.map((e) => [e.unitId, e.reason])).toEqual(
      [...before].map(([unitId, old]) => [
        unitId,
        `unit "${unitId}" changed hands: "instance-b" holds it at epoch ${old.epoch + 1} (this lease was epoch ${old.epoch}): stop judging this unit`,
      ]),
    );
    expect(of(w.events.slice(seen), "instance-a", "gained")).toEqual([]);
  });

  it("keeps its leases while the database is unreachable until they would have expired, then reports them lost", async () => {
    const w = await world(await open());
    const own = await w.db.connect();
    const a = w.keeper("instance-a", { client: own });
    await a.tick();
    expect(a.units()).toEqual(UNITS);
    await own.close(); // the database is gone, for A
    // Its deadline: a second before the lease's own expiry, counted from when the renewal was sent.
    w.moveLocal(LONG_MS - 1000 - 1);
    await a.tick();
    expect(a.units()).toEqual(UNITS);
    expect(of(w.events, "instance-a", "lost")).toEqual([]);
    w.moveLocal(1);
    await a.tick();
    expect(a.units()).toEqual([]);
    const lost = w.events.filter((e) => e.kind === "lost");
    expect(lost.map((e) => e.unitId)).toEqual(UNITS);
    expect(lost[0]?.reason).toBe(
      `the lease on unit "u_1" (epoch 1) could not be renewed before ${new Date(T0 + LONG_MS - 1000).toISOString()} (database unreachable?): stop judging this unit`,
    );
  });

  it("lets every lease go on stop, reported lost first, and the other instance takes them at once", async () => {
    const w = await world(await open());
    const a = w.keeper("instance-a");
    const b = w.keeper("instance-b");
    await a.tick();
    await b.tick();
    await a.tick();
    await b.tick();
    await a.stop();
    expect(a.units()).toEqual([]);
    expect(
      w.events.filter((e) => e.keeper === "instance-a" && e.reason?.startsWith("this instance is stopping")),
    ).toHaveLength(3);
    await b.tick();
    expect(b.units()).toEqual(UNITS);
    expect((await b.leases.list()).filter((r) => r.live && r.holder === "instance-a")).toEqual([]);
  });

  it("asks for no lease until what it starts after has resolved (monitors loaded), then takes its units", async () => {
    const w = await world(await open());
    const leases = createUnitLeases(w.db.client, { holder: "instance-a", ttlMs: LONG_MS });
    const asked: string[] = [];
    const spied: UnitLeases = {
      ...leases,
      renewAll: () => {
        asked.push("renewAll");
        return leases.renewAll();
      },
      acquire: (unitId) => {
        asked.push(unitId);
        return leases.acquire(unitId);
      },
    };
    const gained: string[] = [];
    const k = createLeaseKeeper({
      leases: spied,
      ttlMs: LONG_MS,
      unitIds: () => w.units,
      onGained: (unitId) => gained.push(unitId),
      onLost: () => undefined,
    });
    keepers.push(k);
    let loaded = (): void => undefined;
    k.start(new Promise<void>((resolve) => (loaded = resolve)));
    // Without the wait, the first tick would have asked by now (it starts on a microtask).
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(asked).toEqual([]);
    loaded();
    await new Promise((r) => setImmediate(r));
    await k.tick();
    expect(asked[0]).toBe("renewAll");
    expect(gained.sort()).toEqual(UNITS);
  });

  it("never asks for a lease when what it starts after fails", async () => {
    const w = await world(await open());
    const warned: string[] = [];
    const leases = createUnitLeases(w.db.client, { holder: "instance-a", ttlMs: LONG_MS });
    const k = createLeaseKeeper({
      leases,
      ttlMs: LONG_MS,
      unitIds: () => w.units,
      onGained: () => undefined,
      onLost: () => undefined,
      log: { warn: (_o: unknown, msg: string) => warned.push(msg) } as never,
    });
    keepers.push(k);
    k.start(Promise.reject(new Error("alert_monitor could not be read")));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(warned).toEqual(["lease_keeper.not_started"]);
    expect((await leases.list()).filter((r) => r.holder === "instance-a")).toEqual([]);
  });

  it("lets go of a unit that left the registry", async () => {
    const w = await world(await open());
    const a = w.keeper("instance-a");
    await a.tick();
    w.units.splice(w.units.indexOf("u_2"), 1);
    await a.tick();
    expect(a.units()).toEqual(["u_1", "u_3", "u_4", "u_5", "u_6"]);
    expect(w.events.at(-1)).toEqual({
      keeper: "instance-a",
      kind: "lost",
      unitId: "u_2",
      reason: 'unit "u_2" is no longer in the registry: nothing left to judge',
    });
    expect((await a.leases.list()).find((r) => r.unitId === "u_2")).toMatchObject({ live: false });
  });
});

describeBackends(
  "the lease keeper on its own timers",
  (open) => {
    it("moves a silent instance's units to the other within ttl + one renewal period, never judged by two at once", async () => {
      vi.useFakeTimers({ now: T0, toFake: ["setTimeout", "clearTimeout", "Date"] });
      const ttlMs = 15_000;
      const w = await world(await open(), Date.now);
      const own = await w.db.connect();
      const a = w.keeper("instance-a", { ttlMs, client: own, now: Date.now });
      const b = w.keeper("instance-b", { ttlMs, now: Date.now });
      const events = w.events;
      a.start();
      await vi.advanceTimersByTimeAsync(0);
      b.start();
      await vi.advanceTimersByTimeAsync(2 * (ttlMs / 3));
      expect([a.units(), b.units()]).toEqual([
        ["u_1", "u_2", "u_3"],
        ["u_4", "u_5", "u_6"],
      ]);
      // A's database connection dies at a renewal: it renews no more from here.
      await own.close();
      const countBefore = events.length;
      await vi.advanceTimersByTimeAsync(ttlMs + ttlMs / 3);
      expect(b.units()).toEqual(UNITS);
      expect(a.units()).toEqual([]);
      const after = events.slice(countBefore);
      // For each of A's units: A stopped judging it (its lease ran out on its own clock) before
      // B gained it.
      for (const unitId of ["u_1", "u_2", "u_3"]) {
        const lostAt = after.findIndex(
          (e) => e.keeper === "instance-a" && e.unitId === unitId && e.kind === "lost",
        );
        const gainedAt = after.findIndex(
          (e) => e.keeper === "instance-b" && e.unitId === unitId && e.kind === "gained",
        );
        expect(lostAt, unitId).toBeGreaterThanOrEqual(0);
        expect(gainedAt, unitId).toBeGreaterThan(lostAt);
      }
    });
  },
  { only: ["sqlite"] },
);
