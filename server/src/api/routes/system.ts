import type { Routes } from "../app.js";

export const systemRoutes: Routes = (app, ctx) => {
  // 503 "degraded" while the external broker's ingest is not connected or its journal fails.
  const health = async (_req: unknown, reply: { code(c: number): unknown }) => {
    const ingest = ctx.ingestHealth?.();
    if (ingest && !ingest.ok) reply.code(503);
    return {
      status: ingest && !ingest.ok ? "degraded" : "ok",
      store: ctx.store.name,
      journalDepth: ctx.journal.depth(),
      storeBackoffMs: ctx.forwarder.backoffMs,
      storeLagMs: ctx.forwarder.lagMs,
      ...(ingest && { ingest }),
      ...(ingest && !ingest.ok && { degraded: [{ component: ingest.component, reason: ingest.reason }] }),
    };
  };
  app.get("/healthz", { schema: { hide: true } }, health);
  app.get("/api/v1/healthz", health);
  const metrics = async (_req: unknown, reply: { type(t: string): unknown }) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  };
  app.get("/metrics", { schema: { hide: true } }, metrics);
  app.get("/api/v1/metrics", { schema: { hide: true } }, metrics);
};
