import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { SESSION_COOKIE } from "../accounts/index.js";
import { createLogger } from "../logger.js";
import { createApi } from "./app.js";
import { errorResponses } from "./schemas/common.js";
import { createTestApi, TEST_TOKEN, type TestApi } from "./test-api.js";

type Doc = {
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
  >;
};

let t: TestApi;
beforeAll(async () => {
  t = await createTestApi();
});
afterAll(async () => t?.close());

describe("the OpenAPI document", () => {
  it("gives every route a 2xx response schema and the error shape for 4xx and 5xx", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/api/openapi.json" })).json() as Doc;
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(23);
    const missing = operations
      .filter(({ op }) => {
        const ok = Object.entries(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
        return ok.length === 0 || ok.some(([, r]) => !r.content?.["application/json"]?.schema);
      })
      .map((o) => o.route);
    expect(missing).toEqual([]);
    const withoutErrors = operations
      .filter(({ op }) => !op.responses?.["4XX"] || !op.responses?.["5XX"])
      .map((o) => o.route);
    expect(withoutErrors).toEqual([]);
  });
});

describe("the OpenAPI document's security", () => {
  type SecurityDoc = {
    components: { securitySchemes: Record<string, Record<string, string>> };
    security: Record<string, string[]>[];
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  };
  const load = async () =>
    (await t.app.inject({ method: "GET", url: "/api/openapi.json" })).json() as SecurityDoc;

  it("names the bearer token and the session cookie as alternatives for every route that says nothing", async () => {
    const doc = await load();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.session).toMatchObject({
      type: "apiKey",
      in: "cookie",
      name: SESSION_COOKIE,
    });
    expect(doc.components.securitySchemes.session?.description).toContain("X-CSRF-Token");
    // Two requirement objects: either one (one object with both keys would mean both at once).
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
    expect(doc.paths["/api/v1/units"]?.get).toBeDefined();
    expect(doc.paths["/api/v1/me/export"]?.get).toBeDefined();
    expect(doc.paths["/api/v1/units"]?.get?.security).toBeUndefined();
    expect(doc.paths["/api/v1/me/export"]?.get?.security).toBeUndefined();
  });

  it("marks the alert stream with ?token= too, and the public routes with none", async () => {
    const doc = await load();
    expect(doc.paths["/api/v1/alerts/stream"]?.get?.security).toEqual([
      { bearer: [] },
      { session: [] },
      { queryToken: [] },
    ]);
    expect(doc.components.securitySchemes.queryToken).toMatchObject({
      type: "apiKey",
      in: "query",
      name: "token",
    });
    for (const [path, method] of [
      ["/api/v1/sessions", "post"],
      ["/api/v1/invitations/{token}/accept", "post"],
      ["/api/v1/passports/{code}", "get"],
      ["/api/v1/healthz", "get"],
    ] as const) {
      expect([path, doc.paths[path]?.[method]?.security]).toEqual([path, []]);
    }
    // Every scheme a route names is declared.
    const named = Object.values(doc.paths).flatMap((ops) =>
      Object.values(ops).flatMap((op) => (op.security ?? []).flatMap((r) => Object.keys(r))),
    );
    expect(named.filter((n) => !(n in doc.components.securitySchemes))).toEqual([]);
  });
});

describe("responses are held to their schema", () => {
  it("a route answering a field its schema does not declare is a 500, not a silent leak", async () => {
    const app = await createApi({ log: createLogger("silent"), adminToken: TEST_TOKEN });
    await app.register(async (a) => {
      a.get(
        "/api/v1/leaky",
        { schema: { response: { 200: z.strictObject({ id: z.string() }), ...errorResponses } } },
        async () => ({ id: "u_1", ownerSecret: "do not send" }) as { id: string },
      );
    });
    const res = await app.inject({
      method: "GET",
      url: "/api/v1/leaky",
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: { code: "CT_ERR_INTERNAL", message: "internal error; see the server log" },
    });
    expect(res.body).not.toContain("do not send");
    await app.close();
  });

  it("metrics stay Prometheus text", async () => {
    const res = await t.app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^# HELP coldtrail_/m);
  });
});
