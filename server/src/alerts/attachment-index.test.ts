import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { createAudit } from "../registry/audit.js";
import { ADMIN } from "../registry/caller.js";
import { createProbes } from "../registry/probes.js";
import { createUnits } from "../registry/units.js";
import { PROFILE_IDS } from "../rules/index.js";
import { createAttachmentIndex, sqliteRegistryVersion } from "./attachment-index.js";

const T0 = Date.UTC(2026, 4, 3, 12);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The real registry on a temporary SQLite file, behind an index that counts what it asked. */
function world() {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-attachment-index-"));
  dirs.push(dir);
  const db = openDatabase(dir);
  const audit = createAudit(db);
  const units = createUnits(db, audit, () => new Set<string>(PROFILE_IDS));
  const probes = createProbes(db, audit);
  const asked = { probe: 0, attachments: 0, unit: 0 };
  const index = createAttachmentIndex({
    probe: (id) => {
      asked.probe++;
      return probes.byId(id);
    },
    attachmentsOf: (id) => {
      asked.attachments++;
      return probes.attachmentsOfProbe(id);
    },
    unit: (id) => {
      asked.unit++;
      try {
        return units.get(ADMIN, id);
      } catch {
        return null;
      }
    },
    version: sqliteRegistryVersion(db),
  });
  return { db, units, probes, index, asked };
}

describe("attachment index", () => {
  it("asks the registry once per probe and unit while nothing changes", () => {
    const { units, probes, index, asked } = world();
    const unit = units.create(ADMIN, { name: "freezer", kind: "freezer" }, T0);
    const { probe } = probes.create(ADMIN, { unitId: unit.id }, T0);
    index.refresh();
    for (let i = 0; i < 5; i++) {
      index.refresh();
      expect(index.attachmentsOf(probe.id).map((a) => a.unitId)).toEqual([unit.id]);
      expect(index.probe(probe.id)?.id).toBe(probe.id);
      expect(index.unit(unit.id)?.name).toBe("freezer");
    }
    expect(asked).toEqual({ probe: 1, attachments: 1, unit: 1 });
  });

  it("sees an attachment, a calibration and a unit edit after the next refresh", () => {
    const { units, probes, index } = world();
    const a = units.create(ADMIN, { name: "freezer A", kind: "freezer" }, T0);
    const b = units.create(ADMIN, { name: "freezer B", kind: "freezer" }, T0);
    const { probe } = probes.create(ADMIN, { unitId: a.id }, T0);
    expect(index.attachmentsOf(probe.id).map((x) => x.unitId)).toEqual([a.id]);
    probes.attach(ADMIN, probe.id, b.id, T0 + 60_000, T0 + 60_000);
    index.refresh();
    expect(index.attachmentsOf(probe.id).map((x) => [x.unitId, x.toMs])).toEqual([
      [a.id, T0 + 60_000],
      [b.id, null],
    ]);
    expect(index.probe(probe.id)?.calibrationOffsetC).toBe(0);
    probes.setCalibration(ADMIN, probe.id, -1.5, T0 + 120_000);
    index.refresh();
    expect(index.probe(probe.id)?.calibrationOffsetC).toBe(-1.5);
    expect(index.unit(b.id)?.name).toBe("freezer B");
    units.update(ADMIN, b.id, { name: "chest freezer" }, () => null, T0 + 180_000);
    index.refresh();
    expect(index.unit(b.id)?.name).toBe("chest freezer");
  });

  it("sees a commit by another connection to the file (the SQL client) after the next refresh", async () => {
    const { db, units, probes, index } = world();
    const unit = units.create(ADMIN, { name: "freezer", kind: "freezer" }, T0);
    const { probe } = probes.create(ADMIN, { unitId: unit.id }, T0);
    expect(index.attachmentsOf(probe.id)).toHaveLength(1);
    const sql = createSqliteClient(db);
    try {
      // Not audited: only SQLite's data_version tells this connection about it.
      await sql.run("UPDATE probe_attachment SET to_ms = ? WHERE probe_id = ?", [T0 + 1000, probe.id]);
    } finally {
      await sql.close();
    }
    expect(index.attachmentsOf(probe.id)[0]?.toMs).toBeNull();
    index.refresh();
    expect(index.attachmentsOf(probe.id)[0]?.toMs).toBe(T0 + 1000);
  });

  it("keeps no miss: a probe registered after it was asked for is found", () => {
    const { probes, index } = world();
    expect(index.probe("p-late")).toBeNull();
    probes.create(ADMIN, { id: "p-late" }, T0);
    expect(index.probe("p-late")?.id).toBe("p-late");
  });
});
