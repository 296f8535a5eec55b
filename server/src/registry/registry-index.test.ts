/**
 * Units, probes and attachments on both backends: every write reaches the database (with its audit
 * row) and this instance's in-memory index at once; on PostgreSQL, another instance's index follows
 * through LISTEN/NOTIFY.
 */
import { beforeEach, expect, it } from "vitest";
import { describeBackends, type TestDatabase } from "../../test/backends.js";
import type { SqlClient } from "../db/sql/client.js";
import { migrateSql } from "../db/sql/migrate.js";
import { PROFILE_IDS } from "../rules/index.js";
import { auditEntriesFor } from "./audit.js";
import { ADMIN } from "./caller.js";
import { createProbes } from "./probes.js";
import { createRegistryIndex, type RegistryIndex } from "./registry-index.js";
import { startRegistryListener } from "./registry-notify.js";
import { hashSecret } from "./secrets.js";
import { createUnits } from "./units.js";

const T0 = Date.UTC(2026, 4, 3, 8);
const H = 3_600_000;

/** One instance's registry modules on `sql`, its index loaded from the database. */
async function instanceOn(sql: SqlClient) {
  const index = createRegistryIndex();
  await index.load(sql);
  return {
    sql,
    index,
    units: createUnits(sql, index, () => new Set(PROFILE_IDS)),
    probes: createProbes(sql, index),
  };
}
type Instance = Awaited<ReturnType<typeof instanceOn>>;

/** What the index says about a probe, comparable across two indexes. */
const viewOf = (index: RegistryIndex, probeId: string) => {
  const p = index.probe(probeId);
  return {
    calibration: p?.calibrationOffsetC,
    secretHash: p?.secretHash,
    attachments: index.attachmentsOfProbe(probeId),
  };
};

describeBackends("registry index: units, probes and attachments", (open) => {
  let database: TestDatabase;
  let one: Instance;
  beforeEach(async () => {
    database = await open();
    await migrateSql(database.client);
    one = await instanceOn(database.client);
  });

  it("a unit and its probe are in the index as soon as they are created, with their audit rows", async () => {
    const unit = await one.units.create(ADMIN, { name: "donor freezer", kind: "freezer" }, T0);
    const { probe, secret } = await one.probes.create(ADMIN, { id: "p-1", unitId: unit.id }, T0);
    expect(one.units.byId(unit.id)).toEqual(unit);
    expect(one.probes.auth(probe.id)?.secretHash).toBe(hashSecret(secret));
    expect(one.probes.ids()).toEqual(["p-1"]);
    expect(one.probes.currentAttachment("p-1")).toEqual({
      probeId: "p-1",
      unitId: unit.id,
      fromMs: T0,
      toMs: null,
    });
    expect(one.probes.attachmentsOfUnit(unit.id, T0, T0 + 1).map((a) => a.probeId)).toEqual(["p-1"]);
    expect((await auditEntriesFor(one.sql, "probe", "p-1")).map((e) => e.action)).toEqual([
      "probe.registered",
      "probe.attached",
    ]);
    expect((await auditEntriesFor(one.sql, "unit", unit.id)).map((e) => e.action)).toEqual(["unit.created"]);
  });

  it("attach, detach, back-date, calibrate and rotate keep the index as the database says", async () => {
    const freezer = await one.units.create(ADMIN, { name: "freezer", kind: "freezer" }, T0);
    const fridge = await one.units.create(ADMIN, { name: "fridge", kind: "fridge" }, T0);
    await one.probes.create(ADMIN, { id: "p-2", unitId: freezer.id }, T0 + H);
    await one.probes.attach(ADMIN, "p-2", freezer.id, T0, T0 + H); // back-dated: in since T0
    await one.probes.attach(ADMIN, "p-2", fridge.id, T0 + 2 * H, T0 + 2 * H);
    await one.probes.attach(ADMIN, "p-2", null, T0 + 3 * H, T0 + 3 * H);
    await one.probes.setCalibration(ADMIN, "p-2", -0.7, T0 + 3 * H);
    const { secret } = await one.probes.rotateSecret(ADMIN, "p-2", T0 + 3 * H);

    expect(one.probes.attachmentsOfProbe("p-2")).toEqual([
      { probeId: "p-2", unitId: freezer.id, fromMs: T0, toMs: T0 + 2 * H },
      { probeId: "p-2", unitId: fridge.id, fromMs: T0 + 2 * H, toMs: T0 + 3 * H },
    ]);
    expect(one.probes.currentAttachment("p-2")).toBeNull();
    expect(one.probes.attachmentsOfUnit(fridge.id, T0, T0 + 4 * H).map((a) => a.fromMs)).toEqual([
      T0 + 2 * H,
    ]);
    expect(one.probes.calibrationOf("p-2")).toBe(-0.7);
    expect(one.probes.auth("p-2")?.secretHash).toBe(hashSecret(secret));
    // A fresh load of the database reads what the index already held.
    const fresh = createRegistryIndex();
    await fresh.load(one.sql);
    expect(viewOf(fresh, "p-2")).toEqual(viewOf(one.index, "p-2"));
    expect((await auditEntriesFor(one.sql, "probe", "p-2")).map((e) => e.action)).toEqual([
      "probe.registered",
      "probe.attached",
      "probe.attachment_backdated",
      "probe.attached",
      "probe.detached",
      "probe.calibrated",
      "probe.secret_rotated",
    ]);
  });

  it("a refused change leaves the database and the index as they were", async () => {
    const freezer = await one.units.create(ADMIN, { name: "freezer", kind: "freezer" }, T0);
    const fridge = await one.units.create(ADMIN, { name: "fridge", kind: "fridge" }, T0);
    await one.probes.create(ADMIN, { id: "p-3", unitId: freezer.id }, T0);
    await one.probes.attach(ADMIN, "p-3", fridge.id, T0 + 2 * H, T0 + 2 * H);
    const before = viewOf(one.index, "p-3");
    await expect(one.probes.attach(ADMIN, "p-3", freezer.id, T0 + H, T0 + 3 * H)).rejects.toThrow(
      /already has an attachment at or after/,
    );
    await expect(one.probes.attach(ADMIN, "p-3", "u_missing", T0 + 3 * H, T0 + 3 * H)).rejects.toThrow(
      /does not exist/,
    );
    await expect(one.probes.create(ADMIN, { id: "p-3" }, T0)).rejects.toThrow(/already registered/);
    expect(viewOf(one.index, "p-3")).toEqual(before);
    const fresh = createRegistryIndex();
    await fresh.load(one.sql);
    expect(viewOf(fresh, "p-3")).toEqual(before);
  });

  it("a unit's update reaches the index", async () => {
    const unit = await one.units.create(ADMIN, { name: "freezer", kind: "freezer" }, T0);
    await one.units.update(ADMIN, unit.id, { name: "chest freezer" }, () => null, T0 + H);
    expect(one.units.byId(unit.id)?.name).toBe("chest freezer");
    expect((await one.units.get(ADMIN, unit.id)).name).toBe("chest freezer");
  });

  it("live fields are written in one transaction per slice", async () => {
    await one.probes.create(ADMIN, { id: "p-4" }, T0);
    await one.probes.saveLive(new Map([["p-4", { lastSeenMs: T0 + H, batteryPct: 71, status: "online" }]]));
    expect(await one.probes.get(ADMIN, "p-4")).toMatchObject({
      lastSeenMs: T0 + H,
      batteryPct: 71,
      status: "online",
    });
  });
});

/** A second instance listening for the first one's changes, and a way to wait for one. */
async function listeningPair(database: TestDatabase) {
  await migrateSql(database.client);
  const one = await instanceOn(database.client);
  const two = await instanceOn(await database.connect());
  const heard: string[] = [];
  const calibrated: string[] = [];
  let wake: (() => void) | null = null;
  const listener = await startRegistryListener({
    connectionString: database.url as string,
    sql: two.sql,
    index: two.index,
    onReloaded: (c) => {
      const was = (c.before as { calibrationOffsetC?: number } | null)?.calibrationOffsetC;
      const is = (c.after as { calibrationOffsetC?: number } | null)?.calibrationOffsetC;
      if (c.entity === "probe" && was !== undefined && was !== is) calibrated.push(c.id);
      heard.push(`${c.entity}:${c.id}`);
      wake?.();
    },
  });
  return {
    one,
    two,
    heard,
    calibrated,
    listener,
    /** Runs `write` on the first instance, then waits until the second has read `key` (of its result) again. */
    async seen<T>(key: string | ((out: T) => string), write: () => Promise<T>): Promise<T> {
      const from = heard.length;
      const out = await write();
      const k = typeof key === "string" ? key : key(out);
      while (!heard.slice(from).includes(k)) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      return out;
    },
  };
}

describeBackends(
  "registry index: another instance's writes arrive through NOTIFY",
  (open) => {
    it("a second instance's index follows creates, attachments, calibration and secrets made by the first", async () => {
      const { one, two, calibrated, listener, seen } = await listeningPair(await open());
      try {
        const unit = await seen(
          (u) => `unit:${u.id}`,
          () => one.units.create(ADMIN, { name: "bank freezer 1", kind: "freezer" }, T0),
        );
        expect(two.units.byId(unit.id)).toEqual(unit);

        const { secret } = await seen("probe:p-9", () =>
          one.probes.create(ADMIN, { id: "p-9", unitId: unit.id }, T0),
        );
        expect(two.probes.auth("p-9")?.secretHash).toBe(hashSecret(secret));
        expect(two.probes.currentAttachment("p-9")?.unitId).toBe(unit.id);

        await seen("probe:p-9", () => one.probes.setCalibration(ADMIN, "p-9", 1.5, T0 + H));
        expect(two.probes.calibrationOf("p-9")).toBe(1.5);
        expect(calibrated).toEqual(["p-9"]);

        await seen("probe:p-9", () => one.probes.attach(ADMIN, "p-9", null, T0 + 2 * H, T0 + 2 * H));
        expect(two.probes.currentAttachment("p-9")).toBeNull();

        const rotated = await seen("probe:p-9", () => one.probes.rotateSecret(ADMIN, "p-9", T0 + 2 * H));
        expect(two.probes.auth("p-9")?.secretHash).toBe(hashSecret(rotated.secret));
        expect(viewOf(two.index, "p-9")).toEqual(viewOf(one.index, "p-9"));
      } finally {
        await listener.close();
      }
    });

    it("a refused change is not announced: the notification goes with the transaction's rollback", async () => {
      const { one, two, heard, listener, seen } = await listeningPair(await open());
      try {
        await one.probes.create(ADMIN, { id: "p-10" }, T0);
        await expect(one.probes.create(ADMIN, { id: "p-11", unitId: "u_missing" }, T0)).rejects.toThrow(
          /does not exist/,
        );
        // A last change that is announced: once it is heard, everything before it was too.
        const unit = await seen("probe:p-12", async () => {
          const u = await one.units.create(ADMIN, { name: "marker", kind: "fridge" }, T0);
          await one.probes.create(ADMIN, { id: "p-12" }, T0);
          return u;
        });
        expect(heard).toEqual(["probe:p-10", `unit:${unit.id}`, "probe:p-12"]);
        expect(two.probes.auth("p-11")).toBeNull();
      } finally {
        await listener.close();
      }
    });
  },
  { only: ["postgres"] },
);
