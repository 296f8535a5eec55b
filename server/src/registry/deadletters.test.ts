import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../db/open.js";
import { ADMIN } from "./caller.js";
import { createDeadLetters } from "./deadletters.js";

const dir = mkdtempSync(join(tmpdir(), "ct-deadletters-"));
const db = openDatabase(dir);
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
const T = Date.UTC(2026, 4, 3, 12);
const base = {
  atMs: T,
  probeId: "probe-1",
  clientId: "c1",
  topic: "coldtrail/v1/probes/probe-1/readings",
  reason: "temp_not_number",
  message: "2 of 3 readings refused, 1 stored: …",
};

describe("dead letters", () => {
  it("keeps a message refused whole with no refused readings", () => {
    const d = createDeadLetters(db);
    d.add({ ...base, reason: "not_json", message: "payload is not JSON", payload: Buffer.from("hello") });
    expect(d.list(ADMIN, { limit: 1 })).toEqual([
      {
        id: expect.any(Number),
        at: new Date(T).toISOString(),
        probeId: "probe-1",
        clientId: "c1",
        topic: base.topic,
        reason: "not_json",
        message: "payload is not JSON",
        payloadHead: "hello",
        payloadHeadHex: "68656c6c6f",
        payloadBytes: 5,
        refusedReadings: [],
      },
    ]);
  });

  it("lists every refused reading of a message as sent; the first 20 keep their message", () => {
    const d = createDeadLetters(db);
    const refused = Array.from({ length: 25 }, (_, i) => ({
      index: i * 2,
      ts: i === 0 ? "yesterday" : T + i,
      temp_c: i === 1 ? null : "-19.5",
      reason: i === 0 ? "ts_not_integer" : "temp_not_number",
      message: `reading #${i * 2}: …`,
    }));
    d.add({ ...base, payload: Buffer.from("{}"), refusedReadings: refused });
    const [letter] = d.list(ADMIN, { limit: 1 });
    expect(letter?.refusedReadings).toHaveLength(25);
    expect(letter?.refusedReadings.slice(0, 20)).toEqual(refused.slice(0, 20));
    expect(letter?.refusedReadings.slice(20)).toEqual(refused.slice(20).map(({ message: _, ...r }) => r));
    expect(letter?.refusedReadings[1]).toEqual({
      index: 2,
      ts: T + 1,
      temp_c: null,
      reason: "temp_not_number",
      message: "reading #2: …",
    });
  });
});
