import { afterEach, describe, expect, it } from "vitest";
import { ADMIN } from "../registry/caller.js";
import { backoffMs, groupBehind, HEADS_SQL, PRUNE_SQL } from "./outbox.js";
import { createTestWorld, MIN, T0, type TestWorld } from "./test-world.js";

const DAY = 86_400_000;

const row = (id: number, createdMs: number, nextMs = createdMs, body: string | null = "{}") => ({
  id,
  created_ms: createdMs,
  next_attempt_ms: nextMs,
  body,
});

describe("groupBehind: which queued deliveries share the head's message", () => {
  const o = { windowMs: 2000, max: 50, nowMs: 10_000 };

  it("takes the rows right behind the head, each created within the window of the one before", async () => {
    const g = groupBehind(row(1, 1000), [row(2, 1500), row(3, 3000), row(4, 4900), row(5, 7000)], o);
    expect(g.map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });

  it("stops at the first row it cannot take, so nothing overtakes an earlier row", async () => {
    // Row 3 waits for a retry; row 4 would fit but must not go before it.
    const g = groupBehind(row(1, 1000), [row(2, 1100), row(3, 1200, 60_000), row(4, 1300)], o);
    expect(g.map((r) => r.id)).toEqual([1, 2]);
    expect(groupBehind(row(1, 1000), [row(2, 1100, 1100, null), row(3, 1200)], o)).toHaveLength(1);
  });

  it("takes at most max rows, and only the head when the window is 0", async () => {
    const next = [2, 3, 4, 5].map((id) => row(id, 1000));
    expect(groupBehind(row(1, 1000), next, { ...o, max: 3 }).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(groupBehind(row(1, 1000), next, { ...o, windowMs: 0 }).map((r) => r.id)).toEqual([1]);
  });
});

describe("backoffMs", () => {
  it("doubles from the minimum and stops at the maximum", async () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, 1000, 5000))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});

describe("outbox rows kept for outboxRetentionDays, then pruned", () => {
  let w: TestWorld | undefined;
  afterEach(async () => w?.close());

  it("deletes delivered and cancelled rows older than the retention, never an undelivered one", async () => {
    w = createTestWorld({ settings: { outboxRetentionDays: 7, eventRetentionDays: 7 } });
    const world = w;
    await world.alerting.channels.create(
      ADMIN,
      { kind: "webhook", target: "http://127.0.0.1:9/hook", minEscalation: 0 },
      T0 - MIN,
    );
    for (const id of ["probe-1", "probe-2", "probe-3", "probe-4"]) {
      const { probeId } = await world.unitWithProbe(`Freezer ${id}`, "freezer", T0, id);
      world.alerting.onProbeLive(probeId, { batteryPct: 9 });
      await world.alerting.settled();
    }
    const rows = () =>
      world.db.prepare("SELECT id, status, event_id FROM alert_outbox ORDER BY id").all() as {
        id: number;
        status: string;
        event_id: number;
      }[];
    const [old, recent, cancelled, owed] = rows();
    expect([old, recent, cancelled, owed].every((r) => r?.status === "pending")).toBe(true);
    const set = world.db.prepare("UPDATE alert_outbox SET status = ?, delivered_ms = ? WHERE id = ?");
    set.run("delivered", T0 + MIN, old?.id);
    set.run("delivered", T0 + 6 * DAY, recent?.id);
    set.run("cancelled", null, cancelled?.id);
    set.run("failed", null, owed?.id);

    await world.tickAt(T0 + 7 * DAY + 2 * MIN);
    const left = rows();
    expect(left.map((r) => r.id).slice(0, 2)).toEqual([recent?.id, owed?.id]);
    expect(left.find((r) => r.id === owed?.id)?.status).toBe("failed");
    // The events of pruned rows went with them; the owed row's event stays however old.
    const events = new Set(
      (world.db.prepare("SELECT id FROM alert_event").pluck().all() as number[]).map(Number),
    );
    expect(events.has(old?.event_id as number)).toBe(false);
    expect(events.has(owed?.event_id as number)).toBe(true);
  });

  it("prunes a backlog a chunk per call", async () => {
    w = createTestWorld();
    const insert = w.db.prepare(
      `INSERT INTO alert_outbox (delivery_id, event_id, event_type, alert_id, channel_id, status, next_attempt_ms, created_ms, delivered_ms)
       VALUES (?, 1, 'opened', 'a', 'c', 'delivered', 0, 0, 1)`,
    );
    for (let i = 0; i < 12; i++) insert.run(`d-${i}`);
    const outbox = w.alerting.outbox;
    const pruned: number[] = [];
    for (let i = 0; i < 4; i++) pruned.push(await outbox.prune(2, 5));
    expect(pruned).toEqual([5, 5, 2, 0]);
  });
});

describe("outbox queries use the index on (status, channel_id, id)", () => {
  let w: TestWorld | undefined;
  afterEach(async () => w?.close());

  it("the heads query and pruning seek by status instead of scanning every row", async () => {
    const world = createTestWorld();
    w = world;
    const plan = (sql: string, ...args: unknown[]) =>
      (world.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map(
        (r) => r.detail,
      );
    const heads = plan(HEADS_SQL);
    expect(heads).toContain("SEARCH alert_outbox USING COVERING INDEX alert_outbox_heads (status=?)");
    expect(heads.filter((d) => d.startsWith("SCAN alert_outbox"))).toEqual([]);
    expect(plan(PRUNE_SQL, 0, 10)).toContain("SEARCH alert_outbox USING INDEX alert_outbox_heads (status=?)");
  });
});
