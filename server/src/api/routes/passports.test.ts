import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN } from "../../registry/caller.js";
import { createTestApi, T0, type TestApi } from "../test-api.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestApi;
let code: string;
let ids: string[];
beforeAll(async () => {
  t = await createTestApi();
  const unit = t.registry.units.create(
    ADMIN,
    { name: "Smith family freezer", kind: "freezer" },
    T0 - 48 * HOUR,
  );
  const bag = t.registry.units.create(ADMIN, { name: "Smith cool bag", kind: "cool-bag" }, T0 - 48 * HOUR);
  const { probe } = t.registry.probes.create(ADMIN, { id: "probe-smith-1", unitId: unit.id }, T0 - 48 * HOUR);
  await t.write(
    Array.from({ length: 6 * 60 }, (_, i) => ({
      probeId: probe.id,
      tsMs: T0 - 6 * HOUR + i * MIN,
      tempC: -19,
      seq: i,
      serverTimed: false,
    })),
  );
  const batch = t.registry.batches.create(
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
  t.registry.batches.move(ADMIN, batch.id, { unitId: bag.id, atMs: T0 - HOUR }, T0);
  code = batch.code;
  ids = [unit.id, bag.id, probe.id, batch.id, "donor-smith", "Smith", "admin"];
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
