import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { describeBackends, type TestDatabase } from "../../test/backends.js";
import { openDatabase } from "../db/open.js";
import type { SqlClient } from "../db/sql/client.js";
import { migrateSql } from "../db/sql/migrate.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { PROFILE_IDS } from "../rules/index.js";
import { createAudit } from "./audit.js";
import { type Batch, type Batches, createBatches, FUTURE_SKEW_MS } from "./batches.js";
import { ADMIN, type Caller } from "./caller.js";
import { createProbes } from "./probes.js";
import { createRegistryIndex } from "./registry-index.js";
import { createUnits } from "./units.js";

const dir = mkdtempSync(join(tmpdir(), "ct-custody-"));
const db = openDatabase(dir);
afterAll(async () => {
  await sql.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
const audit = createAudit(db);
// The probe calibration tests below run on SQLite only, with the registry's index.
const sql = createSqliteClient(db);
const index = createRegistryIndex();
const units = createUnits(sql, index, () => new Set(PROFILE_IDS));
const probes = createProbes(sql, index);
const H = 3_600_000;
const T0 = Date.UTC(2026, 4, 3, 8);
const freezer = (await units.create(ADMIN, { name: "donor freezer", kind: "freezer" }, T0)).id;

/** Units straight into the shared tables (the units module is not on the SQL client yet). */
async function unit(sql: SqlClient, id: string, ownerId = "admin", kind = "freezer"): Promise<string> {
  await sql.run(
    "INSERT INTO unit (id, owner_id, name, kind, profile, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
    [id, ownerId, id, kind, kind === "cool-bag" ? "cool-bag" : "freezer", T0],
  );
  return id;
}

describeBackends("batches: custody, reviews, audit", (open) => {
  let database: TestDatabase;
  let sql: SqlClient;
  let batches: Batches;
  let freezer: string;
  let bag: string;
  const newBatch = async () =>
    (await batches.create(ADMIN, { unitId: freezer, expressedAtMs: T0 - H, atMs: T0 }, T0 + 10 * H)).id;

  beforeEach(async () => {
    database = await open();
    sql = database.client;
    await migrateSql(sql);
    batches = createBatches(sql);
    freezer = await unit(sql, "u_freezer");
    bag = await unit(sql, "u_bag", "admin", "cool-bag");
  });

  it("records how a batch left, and lets it come back into a unit later", async () => {
    const id = await newBatch();
    await batches.move(ADMIN, id, { unitId: null, atMs: T0 + 2 * H, how: "handed-over" }, T0 + 10 * H);
    await batches.move(ADMIN, id, { unitId: bag, atMs: T0 + 3 * H }, T0 + 10 * H);
    expect(await batches.custody(id)).toEqual([
      { unitId: freezer, fromMs: T0, toMs: T0 + 2 * H, leftHow: "handed-over" },
      { unitId: bag, fromMs: T0 + 3 * H, toMs: null, leftHow: null },
    ]);
    expect((await batches.auditOf(id)).map((a) => [a.action, a.actorName, a.details])).toEqual([
      [
        "batch.created",
        "bootstrap admin",
        {
          unitId: freezer,
          at: new Date(T0).toISOString(),
          expressedAt: new Date(T0 - H).toISOString(),
          state: "frozen",
          volumeMl: null,
        },
      ],
      [
        "batch.left_custody",
        "bootstrap admin",
        { from: freezer, to: null, at: new Date(T0 + 2 * H).toISOString(), how: "handed-over" },
      ],
      ["batch.returned", "bootstrap admin", { from: null, to: bag, at: new Date(T0 + 3 * H).toISOString() }],
    ]);
  });

  it("a batch that left cannot leave again, and cannot come back before it left", async () => {
    const id = await newBatch();
    await batches.move(ADMIN, id, { unitId: null, atMs: T0 + 2 * H }, T0 + 10 * H);
    expect((await batches.custody(id)).at(-1)?.leftHow).toBe("unknown");
    await expect(batches.move(ADMIN, id, { unitId: null, atMs: T0 + 3 * H }, T0 + 10 * H)).rejects.toThrow(
      /left custody already .*move it into a unit first/,
    );
    await expect(batches.move(ADMIN, id, { unitId: bag, atMs: T0 + H }, T0 + 10 * H)).rejects.toThrow(
      /not after the batch's last move/,
    );
    expect(await batches.custody(id)).toHaveLength(1);
    expect((await batches.auditOf(id)).map((a) => a.action)).toEqual(["batch.created", "batch.left_custody"]);
  });

  it("refuses times in the future (beyond the clock-skew allowance) and changes nothing", async () => {
    const now = T0 + 10 * H;
    const id = await newBatch();
    await expect(
      batches.move(ADMIN, id, { unitId: bag, atMs: now + FUTURE_SKEW_MS + 1 }, now),
    ).rejects.toThrow(/at \(.*\) is in the future; the server's time is/);
    await expect(
      batches.create(ADMIN, { unitId: freezer, expressedAtMs: T0, atMs: Date.UTC(9999, 0, 1) }, now),
    ).rejects.toThrow(/at \(9999-01-01T00:00:00.000Z\) is in the future/);
    expect(await batches.custody(id)).toHaveLength(1);
    // Within the allowance is fine: a phone clock a minute fast.
    await batches.move(ADMIN, id, { unitId: bag, atMs: now + 60_000 }, now);
    expect(await batches.custody(id)).toHaveLength(2);
  });

  it("reviews are private to staff unless staff tick 'show to recipient'; donors cannot review", async () => {
    const id = await newBatch();
    const hold = await batches.review(ADMIN, id, "hold", "call the donor about the freezer", T0 + 5 * H);
    await batches.review(
      ADMIN,
      id,
      "release",
      "checked with the donor: the freezer was fine",
      T0 + 6 * H,
      true,
    );
    expect(await batches.reviews(id)).toEqual([
      {
        id: hold.id,
        actor: "admin",
        actorName: "bootstrap admin",
        decision: "hold",
        comment: "call the donor about the freezer",
        atMs: T0 + 5 * H,
        showToRecipient: false,
      },
      expect.objectContaining({ decision: "release", showToRecipient: true }),
    ]);
    const donor: Caller = { accountId: "admin", role: "donor" };
    await expect(batches.review(donor, id, "release", "mine", T0 + 7 * H)).rejects.toThrow(/milk-bank staff/);
    expect(await batches.reviews(id)).toHaveLength(2);
  });

  it("finds batches by code, pages the list newest first, and hides other donors' batches", async () => {
    await sql.run("INSERT INTO account (id, name, role, created_ms) VALUES ('a_ana', 'Ana', 'donor', 0)");
    const ana: Caller = { accountId: "a_ana", role: "donor" };
    const home = await unit(sql, "u_home", "a_ana");
    const mine = [];
    for (let i = 0; i < 3; i++)
      mine.push(await batches.create(ana, { unitId: home, expressedAtMs: T0, atMs: T0 }, T0 + i));
    const staffOnly = await newBatch();
    await expect(batches.create(ana, { unitId: freezer, expressedAtMs: T0, atMs: T0 }, T0)).rejects.toThrow(
      /unit "u_freezer" does not exist/,
    );
    await expect(batches.get(ana, staffOnly)).rejects.toThrow(/does not exist/);
    const first = mine[0] as Batch;
    expect(await batches.byCode(first.code.toLowerCase())).toEqual(first);
    expect(await batches.byCode("NOSUCHCODE000")).toBeNull();
    const page1 = await batches.list(ana, { limit: 2 });
    expect(page1.map((b) => b.id)).toEqual([mine[2]?.id, mine[1]?.id]);
    const last = page1.at(-1) as { createdMs: number; id: string };
    const page2 = await batches.list(ana, { limit: 2, after: { createdMs: last.createdMs, id: last.id } });
    expect(page2.map((b) => b.id)).toEqual([mine[0]?.id]);
    expect(
      (await batches.list(ana, { limit: 10, codePrefix: first.code.slice(0, 13) })).map((b) => b.id),
    ).toEqual([first?.id]);
    expect((await batches.list(ADMIN, { limit: 10, unitId: freezer })).map((b) => b.id)).toEqual([staffOnly]);
  });

  it("answers which batches were in a unit when, from the database and from its index alike", async () => {
    const a = await newBatch();
    const b = await newBatch();
    await batches.move(ADMIN, a, { unitId: bag, atMs: T0 + 2 * H }, T0 + 10 * H);
    await batches.move(ADMIN, b, { unitId: bag, atMs: T0 + 4 * H }, T0 + 10 * H);
    const asked = async () => ({
      freezerEarly: await batches.inUnit(freezer, T0 + H, T0 + H + 1),
      bagLate: (await batches.inUnit(bag, T0 + 5 * H, T0 + 5 * H + 1)).sort(),
      bagPacked: await batches.packedSince(bag, T0 + 5 * H),
      bagEmpty: await batches.packedSince(bag, T0 + H),
    });
    const indexed = () => ({
      freezerEarly: batches.index.batchesIn(freezer, T0 + H, T0 + H + 1).sort(),
      bagLate: batches.index.batchesIn(bag, T0 + 5 * H, T0 + 5 * H + 1).sort(),
      bagPacked: batches.index.packedSince(bag, T0 + 5 * H),
      bagEmpty: batches.index.packedSince(bag, T0 + H),
    });
    const want = {
      freezerEarly: [a, b].sort(),
      bagLate: [a, b].sort(),
      bagPacked: T0 + 2 * H,
      bagEmpty: null,
    };
    expect({ ...(await asked()), freezerEarly: (await asked()).freezerEarly.sort() }).toEqual(want);
    expect(indexed()).toEqual(want);
    // Another instance's client (a fresh module) reads the same from the database into its index.
    const other = createBatches(sql);
    expect(other.index.batchesIn(bag, T0 + 5 * H, T0 + 5 * H + 1)).toEqual([]);
    await other.loadIndex();
    expect(other.index.batchesIn(bag, T0 + 5 * H, T0 + 5 * H + 1).sort()).toEqual(want.bagLate);
    expect(other.index.packedSince(bag, T0 + 5 * H)).toBe(T0 + 2 * H);
  });

  it("a reload of the index keeps a change this process made while the reload was being read", async () => {
    const id = await newBatch();
    const reloading = batches.loadIndex();
    // As a move that commits while the reload's query is in flight (here: not in the database at all).
    batches.index.closed(id, T0 + H);
    batches.index.opened(id, "CODE", bag, T0 + H);
    await reloading;
    expect(batches.index.batchesIn(freezer, T0 + 2 * H, T0 + 2 * H + 1)).toEqual([]);
    expect(batches.index.batchesIn(bag, T0 + 2 * H, T0 + 2 * H + 1)).toEqual([id]);
    // The next reload reads the database as it is.
    await batches.loadIndex();
    expect(batches.index.batchesIn(freezer, T0 + 2 * H, T0 + 2 * H + 1)).toEqual([id]);
  });

  it("stores a verdict, and does not write it again when only the clock moved", async () => {
    const id = await newBatch();
    const verdict = (asOfMs: number, maxC: number) => ({
      verdict: "safe",
      stats: { maxC },
      budgets: [
        {
          limit: "frozen",
          band: "check" as const,
          untilMs: T0 + 100 * H,
          remainingMs: T0 + 100 * H - asOfMs,
        },
      ],
      asOfMs,
    });
    const stored = async () =>
      sql.get<{ verdict: string; verdict_json: string; verdict_at_ms: number }>(
        "SELECT verdict, verdict_json, verdict_at_ms FROM batch WHERE id = ?",
        [id],
      );
    await batches.saveVerdict(id, "safe", verdict(T0 + H, -20), T0 + H);
    await batches.saveVerdict(id, "safe", verdict(T0 + 2 * H, -20), T0 + 2 * H);
    expect(await stored()).toEqual({
      verdict: "safe",
      verdict_json: JSON.stringify(verdict(T0 + H, -20)),
      verdict_at_ms: T0 + H,
    });
    await batches.saveVerdict(id, "check", verdict(T0 + 3 * H, -2), T0 + 3 * H);
    expect(await stored()).toMatchObject({ verdict: "check", verdict_at_ms: T0 + 3 * H });
    // Its time limits are in memory for the alert tick, here and, once read, on another instance.
    const due = [
      { batchId: id, code: expect.any(String), unitId: freezer, budgets: verdict(T0 + 3 * H, -2).budgets },
    ];
    expect(batches.index.inCustody()).toEqual(due);
    const other = createBatches(await database.connect());
    await other.loadIndex();
    expect(other.index.inCustody()).toEqual(due);
    // A batch that left custody is due nowhere.
    await batches.move(ADMIN, id, { unitId: null, atMs: T0 + 4 * H, how: "fed" }, T0 + 10 * H);
    expect(batches.index.inCustody()).toEqual([]);
  });

  it("two instances moving one batch at once: one move wins, the other is refused, custody stays one chain", async () => {
    const id = await newBatch();
    const fridge = await unit(sql, "u_fridge", "admin", "fridge");
    const second = createBatches(await database.connect());
    const moves = await Promise.allSettled([
      batches.move(ADMIN, id, { unitId: bag, atMs: T0 + 2 * H }, T0 + 10 * H),
      second.move(ADMIN, id, { unitId: fridge, atMs: T0 + 2 * H }, T0 + 10 * H),
    ]);
    expect(moves.map((m) => m.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = moves.find((m) => m.status === "rejected") as PromiseRejectedResult;
    expect(String(refused.reason)).toMatch(/not after the batch's last move/);
    const chain = await batches.custody(id);
    expect(chain).toHaveLength(2);
    expect(chain[0]).toEqual({ unitId: freezer, fromMs: T0, toMs: T0 + 2 * H, leftHow: null });
    expect(chain[1]).toMatchObject({ fromMs: T0 + 2 * H, toMs: null });
    expect((await batches.auditOf(id)).map((a) => a.action)).toEqual(["batch.created", "batch.moved"]);
  });
});

describe("probe calibration", () => {
  it("is corrected for the probe's whole history, audited, and announced", async () => {
    const { probe } = await probes.create(ADMIN, { id: "cal-1", unitId: freezer }, T0);
    expect(probes.calibrationOf("cal-1")).toBe(0);
    const heard: string[] = [];
    probes.onCalibrationChanged((id) => heard.push(id));
    const after = await probes.setCalibration(ADMIN, probe.id, -0.7, T0 + H);
    expect(after.calibrationOffsetC).toBe(-0.7);
    expect(probes.calibrationOf("cal-1")).toBe(-0.7);
    expect(heard).toEqual(["cal-1"]);
    expect(audit.forEntity("probe", "cal-1").at(-1)).toMatchObject({
      action: "probe.calibrated",
      details: { offsetC: -0.7, previousOffsetC: 0 },
    });
  });

  it("knows whether a probe declared its reporting interval", async () => {
    await probes.create(ADMIN, { id: "int-declared", intervalS: 600 }, T0);
    await probes.create(ADMIN, { id: "int-learned" }, T0);
    expect(probes.byId("int-declared")).toMatchObject({
      intervalDeclared: true,
      expectedIntervalMs: 600_000,
    });
    expect(probes.byId("int-learned")?.intervalDeclared).toBe(false);
    expect(probes.byId("nope")).toBeNull();
  });
});
