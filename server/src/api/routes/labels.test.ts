import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN } from "../../registry/caller.js";
import { PASSPORT_PER_MINUTE } from "../rate-limits.js";
import { createTestApi, T0, type TestApi } from "../test-api.js";

let t: TestApi;
let code: string;
beforeAll(async () => {
  t = await createTestApi();
  const unit = await t.registry.units.create(ADMIN, { name: "Label test freezer", kind: "freezer" }, T0);
  code = (
    await t.registry.batches.create(
      ADMIN,
      { unitId: unit.id, expressedAtMs: T0 - 3_600_000, atMs: T0, state: "frozen" },
      T0,
    )
  ).code;
});
afterAll(async () => t?.close());

describe("GET /api/v1/passports/{code}/qr.svg", () => {
  it("answers an SVG image to anyone, without a token, cached by the browser only", async () => {
    const res = await t.app.inject({ method: "GET", url: `/api/v1/passports/${code}/qr.svg` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/svg+xml; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("private, max-age=86400");
    expect(res.body.startsWith("<svg")).toBe(true);
    expect(res.body).toContain('xmlns="http://www.w3.org/2000/svg"');
    // No donor data rides along: the image is a path of dark modules on white, nothing else.
    expect(res.body).not.toContain("Label test freezer");
  });

  it("answers the same image for the code in lower case (codes are case-blind)", async () => {
    const upper = await t.app.inject({ method: "GET", url: `/api/v1/passports/${code}/qr.svg` });
    const lower = await t.app.inject({
      method: "GET",
      url: `/api/v1/passports/${code.toLowerCase()}/qr.svg`,
    });
    expect(lower.statusCode).toBe(200);
    expect(lower.body).toBe(upper.body);
  });

  it("answers 404 in the API's error shape for an unknown code, 400 for a malformed one", async () => {
    const unknown = await t.app.inject({ method: "GET", url: "/api/v1/passports/ZZZZZZZZZZZZZ/qr.svg" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe("CT_ERR_NOT_FOUND");
    expect(String(unknown.headers["cache-control"] ?? "")).not.toContain("max-age");
    const bad = await t.app.inject({ method: "GET", url: "/api/v1/passports/a-b/qr.svg" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("CT_ERR_VALIDATION");
  });

  it(`is limited like the passport: ${PASSPORT_PER_MINUTE} a minute per address, then 429`, async () => {
    const at = { remoteAddress: "203.0.113.77" };
    const statuses: number[] = [];
    for (let i = 0; i <= PASSPORT_PER_MINUTE; i++) {
      const res = await t.app.inject({ method: "GET", url: "/api/v1/passports/ZZZZZZZZZZZZZ/qr.svg", ...at });
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, PASSPORT_PER_MINUTE).every((s) => s === 404)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
