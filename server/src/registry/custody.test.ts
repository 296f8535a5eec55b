import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { PROFILE_IDS } from "../rules/index.js";
import { createAudit } from "./audit.js";
import { createBatches, FUTURE_SKEW_MS } from "./batches.js";
import { ADMIN } from "./caller.js";
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
const sql = createSqliteClient(db);
const index = createRegistryIndex();
const units = createUnits(sql, index, () => new Set(PROFILE_IDS));
const batches = createBatches(db, audit);
const probes = createProbes(sql, index);
const H = 3_600_000;
const T0 = Date.UTC(2026, 4, 3, 8);
const freezer = (await units.create(ADMIN, { name: "donor freezer", kind: "freezer" }, T0)).id;
const bag = (await units.create(ADMIN, { name: "cool bag", kind: "cool-bag" }, T0)).id;

const newBatch = () =>
  batches.create(ADMIN, { unitId: freezer, expressedAtMs: T0 - H, atMs: T0 }, T0 + 10 * H).id;

describe("custody: leaving and coming back", () => {
  it("records how a batch left, and lets it come back into a unit later", () => {
    const id = newBatch();
    batches.move(ADMIN, id, { unitId: null, atMs: T0 + 2 * H, how: "handed-over" }, T0 + 10 * H);
    batches.move(ADMIN, id, { unitId: bag, atMs: T0 + 3 * H }, T0 + 10 * H);
    expect(batches.custody(id)).toEqual([
      { unitId: freezer, fromMs: T0, toMs: T0 + 2 * H, leftHow: "handed-over" },
      { unitId: bag, fromMs: T0 + 3 * H, toMs: null, leftHow: null },
    ]);
    expect(audit.forEntity("batch", id).map((a) => a.action)).toEqual([
      "batch.created",
      "batch.left_custody",
      "batch.returned",
    ]);
  });

  it("a batch that left cannot leave again, and cannot come back before it left", () => {
    const id = newBatch();
    batches.move(ADMIN, id, { unitId: null, atMs: T0 + 2 * H }, T0 + 10 * H);
    expect(batches.custody(id).at(-1)?.leftHow).toBe("unknown");
    expect(() => batches.move(ADMIN, id, { unitId: null, atMs: T0 + 3 * H }, T0 + 10 * H)).toThrow(
      /left custody already .*move it into a unit first/,
    );
    expect(() => batches.move(ADMIN, id, { unitId: bag, atMs: T0 + H }, T0 + 10 * H)).toThrow(
      /not after the batch's last move/,
    );
  });

  it("refuses times in the future (beyond the clock-skew allowance) and changes nothing", () => {
    const now = T0 + 10 * H;
    const id = newBatch();
    expect(() => batches.move(ADMIN, id, { unitId: bag, atMs: now + FUTURE_SKEW_MS + 1 }, now)).toThrow(
      /at \(.*\) is in the future; the server's time is/,
    );
    expect(() =>
      batches.create(ADMIN, { unitId: freezer, expressedAtMs: T0, atMs: Date.UTC(9999, 0, 1) }, now),
    ).toThrow(/at \(9999-01-01T00:00:00.000Z\) is in the future/);
    expect(batches.custody(id)).toHaveLength(1);
    // Within the allowance is fine: a phone clock a minute fast.
    batches.move(ADMIN, id, { unitId: bag, atMs: now + 60_000 }, now);
    expect(batches.custody(id)).toHaveLength(2);
  });
});

describe("reviews", () => {
  it("are private to staff unless staff tick 'show to recipient'", () => {
    const id = newBatch();
    batches.review(ADMIN, id, "hold", "call the donor about the freezer", T0 + 5 * H);
    batches.review(ADMIN, id, "release", "checked with the donor: the freezer was fine", T0 + 6 * H, true);
    expect(batches.reviews(id).map((r) => [r.decision, r.showToRecipient])).toEqual([
      ["hold", false],
      ["release", true],
    ]);
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
