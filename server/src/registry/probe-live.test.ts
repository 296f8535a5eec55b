import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { ADMIN } from "./caller.js";
import { createProbeLive } from "./probe-live.js";
import { createProbes } from "./probes.js";
import { createRegistryIndex } from "./registry-index.js";

const dir = mkdtempSync(join(tmpdir(), "ct-probe-live-"));
const db = openDatabase(dir);
afterAll(async () => {
  await sql.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
const sql = createSqliteClient(db);
const probes = createProbes(sql, createRegistryIndex());
const T0 = Date.UTC(2026, 4, 3, 8);

describe("probe live fields", () => {
  it("merges updates without keeping the caller's object, and writes them a slice at a time", async () => {
    const live = createProbeLive(probes);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await probes.create(ADMIN, {}, T0)).probe.id);
    const sent = { lastSeenMs: T0 + 1, batteryPct: 80 };
    for (const id of ids) live.update(id, sent);
    live.update(ids[0] as string, { lastSeenMs: T0 + 2 });
    expect(sent).toEqual({ lastSeenMs: T0 + 1, batteryPct: 80 });

    expect(await live.flushSome(2)).toBe(true);
    expect(await live.flushSome(2)).toBe(true);
    expect((await probes.get(ADMIN, ids[4] as string)).lastSeenMs).toBeNull();
    expect(await live.flushSome(2)).toBe(false);
    expect(await live.flushSome(2)).toBe(false);
    expect(await probes.get(ADMIN, ids[0] as string)).toMatchObject({ lastSeenMs: T0 + 2, batteryPct: 80 });
    for (const id of ids.slice(1)) {
      expect(await probes.get(ADMIN, id)).toMatchObject({ lastSeenMs: T0 + 1, batteryPct: 80 });
    }
  });
});
