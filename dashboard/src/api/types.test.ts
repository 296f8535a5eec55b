import { jsonSchemaTransform } from "fastify-type-provider-zod";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import * as S from "../../../server/src/api/schemas/index.js";
import { createTestApi, type TestApi } from "../../../server/src/api/test-api.js";
import type {
  Alert,
  AlertList,
  AuditList,
  BatchDetail,
  BatchList,
  DeadLetterList,
  NotifyChoices,
  NotifyTestResult,
  Passport,
  ProbeDetail,
  ReviewCreated,
  UnitDetail,
  UnitList,
  UnitReadings,
} from "./types.js";

/** Each response type the dashboard's client reads: the route and status it comes from, and its schema. */
const ROUTES: [type: string, method: string, path: string, status: number, schema: z.ZodType][] = [
  ["UnitList", "get", "/api/v1/units", 200, S.unitList],
  ["UnitDetail", "get", "/api/v1/units/{id}", 200, S.unitDetail],
  ["UnitReadings", "get", "/api/v1/units/{id}/readings", 200, S.unitReadings],
  ["BatchList", "get", "/api/v1/batches", 200, S.batchList],
  ["BatchDetail", "get", "/api/v1/batches/{id}", 200, S.batchDetail],
  ["AuditList", "get", "/api/v1/batches/{id}/audit", 200, S.auditList],
  ["ReviewCreated", "post", "/api/v1/batches/{id}/reviews", 201, S.reviewCreated],
  ["Passport", "get", "/api/v1/passports/{code}", 200, S.passport],
  ["ProbeDetail", "get", "/api/v1/probes/{id}", 200, S.probeDetail],
  ["AlertList", "get", "/api/v1/alerts", 200, S.alertList],
  ["Alert", "post", "/api/v1/alerts/{id}/ack", 200, S.alertView],
  ["DeadLetterList", "get", "/api/v1/deadletters", 200, S.deadLetterList],
  ["NotifyChoices", "get", "/api/v1/me/notifications", 200, S.notifyChoices],
  ["NotifyChoices", "put", "/api/v1/me/notifications", 200, S.notifyChoices],
  ["NotifyTestResult", "post", "/api/v1/me/notifications/test", 200, S.notifyTestResult],
  ["PushKey", "get", "/api/v1/push/key", 200, S.pushKey],
  ["PushSubscriptionCreated", "post", "/api/v1/push/subscriptions", 201, S.pushSubscriptionCreated],
];

/** The JSON Schema the OpenAPI document holds for a response schema, without prose. */
function documented(schema: z.ZodType): unknown {
  const out = jsonSchemaTransform({
    schema: { response: { 200: schema } },
    url: "/",
    openapiObject: { openapi: "3.0.3" },
  } as never) as { schema: { response: Record<string, unknown> } };
  return withoutDescriptions(out.schema.response[200]);
}

function withoutDescriptions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutDescriptions);
  if (!v || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => k !== "description")
      .map(([k, x]) => [k, withoutDescriptions(x)]),
  );
}

let t: TestApi;
beforeAll(async () => {
  t = await createTestApi();
});
afterAll(async () => t?.close());

describe("the dashboard's API types", () => {
  it("are the server's response schemas (checked by the type checker)", () => {
    expectTypeOf<UnitList>().toEqualTypeOf<z.output<typeof S.unitList>>();
    expectTypeOf<UnitDetail>().toEqualTypeOf<z.output<typeof S.unitDetail>>();
    expectTypeOf<UnitReadings>().toEqualTypeOf<z.output<typeof S.unitReadings>>();
    expectTypeOf<BatchList>().toEqualTypeOf<z.output<typeof S.batchList>>();
    expectTypeOf<BatchDetail>().toEqualTypeOf<z.output<typeof S.batchDetail>>();
    expectTypeOf<AuditList>().toEqualTypeOf<z.output<typeof S.auditList>>();
    expectTypeOf<ReviewCreated>().toEqualTypeOf<z.output<typeof S.reviewCreated>>();
    expectTypeOf<Passport>().toEqualTypeOf<z.output<typeof S.passport>>();
    expectTypeOf<ProbeDetail>().toEqualTypeOf<z.output<typeof S.probeDetail>>();
    expectTypeOf<AlertList>().toEqualTypeOf<z.output<typeof S.alertList>>();
    expectTypeOf<Alert>().toEqualTypeOf<z.output<typeof S.alertView>>();
    expectTypeOf<DeadLetterList>().toEqualTypeOf<z.output<typeof S.deadLetterList>>();
    expectTypeOf<NotifyChoices>().toEqualTypeOf<z.output<typeof S.notifyChoices>>();
    expectTypeOf<NotifyTestResult>().toEqualTypeOf<z.output<typeof S.notifyTestResult>>();
  });

  it("agree with what /api/openapi.json says each route answers", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/api/openapi.json" })).json() as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
      >;
    };
    for (const [type, method, path, status, schema] of ROUTES) {
      const response = doc.paths[path]?.[method]?.responses[String(status)];
      const inDocument = withoutDescriptions(response?.content?.["application/json"]?.schema);
      expect([type, inDocument]).toEqual([type, documented(schema)]);
    }
  });

  it("would notice a route answering another shape", () => {
    expect(documented(S.unitView)).not.toEqual(documented(S.unitDetail));
    expect(documented(S.alertView)).not.toEqual(documented(S.alertDetail));
  });
});
