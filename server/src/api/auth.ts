import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { ApiError } from "../errors.js";
import { ADMIN, type Caller } from "../registry/caller.js";

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller;
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Bearer-token authentication. Until real accounts exist, the bootstrap admin token is the only
 * credential and acts as an admin; every route still asks the registry with `req.caller`, so
 * per-account access slots in here.
 */
export function createAuthenticator(adminToken: string) {
  const want = digest(adminToken);
  return function authenticate(req: FastifyRequest): void {
    // EventSource (the dashboard's alert stream) cannot send headers: it may pass ?token= instead.
    const query = req.query as Record<string, unknown> | undefined;
    const header =
      req.headers.authorization ??
      (req.url.startsWith("/api/v1/alerts/stream") && typeof query?.token === "string"
        ? `Bearer ${query.token}`
        : undefined);
    if (!header) {
      throw new ApiError("CT_ERR_UNAUTHORIZED", 'missing "Authorization: Bearer <token>" header');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new ApiError("CT_ERR_UNAUTHORIZED", 'Authorization header must be "Bearer <token>"');
    if (!timingSafeEqual(digest(m[1] as string), want)) {
      throw new ApiError("CT_ERR_UNAUTHORIZED", "the bearer token is not valid");
    }
    req.caller = ADMIN;
  };
}
