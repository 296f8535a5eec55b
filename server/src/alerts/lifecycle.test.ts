import { afterEach, describe, expect, it } from "vitest";
import { ConflictError } from "../errors.js";
import { ADMIN } from "../registry/caller.js";
import { dueNotice } from "./escalation.js";
import { DEFAULT_ALERT_SETTINGS, resolveAlertSettings } from "./settings.js";
import { createTestWorld, MIN, T0, type TestWorld } from "./test-world.js";

let w: TestWorld;
afterEach(async () => w?.close());

/** Outbox rows as [channel label, event] in order. */
function deliveries(world: TestWorld, labels: Record<string, string>): [string, string][] {
  return (
    world.db.prepare("SELECT channel_id, event_type FROM alert_outbox ORDER BY id").all() as {
      channel_id: string;
      event_type: string;
    }[]
  ).map((r) => [labels[r.channel_id] ?? r.channel_id, r.event_type]);
}

async function staffChannels(world: TestWorld) {
  const mk = async (minEscalation: number) =>
    (
      await world.alerting.channels.create(
        ADMIN,
        { kind: "webhook", target: "http://127.0.0.1:9/hook", minEscalation },
        T0 - MIN,
      )
    ).channel.id;
  const ids = { donor: await mk(0), staff: await mk(1), lead: await mk(2) };
  return { ids, labels: { [ids.donor]: "donor", [ids.staff]: "staff", [ids.lead]: "lead" } };
}

describe("alert lifecycle: open → acknowledged → resolved, every transition audited", () => {
  it("records who acknowledged, when and why; refuses to acknowledge or resolve twice", async () => {
    w = createTestWorld();
    const { probeId } = await w.unitWithProbe("Freezer", "freezer", T0, "probe-1");
    w.alerting.onProbeLive(probeId, { batteryPct: 9 });
    await w.alerting.settled();
    const [a] = await w.active();
    const id = a?.id as string;
    w.setNow(T0 + 5 * MIN);
    await w.alerting.store.acknowledge(ADMIN, id, "new batteries are in the drawer", T0 + 5 * MIN);
    expect(await w.alerting.store.get(ADMIN, id)).toMatchObject({
      state: "acknowledged",
      acknowledgedBy: "admin",
      acknowledgedMs: T0 + 5 * MIN,
      comment: "new batteries are in the drawer",
    });
    const again = (await w.alerting.store.acknowledge(ADMIN, id, null, T0 + 6 * MIN).then(
      () => null,
      (e: unknown) => e,
    )) as ConflictError;
    expect(again).toBeInstanceOf(ConflictError);
    expect([again.kind, again.message]).toEqual([
      "conflict",
      `alert "${id}" was already acknowledged by "admin" at 2026-05-03T12:05:00.000Z`,
    ]);
    await w.alerting.store.resolve(ADMIN, id, "battery replaced", T0 + 20 * MIN);
    expect(await w.alerting.store.get(ADMIN, id)).toMatchObject({
      state: "resolved",
      resolvedBy: "admin",
      resolveComment: "battery replaced",
    });
    await expect(w.alerting.store.resolve(ADMIN, id, null, T0 + 21 * MIN)).rejects.toThrow(
      /already resolved by "admin"/,
    );
    await expect(w.alerting.store.acknowledge(ADMIN, id, null, T0 + 21 * MIN)).rejects.toThrow(
      /already resolved/,
    );
    await expect(w.alerting.store.get({ accountId: "someone-else", role: "donor" }, id)).rejects.toThrow(
      /does not exist \(or is not yours\)/,
    );
    expect(w.audit.forEntity("alert", id).map((e) => [e.action, e.actor, e.details])).toEqual([
      [
        "alert.opened",
        "system",
        { kind: "battery-low", subject: "probe:probe-1", severity: "warning", title: "Battery low: probe-1" },
      ],
      ["alert.acknowledged", "admin", { comment: "new batteries are in the drawer" }],
      ["alert.resolved", "admin", { comment: "battery replaced" }],
    ]);
    // A staff-resolved condition that is still there does not reopen on the next message.
    w.alerting.onProbeLive(probeId, { batteryPct: 9 });
    await w.alerting.settled();
    expect(await w.active()).toEqual([]);
    // Once it cleared and comes back, it is a new alert.
    w.alerting.onProbeLive(probeId, { batteryPct: 100 });
    await w.alerting.settled();
    w.alerting.onProbeLive(probeId, { batteryPct: 8 });
    await w.alerting.settled();
    expect(await w.active()).toHaveLength(1);
  });

  it("keeps the change, its event and its outbox rows in one transaction", async () => {
    w = createTestWorld();
    const { ids } = await staffChannels(w);
    const probeId = await w.loneProbe("probe-tx", T0);
    w.db.exec(
      "CREATE TRIGGER fail_outbox BEFORE INSERT ON alert_outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    w.alerting.onProbeLive(probeId, { batteryPct: 9 });
    await w.alerting.settled(); // logged, not thrown: ingest must go on
    expect(await w.all()).toEqual([]);
    expect(w.db.prepare("SELECT count(*) FROM alert_event").pluck().get()).toBe(0);
    expect(w.db.prepare("SELECT count(*) FROM audit WHERE entity = 'alert'").pluck().get()).toBe(0);
    w.db.exec("DROP TRIGGER fail_outbox");
    w.alerting.onProbeLive(probeId, { batteryPct: 8 });
    await w.alerting.settled();
    expect(await w.all()).toHaveLength(1);
    expect(w.db.prepare("SELECT channel_id FROM alert_outbox").pluck().all()).toEqual([ids.donor]);
  });
});

describe("reminders and escalation (injected clock)", () => {
  it("escalates donor → staff → lead, reminds in between, and an acknowledgement stops both", async () => {
    w = createTestWorld();
    const { labels } = await staffChannels(w);
    const probeId = await w.loneProbe("probe-esc", T0);
    w.alerting.onProbeLive(probeId, { batteryPct: 9 });
    await w.alerting.settled();
    const id = (await w.active())[0]?.id as string;
    for (let m = 1; m <= 60; m++) await w.tickAt(T0 + m * MIN);
    expect((await w.alerting.store.get(ADMIN, id)).escalationLevel).toBe(2);
    expect(deliveries(w, labels)).toEqual([
      ["donor", "opened"],
      ["donor", "escalated"], // 15 min: staff on duty
      ["staff", "escalated"],
      ["donor", "reminder"], // 30 min
      ["staff", "reminder"],
      ["donor", "reminder"], // 45 min
      ["staff", "reminder"],
      ["donor", "escalated"], // 60 min: the bank's lead
      ["staff", "escalated"],
      ["lead", "escalated"],
    ]);
    const before = deliveries(w, labels).length;
    w.setNow(T0 + 61 * MIN);
    await w.alerting.store.acknowledge(ADMIN, id, "on my way", T0 + 61 * MIN);
    // From here: no escalation, no 15-minute reminders; one reminder 4 h after the acknowledgement.
    for (let m = 62; m < 61 + 240; m++) await w.tickAt(T0 + m * MIN);
    expect(deliveries(w, labels).slice(before)).toEqual([
      ["donor", "acknowledged"],
      ["staff", "acknowledged"],
      ["lead", "acknowledged"],
    ]);
    await w.tickAt(T0 + (61 + 240) * MIN);
    expect(
      deliveries(w, labels)
        .slice(before + 3)
        .map(([, e]) => e),
    ).toEqual(["reminder", "reminder", "reminder"]);
    // Acknowledged and cleared: resolved, and then silence.
    w.setNow(T0 + 302 * MIN);
    w.alerting.onProbeLive(probeId, { batteryPct: 100 });
    await w.alerting.settled();
    for (let m = 303; m < 1000; m += 5) await w.tickAt(T0 + m * MIN);
    expect(deliveries(w, labels).slice(before + 6)).toEqual([
      ["donor", "resolved"],
      ["staff", "resolved"],
      ["lead", "resolved"],
    ]);
    expect((await w.alerting.store.get(ADMIN, id)).state).toBe("resolved");
  });

  it("does not escalate an alert acknowledged before its first escalation", async () => {
    w = createTestWorld();
    const { labels } = await staffChannels(w);
    const probeId = await w.loneProbe("probe-ack", T0);
    w.alerting.onProbeLive(probeId, { batteryPct: 9 });
    await w.alerting.settled();
    const id = (await w.active())[0]?.id as string;
    await w.tickAt(T0 + 5 * MIN);
    await w.alerting.store.acknowledge(ADMIN, id, null, T0 + 5 * MIN);
    for (let m = 6; m < 120; m++) await w.tickAt(T0 + m * MIN);
    expect((await w.alerting.store.get(ADMIN, id)).escalationLevel).toBe(0);
    expect(deliveries(w, labels)).toEqual([
      ["donor", "opened"],
      ["donor", "acknowledged"],
    ]);
  });

  it("latching: a cleared, unacknowledged alert stays open and keeps reminding until acknowledged", async () => {
    w = createTestWorld({ settings: { latching: true } });
    const { labels } = await staffChannels(w);
    const probeId = await w.loneProbe("probe-latch", T0);
    w.alerting.onProbeLive(probeId, { batteryPct: 9 });
    await w.alerting.settled();
    const id = (await w.active())[0]?.id as string;
    w.setNow(T0 + 3 * MIN);
    w.alerting.onProbeLive(probeId, { batteryPct: 100 });
    await w.alerting.settled();
    expect(await w.alerting.store.get(ADMIN, id)).toMatchObject({ state: "open", clearedMs: T0 + 3 * MIN });
    await w.tickAt(T0 + 15 * MIN);
    expect(deliveries(w, labels).map(([c, e]) => `${c}:${e}`)).toEqual([
      "donor:opened",
      "donor:cleared",
      "donor:escalated",
      "staff:escalated",
    ]);
    // It comes back while latched: the same alert, one more occurrence.
    w.setNow(T0 + 16 * MIN);
    w.alerting.onProbeLive(probeId, { batteryPct: 9 });
    await w.alerting.settled();
    expect(await w.alerting.store.get(ADMIN, id)).toMatchObject({
      state: "open",
      clearedMs: null,
      occurrences: 2,
    });
    w.alerting.onProbeLive(probeId, { batteryPct: 100 });
    await w.alerting.settled();
    const changes = await w.alerting.store.acknowledge(ADMIN, id, "checked", T0 + 17 * MIN);
    expect(changes.map((c) => c.event.type)).toEqual(["acknowledged", "resolved"]);
    expect(await w.alerting.store.get(ADMIN, id)).toMatchObject({ state: "resolved", resolvedBy: "admin" });
  });

  it("dueNotice is a pure function of the alert, the settings and the time", async () => {
    const s = DEFAULT_ALERT_SETTINGS;
    const open = {
      state: "open" as const,
      episodeMs: T0,
      lastNotifiedMs: T0,
      acknowledgedMs: null,
      escalationLevel: 0,
    };
    expect(dueNotice(open, s, T0 + 14 * MIN)).toBeNull();
    expect(dueNotice(open, s, T0 + 15 * MIN)).toEqual({ type: "escalated", level: 1 });
    // A tick that comes late jumps straight to the level now due.
    expect(dueNotice(open, s, T0 + 90 * MIN)).toEqual({ type: "escalated", level: 2 });
    expect(
      dueNotice({ ...open, escalationLevel: 2, lastNotifiedMs: T0 + 60 * MIN }, s, T0 + 75 * MIN),
    ).toEqual({ type: "reminder", level: 2 });
    expect(dueNotice({ ...open, state: "resolved" }, s, T0 + 999 * MIN)).toBeNull();
    const acked = { ...open, state: "acknowledged" as const, acknowledgedMs: T0 + MIN };
    expect(dueNotice(acked, s, T0 + 240 * MIN)).toBeNull();
    expect(dueNotice(acked, s, T0 + 241 * MIN)).toEqual({ type: "reminder", level: 0 });
    expect(dueNotice(acked, { ...s, acknowledgedReminderEveryMin: 0 }, T0 + 9999 * MIN)).toBeNull();
  });
});

describe("settings", () => {
  it("validates once, naming the setting, the value seen and the rule", async () => {
    expect(resolveAlertSettings({ offlineAfterMin: -1 })).toEqual({
      ok: false,
      reason: "alert setting offlineAfterMin: Too small: expected number to be >=0 (got -1)",
    });
    expect(resolveAlertSettings({ escalation: [{ level: 1, label: "staff", afterMin: 5 }] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining("the first level must be level 0 with afterMin 0"),
    });
    expect(
      resolveAlertSettings({
        escalation: [
          { level: 0, label: "donor", afterMin: 0 },
          { level: 1, label: "staff", afterMin: 30 },
          { level: 2, label: "lead", afterMin: 30 },
        ],
      }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining("level 2 after 30 min follows level 1 after 30 min"),
    });
    expect(
      resolveAlertSettings({ delivery: { minBackoffMs: 5000, maxBackoffMs: 1000, timeoutMs: 1000 } }),
    ).toMatchObject({ ok: false });
    expect(() => createTestWorld({ settings: { batteryLowPct: 150 } })).toThrow(
      /alert setting batteryLowPct/,
    );
    expect(DEFAULT_ALERT_SETTINGS.escalation.map((l) => [l.label, l.afterMin])).toEqual([
      ["donor", 0],
      ["staff on duty", 15],
      ["bank lead", 60],
    ]);
  });
});
