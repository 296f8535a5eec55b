import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUnitHistory } from "../../history/unit-history.js";
import { createLogger } from "../../logger.js";
import { createUnitReadings } from "../../readings/unit-readings.js";
import { ADMIN } from "../../registry/caller.js";
import { createBatchVerdicts } from "../../verdicts/batch-verdict.js";
import { createVerdictRefresher } from "../../verdicts/refresher.js";
import { createApi } from "../app.js";
import { createTestApi, MQTT_URL, T0, TEST_TOKEN, type TestApi } from "../test-api.js";
import { probesPlugin } from "./probes.js";

type ApiError = { error: { code: string; message: string } };
type Registered = {
  id: string;
  secret: string;
  mqtt: { url: string; username: string; topic: string };
  unitId: string | null;
  bleMac: string | null;
  warnings: string[];
};
type ProbeBody = {
  id: string;
  unitId: string | null;
  attachedAt: string | null;
  intervalS: number;
  intervalLearned: boolean;
  calibrationOffsetC: number;
};
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestApi;
beforeAll(async () => {
  t = await createTestApi();
});
afterAll(async () => t?.close());

async function unit(name: string): Promise<string> {
  return (await t.api<{ id: string }>("POST", "/api/v1/units", { name, kind: "freezer" })).body.id;
}

describe("probes plugin", () => {
  it("registers a probe, hands its secret to the broker and tells it where to publish", async () => {
    const unitId = await unit("chest freezer");
    const r = await t.api<Registered>("POST", "/api/v1/probes", {
      id: "probe-reg-1",
      unitId,
      intervalS: 120,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: "probe-reg-1",
      mqtt: { url: MQTT_URL, username: "probe-reg-1", topic: "coldtrail/v1/probes/probe-reg-1/readings" },
      unitId,
      bleMac: null,
      warnings: [],
    });
    expect(r.body.secret.length).toBeGreaterThanOrEqual(20);
    expect(t.issued.at(-1)).toEqual({ probeId: "probe-reg-1", secret: r.body.secret });
    expect(t.changedUnits.at(-1)).toBe(unitId);
    expect(t.registry.lookups.secretHashOf("probe-reg-1")).not.toBeNull();
    const got = await t.api<ProbeBody>("GET", "/api/v1/probes/probe-reg-1");
    expect(got.body).toMatchObject({ unitId, attachedAt: iso(T0), intervalS: 120, intervalLearned: false });
  });

  it("refuses a taken id (409), an unknown unit (404) and a malformed id (400)", async () => {
    await t.api("POST", "/api/v1/probes", { id: "probe-dup" });
    const dup = await t.api<ApiError>("POST", "/api/v1/probes", { id: "probe-dup" });
    expect([dup.status, dup.body.error.code]).toEqual([409, "CT_ERR_CONFLICT"]);
    expect(dup.body.error.message).toBe('probe "probe-dup" is already registered; choose another id');
    const noUnit = await t.api<ApiError>("POST", "/api/v1/probes", { unitId: "u_nope" });
    expect([noUnit.status, noUnit.body.error.message]).toEqual([
      404,
      'unit "u_nope" does not exist (or is not yours)',
    ]);
    const badId = await t.api<ApiError>("POST", "/api/v1/probes", { id: "a b" });
    expect([badId.status, badId.body.error.code]).toEqual([400, "CT_ERR_VALIDATION"]);
    expect(badId.body.error.message).toMatch(/id must be 3-64 characters/);
  });

  it("a new secret replaces the old one at the broker", async () => {
    const first = await t.api<Registered>("POST", "/api/v1/probes", { id: "probe-rot" });
    const again = await t.api<Registered>("POST", "/api/v1/probes/probe-rot/secret");
    expect(again.status).toBe(201);
    expect(again.body.secret).not.toBe(first.body.secret);
    expect(t.issued.at(-1)).toEqual({ probeId: "probe-rot", secret: again.body.secret });
    expect((await t.api<ApiError>("POST", "/api/v1/probes/nope-probe/secret")).status).toBe(404);
  });

  it("attaches to a unit (back-dated), announces both units, and refuses a time in the future", async () => {
    const a = await unit("freezer A");
    const b = await unit("freezer B");
    await t.api("POST", "/api/v1/probes", { id: "probe-move", unitId: a });
    t.setNow(T0 + 60 * MIN);
    const moved = await t.api<ProbeBody>("PUT", "/api/v1/probes/probe-move/unit", {
      unitId: b,
      at: iso(T0 + 30 * MIN),
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ unitId: b, attachedAt: iso(T0 + 30 * MIN) });
    expect(t.changedUnits.slice(-2).sort()).toEqual([a, b].sort());
    const future = await t.api<ApiError>("PUT", "/api/v1/probes/probe-move/unit", {
      unitId: a,
      at: iso(T0 + 70 * MIN),
    });
    expect([future.status, future.body.error]).toEqual([
      400,
      { code: "CT_ERR_BAD_REQUEST", message: "at must not be in the future" },
    ]);
    const detached = await t.api<ProbeBody>("PUT", "/api/v1/probes/probe-move/unit", { unitId: null });
    expect(detached.body.unitId).toBeNull();
  });

  it("serves a probe's raw readings as sent, with their sequence numbers", async () => {
    await t.api("POST", "/api/v1/probes", { id: "probe-raw" });
    await t.write([
      { probeId: "probe-raw", tsMs: T0 - 2 * MIN, tempC: -18.5, seq: 7, serverTimed: false },
      { probeId: "probe-raw", tsMs: T0 - MIN, tempC: -18.25, seq: null, serverTimed: true },
    ]);
    const r = await t.api<{ probeId: string; readings: unknown[] }>(
      "GET",
      "/api/v1/probes/probe-raw/readings",
    );
    expect(r.status).toBe(200);
    expect(r.body.readings).toEqual([
      { ts: iso(T0 - 2 * MIN), temp_c: -18.5, seq: 7 },
      { ts: iso(T0 - MIN), temp_c: -18.25, seq: null },
    ]);
  });

  it("warns when a BLE sensor cannot read freezer temperatures, and normalises its MAC", async () => {
    const lcd = await t.api<Registered>("POST", "/api/v1/probes", {
      bleMac: "a4-c1-38-00-00-01",
      bleFormat: "pvvx",
    });
    expect(lcd.status).toBe(201);
    expect(lcd.body.bleMac).toBe("A4:C1:38:00:00:01");
    expect(lcd.body.warnings.join(" ")).toMatch(/cannot read freezer temperatures/);
  });

  it("learns the interval of a probe registered without one, and says so", async () => {
    await t.api("POST", "/api/v1/probes", { id: "probe-learn" });
    const fresh = await t.api<ProbeBody>("GET", "/api/v1/probes/probe-learn");
    // No readings yet: the firmware's default of one a minute.
    expect([fresh.body.intervalS, fresh.body.intervalLearned]).toEqual([60, true]);
    await t.write(
      Array.from({ length: 12 }, (_, i) => ({
        probeId: "probe-learn",
        tsMs: T0 - (12 - i) * 5 * MIN,
        tempC: -19 + (i % 2) * 0.25,
        seq: i,
        serverTimed: false,
      })),
    );
    const learned = await t.api<ProbeBody>("GET", "/api/v1/probes/probe-learn");
    expect([learned.body.intervalS, learned.body.intervalLearned]).toEqual([300, true]);
    const list = await t.api<{ probes: ProbeBody[] }>("GET", "/api/v1/probes");
    expect(list.body.probes.find((p) => p.id === "probe-learn")?.intervalS).toBe(300);
  });

  it("corrects a probe's calibration: the batch's excursion goes, the unit reads the corrected value, stored verdicts follow", async () => {
    t.setNow(T0);
    const unitId = await unit("calibrated freezer");
    await t.api("POST", "/api/v1/probes", { id: "probe-warm", unitId });
    // The probe has been in the freezer for 3 hours reading about −17.5 °C: above the −18 °C line.
    const cycle = [-17.3, -17.5, -17.7, -17.5];
    await t.write(
      Array.from({ length: 3 * 60 }, (_, i) => ({
        probeId: "probe-warm",
        tsMs: T0 - 3 * 60 * MIN + i * MIN,
        tempC: cycle[i % 4] as number,
        seq: i,
        serverTimed: false,
      })),
    );
    await t.registry.probes.attach(ADMIN, "probe-warm", unitId, T0 - 3 * 60 * MIN, T0);
    const placed = await t.api<{ id: string }>("POST", "/api/v1/batches", {
      unitId,
      expressedAt: iso(T0 - 4 * 60 * MIN),
      at: iso(T0 - 3 * 60 * MIN + 30 * MIN),
      state: "frozen",
    });
    const batchId = placed.body.id;
    type BatchBody = { verdict: string; reasons: { code: string }[] };
    const before = await t.api<BatchBody>("GET", `/api/v1/batches/${batchId}`);
    expect(before.body.reasons.map((r) => r.code)).toContain("excursion");
    expect(before.body.verdict).not.toBe("safe");

    // A refresher as the server runs one, keeping stored verdicts current.
    const log = createLogger("silent");
    const { probes, batches, units } = t.registry;
    const batchVerdicts = createBatchVerdicts({
      batches,
      units,
      history: createUnitHistory({
        probes,
        unitReadings: createUnitReadings(probes, t.store, probes.calibrationOf),
      }),
    });
    const refresher = createVerdictRefresher({
      batches,
      probes,
      batchVerdicts,
      log,
      now: t.now,
      debounceMs: 0,
    });
    await batchVerdicts.compute(await batches.get(ADMIN, batchId), T0);
    const stored = () =>
      (t.db.prepare("SELECT verdict FROM batch WHERE id = ?").pluck().get(batchId) as string | undefined) ??
      null;
    expect(stored()).not.toBe("safe");

    const patched = await t.api<ProbeBody>("PATCH", "/api/v1/probes/probe-warm", {
      calibrationOffsetC: -1.0,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: "probe-warm", calibrationOffsetC: -1, unitId });
    await refresher.settled();
    expect(stored()).toBe("safe");
    await refresher.stop();

    const after = await t.api<BatchBody>("GET", `/api/v1/batches/${batchId}`);
    expect(after.body.reasons.map((r) => r.code)).not.toContain("excursion");
    expect(after.body.verdict).toBe("safe");
    const u = await t.api<{ lastReading: { temp_c: number } | null }>("GET", `/api/v1/units/${unitId}`);
    expect(u.body.lastReading?.temp_c).toBe(-18.5);
    expect(
      t.registry.audit.forEntity("probe", "probe-warm").find((a) => a.action === "probe.calibrated")?.details,
    ).toEqual({ offsetC: -1, previousOffsetC: 0 });
  });

  it("refuses a calibration offset outside −10…10 °C or not a number, naming the limits", async () => {
    await t.api("POST", "/api/v1/probes", { id: "probe-cal-bad" });
    for (const calibrationOffsetC of [10.5, -11, "1"]) {
      const r = await t.api<ApiError>("PATCH", "/api/v1/probes/probe-cal-bad", { calibrationOffsetC });
      expect([r.status, r.body.error.code]).toEqual([400, "CT_ERR_VALIDATION"]);
    }
    const r = await t.api<ApiError>("PATCH", "/api/v1/probes/probe-cal-bad", { calibrationOffsetC: 12 });
    expect(r.body.error.message).toContain("between −10 and 10 °C");
    const none = await t.api<ApiError>("PATCH", "/api/v1/probes/probe-nope", { calibrationOffsetC: 1 });
    expect(none.status).toBe(404);
    const still = await t.api<ProbeBody>("GET", "/api/v1/probes/probe-cal-bad");
    expect(still.body.calibrationOffsetC).toBe(0);
  });

  it("lets only staff and admins correct a calibration: a donor gets 403 and the offset stays", async () => {
    await t.api("POST", "/api/v1/probes", { id: "probe-donor" });
    // The same plugin, with the caller made a donor after authentication (accounts are not wired yet).
    const app = await createApi({ log: createLogger("silent"), adminToken: TEST_TOKEN });
    app.addHook("onRequest", async (req) => {
      req.caller = { accountId: "admin", role: "donor", siteId: null };
    });
    await app.register(probesPlugin, {
      probes: t.registry.probes,
      store: t.store,
      log: createLogger("silent"),
      publicMqttUrl: () => MQTT_URL,
      issueProbeCredentials: async () => ({ ok: true }),
      liveOf: t.registry.live.view,
      onUnitChanged: () => {},
      now: t.now,
    });
    await app.ready();
    try {
      const r = await app.inject({
        method: "PATCH",
        url: "/api/v1/probes/probe-donor",
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
        payload: { calibrationOffsetC: 2 },
      });
      expect([r.statusCode, r.json().error.code]).toEqual([403, "CT_ERR_FORBIDDEN"]);
      expect(r.json().error.message).toBe(
        "only milk-bank staff or an admin may correct a probe's calibration",
      );
    } finally {
      await app.close();
    }
    expect(t.registry.probes.calibrationOf("probe-donor")).toBe(0);
  });
});
