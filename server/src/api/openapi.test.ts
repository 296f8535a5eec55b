import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
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
