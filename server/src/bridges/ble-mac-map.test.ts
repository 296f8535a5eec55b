import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import { createBleMacMap, normaliseBleMac } from "./ble-mac-map.js";

const dir = mkdtempSync(join(tmpdir(), "ct-blemac-"));
const db = openDatabase(dir);
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
const insert = db.prepare(
  "INSERT INTO probe (id, owner_id, secret_hash, created_ms, ble_mac, ble_bindkey) VALUES (?, 'admin', 'x', 0, ?, ?)",
);
insert.run("ble-1", "A4:C1:38:00:00:01", null);
insert.run("ble-2", "54:48:E6:8F:80:A5", "231d39c1d7cc1ab1aee224cd096db932");
insert.run("wifi-1", null, null);
insert.run("wifi-2", null, null); // many probes without a MAC are fine

describe("BLE MAC map", () => {
  it("normalises MAC spellings", () => {
    expect(normaliseBleMac("a4-c1-38-00-00-01")).toBe("A4:C1:38:00:00:01");
    expect(normaliseBleMac("A4C138000001")).toBe("A4:C1:38:00:00:01");
    expect(normaliseBleMac("A4:C1:38")).toBeUndefined();
  });
  it("maps a MAC to its probe and bindkey, unknown to null", () => {
    const m = createBleMacMap(db);
    expect(m.macToProbe("A4:C1:38:00:00:01")).toBe("ble-1");
    expect(m.bindkeyOf("A4:C1:38:00:00:01")).toBeUndefined();
    expect(m.macToProbe("54:48:E6:8F:80:A5")).toBe("ble-2");
    expect(m.bindkeyOf("54:48:E6:8F:80:A5")).toBe("231d39c1d7cc1ab1aee224cd096db932");
    expect(m.macToProbe("11:22:33:44:55:66")).toBeNull();
  });
  it("caches for the TTL, then sees a new registration", () => {
    let t = 0;
    const m = createBleMacMap(db, { ttlMs: 1000, now: () => t });
    expect(m.macToProbe("A4:C1:38:00:00:03")).toBeNull();
    insert.run("ble-3", "A4:C1:38:00:00:03", null);
    expect(m.macToProbe("A4:C1:38:00:00:03")).toBeNull();
    t = 1000;
    expect(m.macToProbe("A4:C1:38:00:00:03")).toBe("ble-3");
  });
  it("refuses one sensor on two probes", () => {
    expect(() => insert.run("ble-dup", "A4:C1:38:00:00:01", null)).toThrow(/UNIQUE/);
  });
});
