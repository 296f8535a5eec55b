import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Forwarder } from "../../journal/forwarder.js";
import type { Journal } from "../../journal/journal.js";
import type { Metrics } from "../../metrics.js";
import type { ReadingsStore } from "../../stores/types.js";

export interface SystemDeps {
  store: Pick<ReadingsStore, "name">;
  journal: Pick<Journal, "depth">;
  forwarder: Pick<Forwarder, "backoffMs" | "lagMs">;
  metrics: Pick<Metrics, "registry">;
}

/** Public: health, Prometheus metrics and the OpenAPI document. */
export const systemPlugin: FastifyPluginAsyncZod<SystemDeps> = async (app, ctx) => {
  const health = async () => ({
    status: "ok",
    store: ctx.store.name,
    journalDepth: ctx.journal.depth(),
    storeBackoffMs: ctx.forwarder.backoffMs,
    storeLagMs: ctx.forwarder.lagMs,
  });
  const pub = { auth: "public" } as const;
  app.get("/healthz", { schema: { hide: true }, config: pub }, health);
  app.get("/api/v1/healthz", { schema: { security: [] }, config: pub }, health);
  const metrics = async (_req: unknown, reply: { type(t: string): unknown }) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  };
  app.get("/metrics", { schema: { hide: true }, config: pub }, metrics);
  app.get("/api/v1/metrics", { schema: { hide: true }, config: pub }, metrics);
  app.get("/api/openapi.json", { schema: { hide: true }, config: pub }, async () => app.swagger());
};
