import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ComponentHealth } from "../../broker/external-state.js";
import type { Forwarder } from "../../journal/forwarder.js";
import type { Journal } from "../../journal/journal.js";
import type { Metrics } from "../../metrics.js";
import type { ReadingsStore } from "../../stores/types.js";
import { errorResponses } from "../schemas/common.js";
import { health as healthSchema, metricsText } from "../schemas/system.js";

export interface SystemDeps {
  store: Pick<ReadingsStore, "name">;
  journal: Pick<Journal, "depth">;
  forwarder: Pick<Forwarder, "backoffMs" | "lagMs">;
  metrics: Pick<Metrics, "registry">;
  /** The external broker's ingest health; undefined with the embedded broker. */
  ingestHealth?: (() => ComponentHealth) | undefined;
}

/** Public: health, Prometheus metrics and the OpenAPI document. */
export const systemPlugin: FastifyPluginAsyncZod<SystemDeps> = async (app, ctx) => {
  // 503 "degraded" while the external broker's ingest is not connected or its journal fails.
  const health = async (_req: unknown, reply: { code(c: number): unknown }) => {
    const ingest = ctx.ingestHealth?.();
    const degraded = ingest !== undefined && !ingest.ok;
    if (degraded) reply.code(503);
    return {
      status: degraded ? ("degraded" as const) : ("ok" as const),
      store: ctx.store.name,
      journalDepth: ctx.journal.depth(),
      storeBackoffMs: ctx.forwarder.backoffMs,
      storeLagMs: ctx.forwarder.lagMs,
      ...(ingest && { ingest }),
      ...(degraded && { degraded: [{ component: ingest.component, reason: ingest.reason ?? ingest.state }] }),
    };
  };
  const pub = { auth: "public" } as const;
  const healthResponse = { 200: healthSchema, ...errorResponses, 503: healthSchema };
  app.get("/healthz", { schema: { hide: true, response: healthResponse }, config: pub }, health);
  app.get("/api/v1/healthz", { schema: { security: [], response: healthResponse }, config: pub }, health);
  const metrics = async (_req: unknown, reply: { type(t: string): unknown }) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  };
  const metricsSchema = { hide: true, response: { 200: metricsText } };
  app.get("/metrics", { schema: metricsSchema, config: pub }, metrics);
  app.get("/api/v1/metrics", { schema: metricsSchema, config: pub }, metrics);
  app.get("/api/openapi.json", { schema: { hide: true }, config: pub }, async () => app.swagger());
};
