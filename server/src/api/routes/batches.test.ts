import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN } from "../../registry/caller.js";
import { createTestApi, PUBLIC_URL, T0, type TestApi } from "../test-api.js";

type ApiError = { error: { code: string; message: string } };
type Detail = {
  id: string;
  code: string;
  passportUrl: string;
  verdict: string;
  state: string;
  reasons: { code: string; band: string; rule: string }[];
  stats: { monitoredPct: number; minC: number | null; maxC: number | null };
  review: { decision: string; comment: string; by: string } | null;
  reviews: unknown[];
  custody: { unitId: string | null; unitName: string | null; unitKind: string | null; to: string | null }[];
  profiles: { unitId: string; profile: { id: string } }[];
};
const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestApi;
let unitId: string;
let otherUnitId: string;
beforeAll(async () => {
  t = await createTestApi();
  unitId = t.registry.units.create(ADMIN, { name: "donor freezer", kind: "freezer" }, T0 - 48 * HOUR).id;
  otherUnitId = t.registry.units.create(
    ADMIN,
    { name: "bank freezer", kind: "freezer", site: "milk-bank" },
    T0 - 48 * HOUR,
  ).id;
  const { probe } = t.registry.probes.create(ADMIN, { unitId }, T0 - 48 * HOUR);
  // A freezer holding -18 °C, a reading a minute, for the last day.
  await t.write(
    Array.from({ length: 24 * 60 }, (_, i) => ({
      probeId: probe.id,
      tsMs: T0 - 24 * HOUR + i * MIN,
      tempC: -18,
      seq: i,
      serverTimed: false,
    })),
  );
});
afterAll(async () => t?.close());

async function frozenBatch(at = T0 - 20 * HOUR): Promise<{ id: string; code: string; passportUrl: string }> {
  const r = await t.api<{ id: string; code: string; passportUrl: string }>("POST", "/api/v1/batches", {
    unitId,
    expressedAt: iso(at - HOUR),
    at: iso(at),
    state: "frozen",
    volumeMl: 120,
    donorRef: "donor-42",
  });
  expect(r.status).toBe(201);
  return r.body;
}

describe("batches plugin", () => {
  it("places a batch and gives its passport link", async () => {
    const b = await frozenBatch();
    expect(b.passportUrl).toBe(`${PUBLIC_URL}/p/${b.code}`);
    expect(b.code).toMatch(/^[0-9A-Z]{8,32}$/);
  });

  it("a frozen batch in a freezer that held -18 °C is safe, with its custody and the profile it used", async () => {
    const b = await frozenBatch();
    const r = await t.api<Detail>("GET", `/api/v1/batches/${b.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ verdict: "safe", state: "frozen", review: null, reviews: [] });
    expect(r.body.stats).toMatchObject({ minC: -18, maxC: -18 });
    expect(r.body.custody).toEqual([
      { unitId, unitName: "donor freezer", unitKind: "freezer", from: iso(T0 - 20 * HOUR), to: null },
    ]);
    expect(r.body.profiles.map((p) => [p.unitId, p.profile.id])).toEqual([[unitId, "home-freezer"]]);
  });

  it("with no readings where it went, the verdict leans to check, never safe", async () => {
    const b = await frozenBatch();
    const moved = await t.api<Detail>("POST", `/api/v1/batches/${b.id}/moves`, {
      unitId: otherUnitId,
      at: iso(T0 - 10 * HOUR),
    });
    expect(moved.status).toBe(200);
    expect(moved.body.verdict).toBe("check");
    expect(moved.body.custody.map((c) => [c.unitId, c.to])).toEqual([
      [unitId, iso(T0 - 10 * HOUR)],
      [otherUnitId, null],
    ]);
    expect(moved.body.reasons.map((r) => r.band)).toContain("check");
  });

  it("refuses moves that cannot happen (409) and batches that do not exist (404)", async () => {
    const b = await frozenBatch();
    const same = await t.api<ApiError>("POST", `/api/v1/batches/${b.id}/moves`, { unitId });
    expect([same.status, same.body.error]).toEqual([
      409,
      { code: "CT_ERR_CONFLICT", message: `batch "${b.id}" is already in unit "${unitId}"` },
    ]);
    expect((await t.api("POST", `/api/v1/batches/${b.id}/moves`, { unitId: null })).status).toBe(200);
    const gone = await t.api<ApiError>("POST", `/api/v1/batches/${b.id}/moves`, { unitId });
    expect([gone.status, gone.body.error.message]).toEqual([
      409,
      `batch "${b.id}" has left custody already; it cannot move again`,
    ]);
    const missing = await t.api<ApiError>("GET", "/api/v1/batches/b_nope");
    expect([missing.status, missing.body.error.message]).toEqual([
      404,
      'batch "b_nope" does not exist (or is not yours)',
    ]);
    const late = await t.api<ApiError>("POST", "/api/v1/batches", {
      unitId,
      expressedAt: iso(T0),
      at: iso(T0 - HOUR),
    });
    expect([late.status, late.body.error.code]).toEqual([400, "CT_ERR_BAD_REQUEST"]);
  });

  it("a staff review stands beside the computed verdict, and both are audited", async () => {
    const b = await frozenBatch();
    const review = await t.api<{ decision: string; by: string; at: string }>(
      "POST",
      `/api/v1/batches/${b.id}/reviews`,
      {
        decision: "hold",
        comment: "label smudged; checking with the donor",
      },
    );
    expect(review.status).toBe(201);
    expect(review.body).toMatchObject({ decision: "hold", by: "admin", at: iso(T0) });
    const detail = await t.api<Detail>("GET", `/api/v1/batches/${b.id}`);
    expect(detail.body.verdict).toBe("safe");
    expect(detail.body.review).toEqual({
      decision: "hold",
      comment: "label smudged; checking with the donor",
      by: "admin",
      at: iso(T0),
    });
    const audit = await t.api<{ audit: { action: string }[] }>("GET", `/api/v1/batches/${b.id}/audit`);
    expect(audit.body.audit.map((a) => a.action)).toEqual(["batch.created", "batch.reviewed"]);
  });

  it("lists batches of a unit, filtered by verdict", async () => {
    const all = await t.api<{ batches: { unitId: string | null; verdict: string }[] }>(
      "GET",
      `/api/v1/batches?unitId=${unitId}`,
    );
    expect(all.status).toBe(200);
    expect(all.body.batches.length).toBeGreaterThanOrEqual(3);
    const safe = await t.api<{ batches: { verdict: string }[] }>(
      "GET",
      `/api/v1/batches?unitId=${unitId}&verdict=safe`,
    );
    expect(safe.body.batches.length).toBeGreaterThan(0);
    expect(new Set(safe.body.batches.map((b) => b.verdict))).toEqual(new Set(["safe"]));
  });
});
