import { expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { migrateSql } from "../db/sql/migrate.js";
import { ADMIN } from "./caller.js";
import { createProbeLive } from "./probe-live.js";
import { createProbes } from "./probes.js";
import { createRegistryIndex } from "./registry-index.js";

const T0 = Date.UTC(2026, 4, 3, 8);

describeBackends("probe live fields", (open) => {
  it("merges updates without keeping the caller's object, and writes them a slice at a time", async () => {
    const { client } = await open();
    await migrateSql(client);
    const probes = createProbes(client, createRegistryIndex());
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

  it("an update that arrives while its slice is being written waits for the next slice", async () => {
    const { client } = await open();
    await migrateSql(client);
    const probes = createProbes(client, createRegistryIndex());
    const live = createProbeLive(probes);
    const { probe } = await probes.create(ADMIN, {}, T0);
    live.update(probe.id, { lastSeenMs: T0 + 1, status: "online" });
    const writing = live.flushSome(10);
    live.update(probe.id, { lastSeenMs: T0 + 2 });
    expect(await writing).toBe(true);
    expect((await probes.get(ADMIN, probe.id)).lastSeenMs).toBe(T0 + 1);
    await live.flush();
    expect(await probes.get(ADMIN, probe.id)).toMatchObject({ lastSeenMs: T0 + 2, status: "online" });
  });
});
