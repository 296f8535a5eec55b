import { beforeEach, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import type { SqlClient } from "../db/sql/client.js";
import { migrateSql } from "../db/sql/migrate.js";
import { ADMIN } from "./caller.js";
import { createDeadLetters } from "./deadletters.js";

const T = Date.UTC(2026, 4, 3, 12);
const base = {
  atMs: T,
  probeId: "probe-1",
  clientId: "c1",
  topic: "coldtrail/v1/probes/probe-1/readings",
  reason: "temp_not_number",
  message: "2 of 3 readings refused, 1 stored: …",
};

describeBackends("dead letters", (open) => {
  let sql: SqlClient;
  beforeEach(async () => {
    sql = (await open()).client;
    await migrateSql(sql);
  });

  it("keeps a message refused whole with no refused readings", async () => {
    const d = createDeadLetters(sql);
    d.add({ ...base, reason: "not_json", message: "payload is not JSON", payload: Buffer.from("hello") });
    expect(await d.list(ADMIN, { limit: 1 })).toEqual([
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

  it("lists every refused reading of a message as sent; the first 20 keep their message", async () => {
    const d = createDeadLetters(sql);
    const refused = Array.from({ length: 25 }, (_, i) => ({
      index: i * 2,
      ts: i === 0 ? "yesterday" : T + i,
      temp_c: i === 1 ? null : "-19.5",
      reason: i === 0 ? "ts_not_integer" : "temp_not_number",
      message: `reading #${i * 2}: …`,
    }));
    d.add({ ...base, payload: Buffer.from("{}"), refusedReadings: refused });
    const [letter] = await d.list(ADMIN, { limit: 1 });
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

  it("writes in the order added, without the caller waiting, and lists a donor only her probes' letters", async () => {
    const d = createDeadLetters(sql);
    await sql.run("INSERT INTO account (id, name, role, created_ms) VALUES ('a_ana', 'Ana', 'donor', 0)");
    await sql.run(
      "INSERT INTO probe (id, owner_id, secret_hash, created_ms) VALUES ('probe-1', 'a_ana', 'x', 0)",
    );
    for (let i = 0; i < 5; i++)
      d.add({ ...base, atMs: T + i, probeId: i % 2 ? "probe-1" : null, payload: Buffer.from(`m${i}`) });
    d.add({ ...base, probeId: null, clientId: "x".repeat(500), payload: Buffer.alloc(1000, 65) });
    await d.settled();
    const all = await d.list(ADMIN, { limit: 10 });
    expect(all.map((l) => l.payloadHead.slice(0, 2))).toEqual(["AA", "m4", "m3", "m2", "m1", "m0"]);
    expect(all[0]).toMatchObject({ payloadBytes: 1000, clientId: "x".repeat(128) });
    expect(all[0]?.payloadHead).toHaveLength(256);
    const ana = await d.list({ accountId: "a_ana", role: "donor" }, { limit: 10 });
    expect(ana.map((l) => l.payloadHead)).toEqual(["m3", "m1"]);
    const older = await d.list(ADMIN, { limit: 2, beforeId: all[2]?.id });
    expect(older.map((l) => l.payloadHead)).toEqual(["m2", "m1"]);
  });
});
