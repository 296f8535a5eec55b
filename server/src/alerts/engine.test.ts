import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { ADMIN } from "../registry/caller.js";
import { emailSubject } from "./channels/email.js";
import { createTestWorld, MIN, T0, type TestWorld } from "./test-world.js";
import { alertPayload } from "./view.js";

let w: TestWorld;
afterEach(async () => w?.close());

const kinds = async (world: TestWorld) => (await world.active()).map((a) => `${a.kind}:${a.state}`);

describe("excursions from live readings (home freezer: above −18 °C for more than 30 min)", () => {
  it("opens one critical alert with plain words, resolves it when the freezer is back, all in the audit log", async () => {
    w = createTestWorld({ batchesIn: (unitId) => [`b_${unitId}_1`] });
    const { unitId, probeId } = await w.unitWithProbe("Donor freezer", "freezer", T0);
    await w.run(probeId, T0, T0 + 40 * MIN, -20);
    expect(await w.all()).toEqual([]);
    // Door left open at T0+40: warm for 29 min is not yet an excursion, 31 min is.
    await w.run(probeId, T0 + 40 * MIN, T0 + 70 * MIN, -12.5);
    expect(await w.all()).toEqual([]);
    await w.run(probeId, T0 + 70 * MIN, T0 + 73 * MIN, -12.5);
    const [a] = await w.all();
    expect(a).toMatchObject({
      kind: "excursion",
      state: "open",
      severity: "critical",
      unitId,
      unitName: "Donor freezer",
      batchIds: [`b_${unitId}_1`],
      startedMs: T0 + 40 * MIN,
      title: "Freezer too warm: Donor freezer",
      escalationLevel: 0,
      occurrences: 1,
    });
    expect(a?.message).toContain("warmer than −18 °C since 3 May 2026, 12:40 UTC (last reading −12.5 °C)");
    expect(a?.message).toContain("Check that the door is shut");

    await w.run(probeId, T0 + 73 * MIN, T0 + 80 * MIN, -20);
    const resolved = await w.alerting.store.get(ADMIN, a?.id as string);
    expect(resolved).toMatchObject({ state: "resolved", resolvedBy: "system", resolvedMs: T0 + 73 * MIN });
    expect(resolved.message).toMatch(
      /^Back to normal: "Donor freezer" was out of range from 3 May 2026, 12:40 UTC to 3 May 2026, 13:13 UTC \(33 minutes, warmest −12.5 °C\)/,
    );
    expect(w.audit.forEntity("alert", a?.id as string).map((e) => [e.action, e.actor])).toEqual([
      ["alert.opened", "system"],
      ["alert.resolved", "system"],
    ]);
  });

  it("does not alarm during the settling period after the unit is created and the probe attached", async () => {
    w = createTestWorld();
    const { probeId } = await w.unitWithProbe("New freezer", "freezer", T0);
    // Switched on at 5 °C, it cools 0.5 °C a minute and is below −18.5 °C after 48 min. Settling
    // ignores the first 30 min, so the warm run counts from T0+30: 18 min, no excursion.
    const coolDown = (t: number) => Math.max(-20, 5 - (0.5 * (t - T0)) / MIN);
    await w.run(probeId, T0, T0 + 120 * MIN, coolDown);
    expect(await w.all()).toEqual([]);
    // Without settling the same start would have alarmed.
    const other = createTestWorld({ settings: { settleMin: 0 } });
    const p2 = (await other.unitWithProbe("New freezer", "freezer", T0)).probeId;
    await other.run(p2, T0, T0 + 120 * MIN, coolDown);
    expect((await other.all()).map((a) => a.kind)).toEqual(["excursion"]);
    void other.close();
  });

  it("keeps one alert for a flapping freezer: a quick return reopens it instead of opening another", async () => {
    w = createTestWorld();
    const { probeId } = await w.unitWithProbe("Flappy", "freezer", T0 - 60 * MIN);
    let t = T0;
    for (let i = 0; i < 3; i++) {
      await w.run(probeId, t, t + 35 * MIN, -10);
      await w.run(probeId, t + 35 * MIN, t + 45 * MIN, -20);
      t += 45 * MIN;
    }
    const all = await w.all();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: "excursion", state: "resolved", occurrences: 3 });
    const actions = w.audit.forEntity("alert", all[0]?.id as string).map((e) => e.action);
    expect(actions).toEqual([
      "alert.opened",
      "alert.resolved",
      "alert.reopened",
      "alert.resolved",
      "alert.reopened",
      "alert.resolved",
    ]);
    // The database itself refuses a second unresolved alert for the same (subject, kind).
    const a = all[0] as NonNullable<(typeof all)[number]>;
    expect(() =>
      w.db
        .prepare(
          "INSERT INTO alert (id, kind, subject, state, severity, owner_id, title, message, started_ms, opened_ms, episode_ms, updated_ms) VALUES ('a_x', ?, ?, 'open', 'critical', 'admin', 't', 'm', 0, 0, 0, 0)",
        )
        .run(a.kind, a.subject),
    ).not.toThrow();
    expect(() =>
      w.db
        .prepare(
          "INSERT INTO alert (id, kind, subject, state, severity, owner_id, title, message, started_ms, opened_ms, episode_ms, updated_ms) VALUES ('a_y', ?, ?, 'acknowledged', 'critical', 'admin', 't', 'm', 0, 0, 0, 0)",
        )
        .run(a.kind, a.subject),
    ).toThrow(/UNIQUE/);
  });

  it("opens a new alert when the condition returns after the reopen window", async () => {
    w = createTestWorld();
    const { probeId } = await w.unitWithProbe("Freezer", "freezer", T0 - 60 * MIN);
    await w.run(probeId, T0, T0 + 35 * MIN, -10);
    await w.run(probeId, T0 + 35 * MIN, T0 + 120 * MIN, -20);
    await w.run(probeId, T0 + 120 * MIN, T0 + 160 * MIN, -10);
    expect((await w.all()).map((a) => [a.state, a.occurrences])).toEqual([
      ["open", 1],
      ["resolved", 1],
    ]);
  });

  it("raises probable thaw and refreeze after a long power cut, and a sensor fault for a sentinel reading", async () => {
    w = createTestWorld();
    const { probeId } = await w.unitWithProbe("Cut freezer", "freezer", T0 - 60 * MIN);
    await w.run(probeId, T0, T0 + 10 * MIN, -20);
    await w.run(probeId, T0 + 10 * MIN, T0 + 4 * 60 * MIN, 8);
    expect((await kinds(w)).sort()).toEqual(["excursion:open", "probable-thaw:open"]);
    await w.run(probeId, T0 + 4 * 60 * MIN, T0 + 8 * 60 * MIN, -20);
    expect((await kinds(w)).sort()).toEqual(["probable-thaw:open", "refreeze:open"]);
    const refreeze = (await w.active()).find((a) => a.kind === "refreeze");
    expect(refreeze?.message).toContain("Thawed milk must not be refrozen");
    // DS18B20 power-on value 85 °C is a sentinel, not a temperature.
    await w.reading(probeId, T0 + 8 * 60 * MIN, 85);
    expect(await kinds(w)).toContain("sensor-fault:open");
    await w.run(probeId, T0 + 8 * 60 * MIN + MIN, T0 + 9 * 60 * MIN, -20);
    expect(await kinds(w)).not.toContain("sensor-fault:open");
  });
});

describe("a restart (or an upgrade) keeps what the engine knew", () => {
  it("resumes a running excursion from the monitor state saved in alert_monitor", async () => {
    w = createTestWorld();
    const { unitId, probeId } = await w.unitWithProbe("Freezer", "freezer", T0 - 60 * MIN);
    await w.run(probeId, T0, T0 + 10 * MIN, -20);
    await w.run(probeId, T0 + 10 * MIN, T0 + 30 * MIN, -10); // warm for 20 min: no alert yet
    expect(await w.all()).toEqual([]);
    const saved = w.db.prepare("SELECT profile_key FROM alert_monitor WHERE unit_id = ?").get(unitId);
    expect(saved).toEqual({ profile_key: '["home-freezer",null]' });
    await w.restart();
    // Without the saved state the warm run would count from T0+30 and alarm only after T0+60.
    await w.run(probeId, T0 + 30 * MIN, T0 + 42 * MIN, -10);
    expect((await w.all()).map((a) => [a.kind, a.state, a.startedMs])).toEqual([
      ["excursion", "open", T0 + 10 * MIN],
    ]);
  });

  it("does not raise again what the store already has open", async () => {
    w = createTestWorld();
    const { probeId } = await w.unitWithProbe("Freezer", "freezer", T0, "probe-low");
    w.alerting.onProbeLive(probeId, { batteryPct: 9 });
    await w.alerting.settled();
    w.alerting.onRejected(probeId, "future_ts");
    await w.alerting.settled();
    await w.restart();
    w.alerting.onProbeLive(probeId, { batteryPct: 8 });
    await w.alerting.settled();
    w.alerting.onRejected(probeId, "future_ts");
    await w.alerting.settled();
    expect((await w.all()).map((a) => [a.kind, a.state, a.occurrences]).sort()).toEqual([
      ["battery-low", "open", 1],
      ["clock-skew", "open", 1],
    ]);
    // And clears it when the condition ends.
    w.alerting.onProbeLive(probeId, { batteryPct: 90 });
    await w.alerting.settled();
    expect(await kinds(w)).toEqual(["clock-skew:open"]);
  });
});

describe("probe health", () => {
  it("alerts a probe offline after 15 min of silence, or 2 min after its last will, and clears on the next reading", async () => {
    w = createTestWorld();
    const a = await w.unitWithProbe("Freezer A", "freezer", T0, "probe-a");
    const b = await w.unitWithProbe("Freezer B", "freezer", T0 + 20 * MIN, "probe-b");
    await w.run(a.probeId, T0, T0 + 10 * MIN, -20); // last reading at T0+9
    await w.tickAt(T0 + 23 * MIN);
    expect(await kinds(w)).toEqual([]);
    await w.tickAt(T0 + 24 * MIN);
    expect((await w.active()).map((x) => [x.kind, x.probeId, x.unitId])).toEqual([
      ["probe-offline", "probe-a", a.unitId],
    ]);
    expect((await w.active())[0]?.message).toContain(
      'Probe "probe-a" in "Freezer A" is offline: no reading arrived',
    );
    await w.reading(a.probeId, T0 + 26 * MIN, -20);
    expect(await kinds(w)).toEqual([]);
    expect((await w.all())[0]?.message).toBe(
      'Probe "probe-a" is back: heard again at 3 May 2026, 12:26 UTC.',
    );

    // Probe b: last will (retained offline status) counts after its grace.
    w.setNow(T0 + 27 * MIN);
    await w.reading(b.probeId, T0 + 27 * MIN, -20);
    w.alerting.onProbeLive(b.probeId, { status: "offline" });
    await w.alerting.settled();
    await w.tickAt(T0 + 28 * MIN);
    expect((await w.active()).filter((x) => x.probeId === "probe-b")).toEqual([]);
    await w.tickAt(T0 + 29 * MIN);
    expect((await w.active()).filter((x) => x.probeId === "probe-b").map((x) => x.details.byStatus)).toEqual([
      true,
    ]);
    w.setNow(T0 + 30 * MIN);
    w.alerting.onProbeLive(b.probeId, { status: "online" });
    await w.alerting.settled();
    await w.reading(b.probeId, T0 + 30 * MIN, -20);
    expect((await w.active()).filter((x) => x.probeId === "probe-b")).toEqual([]);
  });

  it("alerts a low battery by battery_pct, or battery_mv when no percentage is sent, with hysteresis", async () => {
    w = createTestWorld();
    const a = await w.unitWithProbe("Freezer", "freezer", T0, "probe-pct");
    const b = await w.unitWithProbe("Fridge", "fridge", T0, "probe-mv");
    w.alerting.onProbeLive(a.probeId, { batteryPct: 21 });
    await w.alerting.settled();
    expect(await kinds(w)).toEqual([]);
    w.alerting.onProbeLive(a.probeId, { batteryPct: 12 });
    await w.alerting.settled();
    expect((await w.active())[0]).toMatchObject({
      kind: "battery-low",
      probeId: "probe-pct",
      unitId: a.unitId,
      title: "Battery low: probe-pct",
    });
    expect((await w.active())[0]?.message).toContain("reports its battery at 12 %");
    w.alerting.onProbeLive(a.probeId, { batteryPct: 22 });
    await w.alerting.settled(); // within the 5-point margin: still low
    expect(await kinds(w)).toEqual(["battery-low:open"]);
    w.alerting.onProbeLive(a.probeId, { batteryPct: 95 });
    await w.alerting.settled(); // new battery
    expect(await kinds(w)).toEqual([]);
    // 3.4 V with a percentage of 80: the percentage wins.
    w.alerting.onProbeLive(b.probeId, { batteryMv: 3200, batteryPct: 80 });
    await w.alerting.settled();
    expect(await kinds(w)).toEqual([]);
    w.alerting.onProbeLive(b.probeId, { batteryMv: 3200 });
    await w.alerting.settled();
    expect((await w.active())[0]?.message).toContain("3.20 V");
  });

  it("alerts a device clock that is off on live messages, not on a replayed buffer", async () => {
    w = createTestWorld();
    const { probeId } = await w.unitWithProbe("Freezer", "freezer", T0 - 60 * MIN, "probe-clock");
    const msg = async (tsMs: number[], receivedMs: number) => {
      w.alerting.onStored(
        tsMs.map((ts) => ({ probeId, tsMs: ts, tempC: -20, seq: null, serverTimed: false, receivedMs })),
      );
      await w.alerting.settled();
    };
    // A replay of 3 buffered readings from an hour ago: not a clock problem.
    w.setNow(T0);
    await msg([T0 - 62 * MIN, T0 - 61 * MIN, T0 - 60 * MIN], T0);
    // One late message is not enough either.
    await msg([T0 - 7 * MIN], T0 + MIN);
    expect(await kinds(w)).toEqual([]);
    // A buffer replayed one reading a message races ahead of the wall clock: still not a clock problem.
    await msg([T0 - 40 * MIN], T0 + MIN + 1000);
    await msg([T0 - 30 * MIN], T0 + MIN + 2000);
    await msg([T0 - 20 * MIN], T0 + MIN + 3000);
    expect(await kinds(w)).toEqual([]);
    // Live messages whose clock keeps pace with the server's but stays 8 minutes behind: a clock off.
    await msg([T0 - 7 * MIN], T0 + MIN);
    await msg([T0 - 6 * MIN], T0 + 2 * MIN);
    await msg([T0 - 5 * MIN], T0 + 3 * MIN);
    expect((await w.active())[0]).toMatchObject({ kind: "clock-skew", probeId });
    expect((await w.active())[0]?.message).toContain("clock is 8 minutes behind the server's");
    await msg([T0 + 4 * MIN], T0 + 4 * MIN);
    expect(await kinds(w)).toEqual([]);
    // Readings refused for being too far ahead are a clock problem too.
    w.alerting.onRejected(probeId, "future_ts");
    await w.alerting.settled();
    expect((await w.active())[0]?.kind).toBe("clock-skew");
  });

  it("alerts a surge of refused messages from one registered probe and clears after a quiet window", async () => {
    w = createTestWorld();
    const { probeId } = await w.unitWithProbe("Freezer", "freezer", T0, "probe-bad");
    for (let i = 0; i < 19; i++) {
      w.setNow(T0 + i * 1000);
      w.alerting.onRejected(probeId, i % 2 ? "invalid" : "not_json");
      await w.alerting.settled();
    }
    w.alerting.onRejected("unregistered-probe", "unknown_probe");
    await w.alerting.settled();
    w.alerting.onRejected(null, "bad_topic");
    await w.alerting.settled();
    expect(await kinds(w)).toEqual([]);
    w.alerting.onRejected(probeId, "invalid");
    await w.alerting.settled();
    expect((await w.active())[0]).toMatchObject({
      kind: "rejected-surge",
      probeId,
      details: { count: 20, reasons: { not_json: 10, invalid: 10 } },
    });
    expect((await w.active())[0]?.message).toContain("GET /api/v1/deadletters?probeId=probe-bad");
    await w.reading(probeId, T0 + 5 * MIN, -20);
    await w.tickAt(T0 + 5 * MIN);
    expect(await kinds(w)).toEqual(["rejected-surge:open"]);
    await w.tickAt(T0 + 11 * MIN);
    expect(await kinds(w)).toEqual([]);
  });
});

describe("batches nearing or past their storage limit (callback from the batches module)", () => {
  it("warns before the limit, turns critical past it, and resolves once the batch is gone from the list", async () => {
    let due = [
      {
        batchId: "b_1",
        code: "K7Q2M",
        unitId: "",
        limit: "frozen",
        band: "check" as const,
        untilMs: T0 + 3 * 86_400_000,
      },
    ];
    w = createTestWorld({ listDueBatches: () => due });
    const { unitId } = await w.unitWithProbe("Bank freezer", "freezer", T0);
    due = due.map((d) => ({ ...d, unitId }));
    await w.tickAt(T0);
    expect(await w.active()).toHaveLength(1);
    expect((await w.active())[0]).toMatchObject({
      kind: "batch-storage-limit",
      severity: "warning",
      batchIds: ["b_1"],
      unitId,
      subject: "batch:b_1",
    });
    expect((await w.active())[0]?.message).toContain(
      'Batch K7Q2M in "Bank freezer" reaches its frozen storage limit at 6 May 2026, 12:00 UTC (in 3 days)',
    );
    await w.tickAt(T0 + 3 * 86_400_000 + MIN);
    const batchAlerts = async () => (await w.active()).filter((a) => a.kind === "batch-storage-limit");
    expect((await batchAlerts()).map((a) => [a.severity, a.occurrences, a.title])).toEqual([
      ["critical", 2, "Batch K7Q2M past its storage limit"],
    ]);
    due = [];
    await w.tickAt(T0 + 3 * 86_400_000 + 10 * MIN);
    expect(await batchAlerts()).toEqual([]);
  });
});

describe("alert words in the server's zone, one calibration for alerts and verdicts", () => {
  it("words an alert raised with COLDTRAIL_TIME_ZONE=America/New_York in EDT (EST in winter), never UTC", async () => {
    const { timeZone } = loadConfig({ COLDTRAIL_DATA_DIR: "/tmp", COLDTRAIL_TIME_ZONE: "America/New_York" });
    w = createTestWorld({ timeZone });
    const { probeId } = await w.unitWithProbe("Donor freezer", "freezer", T0);
    await w.run(probeId, T0, T0 + 40 * MIN, -20);
    await w.run(probeId, T0 + 40 * MIN, T0 + 73 * MIN, -12.5);
    const [a] = await w.all();
    expect(a?.message).toContain("warmer than −18 °C since 3 May 2026, 08:40 EDT");
    expect(a?.message).not.toContain("UTC");
    const payload = alertPayload(a as NonNullable<typeof a>, { id: 1, type: "opened", atMs: T0 }, null);
    expect(emailSubject(payload, timeZone)).toBe(
      "Freezer too warm: Donor freezer — since 3 May 2026, 08:40 EDT, last −12.5 °C",
    );
    // The same alert in January reads EST.
    const winter = { ...payload, startedAt: "2026-01-15T13:40:00.000Z" };
    expect(emailSubject(winter, timeZone)).toContain("15 Jan 2026, 08:40 EST");
  });

  it("applies a probe's calibration correction to alerts from the next reading", async () => {
    w = createTestWorld();
    const { probeId } = await w.unitWithProbe("Bank freezer", "freezer", T0 - 60 * MIN);
    // −17.5 °C is above the freezer's −18 °C line: 35 minutes of it would be an excursion...
    await w.probes.setCalibration(ADMIN, probeId, -1, T0);
    await w.run(probeId, T0, T0 + 45 * MIN, -17.5);
    // ...but the probe reads 1 °C warm: corrected, it is −18.5 °C.
    expect(await w.all()).toEqual([]);
    await w.probes.setCalibration(ADMIN, probeId, 0, T0 + 45 * MIN);
    await w.run(probeId, T0 + 45 * MIN, T0 + 80 * MIN, -17.5);
    expect((await w.all()).map((a) => a.kind)).toEqual(["excursion"]);
  });
});
