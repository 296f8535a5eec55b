import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN } from "../../registry/caller.js";
import { createTestApi, T0, type TestApi } from "../test-api.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestApi;
let code: string;
let endedCode: string;
let ids: string[];
beforeAll(async () => {
  t = await createTestApi();
  const unit = await t.registry.units.create(
    ADMIN,
    { name: "Smith family freezer", kind: "freezer" },
    T0 - 48 * HOUR,
  );
  const bag = await t.registry.units.create(
    ADMIN,
    { name: "Smith cool bag", kind: "cool-bag" },
    T0 - 48 * HOUR,
  );
  const { probe } = await t.registry.probes.create(
    ADMIN,
    { id: "probe-smith-1", unitId: unit.id },
    T0 - 48 * HOUR,
  );
  await t.write(
    Array.from({ length: 6 * 60 }, (_, i) => ({
      probeId: probe.id,
      tsMs: T0 - 6 * HOUR + i * MIN,
      tempC: -19,
      seq: i,
      serverTimed: false,
    })),
  );
  const batch = await t.registry.batches.create(
    ADMIN,
    {
      unitId: unit.id,
      expressedAtMs: T0 - 7 * HOUR,
      atMs: T0 - 6 * HOUR,
      state: "frozen",
      donorRef: "donor-smith",
    },
    T0,
  );
  await t.registry.batches.move(ADMIN, batch.id, { unitId: bag.id, atMs: T0 - HOUR }, T0);
  // Two reviews: the one staff chose to show, then a later staff-only note.
  await t.registry.batches.review(
    ADMIN,
    batch.id,
    "release",
    "Checked by the milk bank: fine to use.",
    T0,
    true,
  );
  await t.registry.batches.review(ADMIN, batch.id, "hold", "Staff only: call Mrs Smith first", T0 + 1, false);
  code = batch.code;
  const fed = await t.registry.batches.create(
    ADMIN,
    { unitId: unit.id, expressedAtMs: T0 - 6 * HOUR, atMs: T0 - 5 * HOUR, state: "frozen" },
    T0,
  );
  await t.registry.batches.move(ADMIN, fed.id, { unitId: null, atMs: T0 - 2 * HOUR, how: "fed" }, T0);
  endedCode = fed.code;
  ids = [unit.id, bag.id, probe.id, batch.id, fed.id, "donor-smith", "Smith", "admin", "bootstrap admin"];
});
afterAll(async () => t?.close());

describe("passports plugin", () => {
  it("is public and tells a recipient the verdict and history without naming donor, units or probes", async () => {
    const res = await t.app.inject({ method: "GET", url: `/api/v1/passports/${code}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    for (const secret of ids) expect([secret, res.body.includes(secret)]).toEqual([secret, false]);
    const p = res.json() as {
      code: string;
      verdict: string;
      custody: { kind: string; site: string | null; from: string; to: string | null }[];
      readings: { ts: string; temp_c: number }[];
      readingsEvery: string | null;
      profiles: { id: string }[];
    };
    expect(p.code).toBe(code);
    expect(p.custody).toEqual([
      { kind: "freezer", site: "household", from: iso(T0 - 6 * HOUR), to: iso(T0 - HOUR) },
      { kind: "cool-bag", site: "household", from: iso(T0 - HOUR), to: null },
    ]);
    // Five hours of readings in the freezer (the bag has no probe: no readings, and no "safe").
    expect(p.readings).toHaveLength(5 * 60);
    expect(p.readings[0]).toEqual({ ts: iso(T0 - 6 * HOUR), temp_c: -19 });
    expect(p.readingsEvery).toBeNull();
    expect(p.verdict).not.toBe("safe");
    expect(p.profiles.map((x) => x.id)).toEqual(["home-freezer", "cool-bag"]);
  });

  it("words the summary, reasons and expression date for the reader's zone, without rule ids or the minute", async () => {
    type Passport = {
      expressedOn: string;
      expressedAt: string;
      summary: { headline: string; useBy: string | null; lines: string[] };
      reasons: { code: string; rule: string; message: string }[];
      review: { decision: string; comment: string; at: string } | null;
      monitoringEndedAt: string | null;
    };
    const la = await t.app.inject({ method: "GET", url: `/api/v1/passports/${code}?tz=America/Los_Angeles` });
    expect(la.statusCode).toBe(200);
    const p = la.json() as Passport;
    // Expressed 3 May 05:00 UTC = 2 May 22:00 PDT: the day only, its start in that zone.
    expect([p.expressedOn, p.expressedAt]).toEqual(["2026-05-02", "2026-05-02T07:00:00.000Z"]);
    expect(p.summary.lines).toContain("Expressed on 2 May 2026.");
    expect(p.summary.headline.length).toBeGreaterThan(0);
    expect(la.body).not.toContain(iso(T0 - 7 * HOUR)); // the minute of expressing is nowhere
    expect(p.reasons.length).toBeGreaterThan(0);
    for (const r of p.reasons) {
      expect(r.rule.length).toBeGreaterThan(0); // kept for compatibility...
      expect(r.message).not.toContain(r.rule); // ...but never in the words
      expect(r.message).not.toMatch(/\b[A-Z]{2}-\d|§|mean kinetic|UTC/i);
    }
    const text = [p.summary.headline, ...p.summary.lines, ...p.reasons.map((r) => r.message)].join("\n");
    expect(text).toMatch(/PDT/);
    expect(text).not.toContain("22:00");
    expect(p.monitoringEndedAt).toBeNull();

    const utc = (await t.app.inject({ method: "GET", url: `/api/v1/passports/${code}` })).json() as Passport;
    expect([utc.expressedOn, utc.expressedAt]).toEqual(["2026-05-03", "2026-05-03T00:00:00.000Z"]);
    const bad = await t.app.inject({ method: "GET", url: `/api/v1/passports/${code}?tz=Mars/Olympus` });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, "CT_ERR_VALIDATION"]);
  });

  it("shows only the latest review staff chose to show, without who wrote it", async () => {
    const res = await t.app.inject({ method: "GET", url: `/api/v1/passports/${code}` });
    const p = res.json() as { review: { decision: string; comment: string; at: string } | null };
    expect(p.review).toEqual({
      decision: "release",
      comment: "Checked by the milk bank: fine to use.",
      at: iso(T0),
    });
    expect(res.body).not.toContain("Staff only");
    expect(res.body).not.toContain("call Mrs");
  });

  it("says when monitoring ended for a batch that left custody", async () => {
    const res = await t.app.inject({ method: "GET", url: `/api/v1/passports/${endedCode}?tz=Europe/London` });
    expect(res.statusCode).toBe(200);
    const p = res.json() as {
      monitoringEndedAt: string | null;
      review: unknown;
      summary: { lines: string[] };
    };
    expect(p.monitoringEndedAt).toBe(iso(T0 - 2 * HOUR));
    expect(p.review).toBeNull();
    expect(p.summary.lines.join(" ")).toContain("Monitoring ended at 3 May 2026, 11:00 BST");
    for (const secret of ids) expect([secret, res.body.includes(secret)]).toEqual([secret, false]);
  });

  it("answers 404 for a code that does not exist and 400 for one that cannot be a code", async () => {
    const none = await t.app.inject({ method: "GET", url: "/api/v1/passports/ZZZZZZZZZZZZ" });
    expect([none.statusCode, none.json()]).toEqual([
      404,
      {
        error: {
          code: "CT_ERR_NOT_FOUND",
          message: 'passport "ZZZZZZZZZZZZ" does not exist (or is not yours)',
        },
      },
    ]);
    const bad = await t.app.inject({ method: "GET", url: "/api/v1/passports/no!" });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, "CT_ERR_VALIDATION"]);
  });
});
