import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { ADMIN } from "../../registry/caller.js";
import type { batchDetail } from "../schemas/batches.js";
import { createTestApi, PUBLIC_URL, T0, type TestApi } from "../test-api.js";

type ApiError = { error: { code: string; message: string } };
type Detail = z.output<typeof batchDetail>;
const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestApi;
let unitId: string;
let otherUnitId: string;
beforeAll(async () => {
  t = await createTestApi();
  unitId = (await t.registry.units.create(ADMIN, { name: "donor freezer", kind: "freezer" }, T0 - 48 * HOUR))
    .id;
  otherUnitId = (
    await t.registry.units.create(
      ADMIN,
      { name: "bank freezer", kind: "freezer", site: "milk-bank" },
      T0 - 48 * HOUR,
    )
  ).id;
  const { probe } = await t.registry.probes.create(ADMIN, { unitId }, T0 - 48 * HOUR);
  // A freezer cycling between -18.5 and -18.3125 °C, a reading a minute, for the last day (a flat
  // line for 6 h would be a stuck probe).
  await t.write(
    Array.from({ length: 24 * 60 }, (_, i) => ({
      probeId: probe.id,
      tsMs: T0 - 24 * HOUR + i * MIN,
      tempC: -18.5 + (i % 4) / 16,
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
    expect(r.body.stats).toMatchObject({ minC: -18.5, maxC: -18.3125 });
    expect(r.body.custody).toEqual([
      {
        unitId,
        unitName: "donor freezer",
        unitKind: "freezer",
        from: iso(T0 - 20 * HOUR),
        to: null,
        leftHow: null,
      },
    ]);
    expect(r.body.monitoringEndedAt).toBeNull();
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
    const left = await t.api<Detail>("POST", `/api/v1/batches/${b.id}/moves`, {
      unitId: null,
      at: iso(T0 - 2 * HOUR),
      how: "handed-over",
    });
    expect([left.status, left.body.monitoringEndedAt, left.body.custody.at(-1)?.leftHow]).toEqual([
      200,
      iso(T0 - 2 * HOUR),
      "handed-over",
    ]);
    const again = await t.api<ApiError>("POST", `/api/v1/batches/${b.id}/moves`, { unitId: null });
    expect([again.status, again.body.error.message]).toEqual([
      409,
      `batch "${b.id}" left custody already (${iso(T0 - 2 * HOUR)}); move it into a unit first`,
    ]);
    const before = await t.api<ApiError>("POST", `/api/v1/batches/${b.id}/moves`, {
      unitId,
      at: iso(T0 - 3 * HOUR),
    });
    expect(before.status).toBe(409);
    // It may come back into custody later; the time away is unmonitored.
    const back = await t.api<Detail>("POST", `/api/v1/batches/${b.id}/moves`, { unitId, at: iso(T0 - HOUR) });
    expect([back.status, back.body.monitoringEndedAt, back.body.custody.map((c) => c.to)]).toEqual([
      200,
      null,
      [iso(T0 - 2 * HOUR), null],
    ]);
    const future = await t.api<ApiError>("POST", `/api/v1/batches/${b.id}/moves`, {
      unitId: otherUnitId,
      at: "9999-01-01T00:00:00Z",
    });
    expect([future.status, future.body.error.code]).toEqual([400, "CT_ERR_BAD_REQUEST"]);
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
      byName: "bootstrap admin",
      at: iso(T0),
      showToRecipient: false,
    });
    const audit = await t.api<{ audit: { action: string; actorName: string | null }[] }>(
      "GET",
      `/api/v1/batches/${b.id}/audit`,
    );
    expect(audit.body.audit.map((a) => [a.action, a.actorName])).toEqual([
      ["batch.created", "bootstrap admin"],
      ["batch.reviewed", "bootstrap admin"],
    ]);
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
