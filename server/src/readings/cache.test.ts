import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import type { Reading } from "../reading.js";
import { createSqliteReadingsStore } from "../stores/sqlite.js";
import { createReadingsCache } from "./cache.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function store() {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-cache-"));
  dirs.push(dir);
  return createSqliteReadingsStore(openDatabase(dir));
}
const T0 = 1_780_000_000_000;
const r = (probeId: string, i: number, tempC: number, seq: number | null = i): Reading => ({
  probeId,
  tsMs: T0 + i * 1000,
  tempC,
  seq,
  serverTimed: false,
});

describe("readings cache", () => {
  it("answers every range exactly as the store does, across writes in any order, replays and evictions", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant("write" as const),
              probe: fc.constantFrom("a", "b", "c"),
              i: fc.integer({ min: 0, max: 200 }),
              t: fc.integer({ min: -40, max: 10 }),
              seq: fc.option(fc.nat(), { nil: null }),
            }),
            fc.record({
              op: fc.constant("range" as const),
              probe: fc.constantFrom("a", "b", "c"),
              from: fc.integer({ min: -5, max: 205 }),
              len: fc.integer({ min: 0, max: 210 }),
            }),
          ),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 300 }),
        async (ops, maxReadings) => {
          const s = store();
          const cache = createReadingsCache(s, { maxReadings });
          for (const op of ops) {
            if (op.op === "write") {
              const batch = [r(op.probe, op.i, op.t, op.seq)];
              await s.write(batch);
              cache.observe(batch);
            } else {
              const from = T0 + op.from * 1000;
              const to = from + op.len * 1000;
              expect(await cache.range(op.probe, from, to)).toEqual(await s.range(op.probe, from, to));
            }
          }
          expect(cache.size).toBeLessThanOrEqual(maxReadings);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("serves a cached probe without asking the store again", async () => {
    const s = store();
    let calls = 0;
    const counting = {
      ...s,
      range: (p: string, f: number, t: number) => {
        calls++;
        return s.range(p, f, t);
      },
    };
    const cache = createReadingsCache(counting, { maxReadings: 1000 });
    const batch = Array.from({ length: 100 }, (_, i) => r("a", i, -19));
    await s.write(batch);
    cache.observe(batch);
    expect((await cache.range("a", T0, T0 + 100_000)).length).toBe(100);
    const more = [r("a", 100, -18)];
    await s.write(more);
    cache.observe(more);
    expect((await cache.range("a", T0 + 50_000, T0 + 200_000)).length).toBe(51);
    expect(calls).toBe(1);
  });
});
