import type { Routes } from "../app.js";

export const systemRoutes: Routes = (app, ctx) => {
  const health = async () => ({
    status: "ok",
    store: ctx.store.name,
    journalDepth: ctx.journal.depth(),
    storeBackoffMs: ctx.forwarder.backoffMs,
    storeLagMs: ctx.forwarder.lagMs,
  });
  app.get("/healthz", { schema: { hide: true } }, health);
  app.get("/api/v1/healthz", health);
  const metrics = async (_req: unknown, reply: { type(t: string): unknown }) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  };
  app.get("/metrics", { schema: { hide: true } }, metrics);
  app.get("/api/v1/metrics", { schema: { hide: true } }, metrics);
};
