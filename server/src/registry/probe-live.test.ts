import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import { createAudit } from "./audit.js";
import { ADMIN } from "./caller.js";
import { createProbeLive } from "./probe-live.js";
import { createProbes } from "./probes.js";

const dir = mkdtempSync(join(tmpdir(), "ct-probe-live-"));
const db = openDatabase(dir);
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
const probes = createProbes(db, createAudit(db));
const T0 = Date.UTC(2026, 4, 3, 8);

describe("probe live fields", () => {
  it("merges updates without keeping the caller's object, and writes them a slice at a time", () => {
    const live = createProbeLive(probes);
    const ids = Array.from({ length: 5 }, () => probes.create(ADMIN, {}, T0).probe.id);
    const sent = { lastSeenMs: T0 + 1, batteryPct: 80 };
    for (const id of ids) live.update(id, sent);
    live.update(ids[0] as string, { lastSeenMs: T0 + 2 });
    expect(sent).toEqual({ lastSeenMs: T0 + 1, batteryPct: 80 });

    expect(live.flushSome(2)).toBe(true);
    expect(live.flushSome(2)).toBe(true);
    expect(probes.get(ADMIN, ids[4] as string).lastSeenMs).toBeNull();
    expect(live.flushSome(2)).toBe(false);
    expect(live.flushSome(2)).toBe(false);
    expect(probes.get(ADMIN, ids[0] as string)).toMatchObject({ lastSeenMs: T0 + 2, batteryPct: 80 });
    for (const id of ids.slice(1)) {
      expect(probes.get(ADMIN, id)).toMatchObject({ lastSeenMs: T0 + 1, batteryPct: 80 });
    }
  });
});
