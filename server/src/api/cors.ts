import type { FastifyInstance } from "fastify";

/**
 * Cross-origin access (issue #14): closed unless COLDTRAIL_CORS_ORIGINS lists origins. Only a listed
 * origin gets Access-Control-Allow-Origin, and a preflight from it is answered here (before
 * authentication, which a preflight cannot pass). Bearer tokens only: no credentials mode.
 */
export const CORS_METHODS = "GET, POST, PUT, PATCH, DELETE";
export const CORS_HEADERS = "authorization, content-type";
/** How long a browser may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 600;

export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.addHook("onRequest", async (req, reply) => {
    const origin = req.headers.origin;
    reply.header("vary", "Origin");
    if (typeof origin !== "string" || !allowed.has(origin)) return;
    reply.header("access-control-allow-origin", origin);
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      return reply
        .header("access-control-allow-methods", CORS_METHODS)
        .header("access-control-allow-headers", CORS_HEADERS)
        .header("access-control-max-age", String(PREFLIGHT_MAX_AGE_S))
        .status(204)
        .send();
    }
  });
}
