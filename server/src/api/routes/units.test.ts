import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN } from "../../registry/caller.js";
import { createTestApi, T0, type TestApi } from "../test-api.js";

type ApiError = { error: { code: string; message: string } };
type UnitBody = {
  id: string;
  profile: string;
  probes: string[];
  openAlerts: number;
  lastReading: { ts: string; temp_c: number; ageS: number } | null;
  resolvedProfile: { id: string; high: { forMin: number }; overrides: Record<string, number> } | null;
};
const MIN = 60_000;

let t: TestApi;
beforeAll(async () => {
  t = await createTestApi();
});
afterAll(async () => t?.close());

describe("units plugin", () => {
  it("creates a unit with the default profile of its kind and site, and announces it", async () => {
    const r = await t.api<UnitBody>("POST", "/api/v1/units", {
      name: "bank freezer",
      kind: "freezer",
      site: "milk-bank",
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      profile: "milk-bank-freezer",
      probes: [],
      openAlerts: 0,
      lastReading: null,
    });
    expect(t.changedUnits).toContain(r.body.id);
    const list = await t.api<{ units: { id: string }[] }>("GET", "/api/v1/units");
    expect(list.body.units.map((u) => u.id)).toContain(r.body.id);
  });

  it("refuses an unknown profile at creation (409) and an unknown unit (404), naming what was wrong", async () => {
    const bad = await t.api<ApiError>("POST", "/api/v1/units", {
      name: "x",
      kind: "freezer",
      profile: "arctic",
    });
    expect(bad.status).toBe(409);
    expect(bad.body.error.code).toBe("CT_ERR_CONFLICT");
    expect(bad.body.error.message).toMatch(/^profile "arctic" is not known; choose one of: .*home-freezer/);
    const missing = await t.api<ApiError>("GET", "/api/v1/units/u_nope");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { code: "CT_ERR_NOT_FOUND", message: 'unit "u_nope" does not exist (or is not yours)' },
    });
  });

  it("PATCH overrides the profile's numbers (shown resolved) and refuses what the profile cannot take", async () => {
    const u = await t.api<UnitBody>("POST", "/api/v1/units", { name: "home freezer", kind: "freezer" });
    const ok = await t.api<UnitBody>("PATCH", `/api/v1/units/${u.body.id}`, {
      profileOverrides: { "high.forMin": 45 },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.resolvedProfile?.high.forMin).toBe(45);
    expect(ok.body.resolvedProfile?.overrides).toEqual({ "high.forMin": 45 });
    const bad = await t.api<ApiError>("PATCH", `/api/v1/units/${u.body.id}`, {
      profileOverrides: { "high.nonsense": 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("CT_ERR_BAD_REQUEST");
    expect(bad.body.error.message).toContain("high.nonsense");
    // The refused change was not stored.
    const after = await t.api<UnitBody>("GET", `/api/v1/units/${u.body.id}`);
    expect(after.body.resolvedProfile?.overrides).toEqual({ "high.forMin": 45 });
    expect(t.registry.audit.forEntity("unit", u.body.id).map((a) => a.action)).toEqual([
      "unit.created",
      "unit.updated",
    ]);
  });

  it("serves a unit's readings with its probe's calibration, raw or in buckets, and the last one with its age", async () => {
    const unit = await t.registry.units.create(ADMIN, { name: "fridge", kind: "fridge" }, T0 - 3 * 60 * MIN);
    const { probe } = await t.registry.probes.create(ADMIN, { unitId: unit.id }, T0 - 3 * 60 * MIN);
    await t.registry.probes.setCalibration(ADMIN, probe.id, 0.5, T0 - 3 * 60 * MIN);
    await t.write(
      Array.from({ length: 120 }, (_, i) => ({
        probeId: probe.id,
        tsMs: T0 - 2 * 60 * MIN + i * MIN,
        tempC: i < 60 ? 3 : 4,
        seq: i,
        serverTimed: false,
      })),
    );
    t.setNow(T0 + 5 * MIN);
    const raw = await t.api<{ readings: { ts: string; temp_c: number; probeId: string }[] }>(
      "GET",
      `/api/v1/units/${unit.id}/readings?from=${new Date(T0 - 2 * 60 * MIN).toISOString()}`,
    );
    expect(raw.status).toBe(200);
    expect(raw.body.readings).toHaveLength(120);
    expect(raw.body.readings[0]).toEqual({
      ts: new Date(T0 - 2 * 60 * MIN).toISOString(),
      temp_c: 3.5,
      probeId: probe.id,
    });
    const hourly = await t.api<{ every: string; readings: { count: number; mean_c: number }[] }>(
      "GET",
      `/api/v1/units/${unit.id}/readings?from=${new Date(T0 - 2 * 60 * MIN).toISOString()}&every=1h`,
    );
    expect(hourly.body.every).toBe("3600s");
    expect(hourly.body.readings.map((b) => [b.count, b.mean_c])).toEqual([
      [60, 3.5],
      [60, 4.5],
    ]);
    const detail = await t.api<UnitBody>("GET", `/api/v1/units/${unit.id}`);
    expect(detail.body.probes).toEqual([probe.id]);
    expect(detail.body.lastReading).toEqual({ ts: new Date(T0 - MIN).toISOString(), temp_c: 4.5, ageS: 360 });
  });

  it("says what is wrong with a range", async () => {
    const u = await t.api<UnitBody>("POST", "/api/v1/units", { name: "bag", kind: "cool-bag" });
    const cases: [string, RegExp][] = [
      ["from=yesterday", /ISO 8601/],
      [`from=${new Date(T0).toISOString()}&to=${new Date(T0 - MIN).toISOString()}`, /from must be before to/],
      ["every=5x", /duration like 30s/],
    ];
    for (const [q, message] of cases) {
      const r = await t.api<ApiError>("GET", `/api/v1/units/${u.body.id}/readings?${q}`);
      expect([q, r.status, r.body.error.code]).toEqual([q, 400, "CT_ERR_VALIDATION"]);
      expect(r.body.error.message).toMatch(message);
    }
  });
});
