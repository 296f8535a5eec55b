import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type ApiError, httpError } from "../errors.js";
import { ADMIN, type Caller } from "../registry/caller.js";

/**
 * How a route is reached, declared in its options as `config: { auth }`:
 * - "token" (the default when a route says nothing): `Authorization: Bearer <token>`;
 * - "token-or-query": the same, or `?token=` for browsers' EventSource, which cannot send headers
 *   (the alert stream only);
 * - "public": no token (passports, health, metrics, the OpenAPI document, the dashboard's files).
 */
export const ROUTE_AUTH = ["token", "token-or-query", "public"] as const;
export type RouteAuth = (typeof ROUTE_AUTH)[number];

declare module "fastify" {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    caller: Caller;
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Bearer-token check. Until real accounts exist, the bootstrap admin token is the only credential
 * and acts as an admin; every route still asks the registry with `req.caller`, so per-account
 * access slots in here. Returns the caller or the 401 to answer with.
 */
export function createAuthenticator(adminToken: string) {
  const want = digest(adminToken);
  return function authenticate(req: FastifyRequest, mode: Exclude<RouteAuth, "public">): Caller | ApiError {
    const query = req.query as Record<string, unknown> | undefined;
    const header =
      req.headers.authorization ??
      (mode === "token-or-query" && typeof query?.token === "string" ? `Bearer ${query.token}` : undefined);
    if (!header) return httpError("CT_ERR_UNAUTHORIZED", 'missing "Authorization: Bearer <token>" header');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return httpError("CT_ERR_UNAUTHORIZED", 'Authorization header must be "Bearer <token>"');
    if (!timingSafeEqual(digest(m[1] as string), want)) {
      return httpError("CT_ERR_UNAUTHORIZED", "the bearer token is not valid");
    }
    return ADMIN;
  };
}

/**
 * Authentication from each route's own declaration, read after routing (fastify runs onRequest
 * hooks once the route is found), never from the URL text: however the path is spelled
 * (`/%61pi/…`, absolute-form request lines, double slashes), a request reaches the handler of
 * the route it matched only if that route's `config.auth` lets it. Requests no route matched
 * (the not-found handler) need a token too, so unknown paths tell nothing to strangers.
 */
export function registerAuth(app: FastifyInstance, adminToken: string): void {
  const authenticate = createAuthenticator(adminToken);
  app.decorateRequest("caller", null as unknown as Caller);
  app.addHook("onRoute", (route) => {
    const auth = route.config?.auth;
    if (auth !== undefined && !ROUTE_AUTH.includes(auth)) {
      throw new Error(
        `route ${String(route.method)} ${route.url} declares config.auth "${String(auth)}"; use one of ${ROUTE_AUTH.join(", ")}`,
      );
    }
  });
  app.addHook("onRequest", async (req) => {
    const mode = req.routeOptions.config?.auth ?? "token";
    if (mode === "public") return;
    const caller = authenticate(req, mode);
    if (!("accountId" in caller)) throw caller;
    req.caller = caller;
  });
}
