import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { ADMIN } from "../registry/caller.js";
import { createProbes } from "../registry/probes.js";
import { createRegistryIndex } from "../registry/registry-index.js";
import { createBleMacMap, normaliseBleMac } from "./ble-mac-map.js";

const dir = mkdtempSync(join(tmpdir(), "ct-blemac-"));
const db = openDatabase(dir);
const sql = createSqliteClient(db);
const index = createRegistryIndex();
const probes = createProbes(sql, index);
afterAll(async () => {
  await sql.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeAll(async () => {
  await probes.create(ADMIN, { id: "ble-1", bleMac: "A4:C1:38:00:00:01" }, 0);
  await probes.create(
    ADMIN,
    { id: "ble-2", bleMac: "54:48:E6:8F:80:A5", bleBindkey: "231D39C1D7CC1AB1AEE224CD096DB932" },
    0,
  );
  await probes.create(ADMIN, { id: "wifi-1" }, 0);
  await probes.create(ADMIN, { id: "wifi-2" }, 0); // many probes without a MAC are fine
});

describe("BLE MAC map", () => {
  it("normalises MAC spellings", () => {
    expect(normaliseBleMac("a4-c1-38-00-00-01")).toBe("A4:C1:38:00:00:01");
    expect(normaliseBleMac("A4C138000001")).toBe("A4:C1:38:00:00:01");
    expect(normaliseBleMac("A4:C1:38")).toBeUndefined();
  });
  it("maps a MAC to its probe and bindkey (stored in lower case), unknown to null", () => {
    const m = createBleMacMap(index);
    expect(m.macToProbe("A4:C1:38:00:00:01")).toBe("ble-1");
    expect(m.bindkeyOf("A4:C1:38:00:00:01")).toBeUndefined();
    expect(m.macToProbe("54:48:E6:8F:80:A5")).toBe("ble-2");
    expect(m.bindkeyOf("54:48:E6:8F:80:A5")).toBe("231d39c1d7cc1ab1aee224cd096db932");
    expect(m.macToProbe("11:22:33:44:55:66")).toBeNull();
  });
  it("sees a new registration at once", async () => {
    const m = createBleMacMap(index);
    expect(m.macToProbe("A4:C1:38:00:00:03")).toBeNull();
    await probes.create(ADMIN, { id: "ble-3", bleMac: "A4:C1:38:00:00:03" }, 0);
    expect(m.macToProbe("A4:C1:38:00:00:03")).toBe("ble-3");
  });
  it("refuses one sensor on two probes", async () => {
    await expect(probes.create(ADMIN, { id: "ble-dup", bleMac: "A4:C1:38:00:00:01" }, 0)).rejects.toThrow(
      /already registered as probe "ble-1"/,
    );
    expect(createBleMacMap(index).macToProbe("A4:C1:38:00:00:01")).toBe("ble-1");
  });
});
