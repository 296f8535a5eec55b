import type { FastifyInstance, FastifyRequest } from "fastify";
import { type Accounts, createRequestAuth, failureError, type RequestAuth } from "../accounts/index.js";
import type { Caller } from "../registry/caller.js";

/**
 * How a route is reached, declared in its options as `config: { auth }`:
 * - "token" (the default when a route says nothing): `Authorization: Bearer <token>` (a personal
 *   `ct_…` token or the bootstrap admin token) or the `coldtrail_session` cookie, whose writes
 *   carry `X-CSRF-Token`;
 * - "token-or-query": the same, or `?token=` for scripts' EventSource, which cannot send headers
 *   (the alert stream only; the dashboard's EventSource sends the cookie);
 * - "public": nobody needs to be signed in (passports, health, metrics, the OpenAPI document,
 *   sign-in, invitation acceptance, the dashboard's files).
 */
export const ROUTE_AUTH = ["token", "token-or-query", "public"] as const;
export type RouteAuth = (typeof ROUTE_AUTH)[number];

/** How the request was authenticated (sign-out and GET /me need the session). */
export type Authenticated = Extract<RequestAuth, { ok: true }>;

declare module "fastify" {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    caller: Caller;
    authenticated: Authenticated | null;
  }
}

/** Without an accounts module (route tests of the bare server), only the admin token is known. */
const NO_ACCOUNTS: Pick<Accounts, "resolveToken" | "resolveSession" | "checkCsrf"> = {
  resolveToken: async () => null,
  resolveSession: async () => null,
  checkCsrf: () => ({ ok: true }),
};

export interface AuthOptions {
  adminToken: string;
  /** People's sessions and tokens; without it, only the bootstrap admin token works. */
  accounts?: Pick<Accounts, "resolveToken" | "resolveSession" | "checkCsrf"> | undefined;
}

/** The request's credentials as the accounts module reads them; `?token=` only where allowed. */
function credentialsOf(req: FastifyRequest, mode: Exclude<RouteAuth, "public">) {
  const query = req.query as Record<string, unknown> | undefined;
  const authorization =
    req.headers.authorization ??
    (mode === "token-or-query" && typeof query?.token === "string" ? `Bearer ${query.token}` : undefined);
  return {
    method: req.method,
    cookie: req.headers.cookie,
    authorization,
    csrfToken: req.headers["x-csrf-token"],
  };
}

/**
 * Authentication from each route's own declaration, read after routing (fastify runs onRequest
 * hooks once the route is found), never from the URL text: however the path is spelled
 * (`/%61pi/…`, absolute-form request lines, double slashes), a request reaches the handler of
 * the route it matched only if that route's `config.auth` lets it. Requests no route matched
 * (the not-found handler) need credentials too, so unknown paths tell nothing to strangers.
 * Who the caller is (`req.caller`) decides what the registry shows (`ownedBy`).
 */
export function registerAuth(app: FastifyInstance, opts: AuthOptions): void {
  const authenticate = createRequestAuth(opts.accounts ?? NO_ACCOUNTS, { adminToken: opts.adminToken });
  app.decorateRequest("caller", null as unknown as Caller);
  app.decorateRequest("authenticated", null);
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
    const result = await authenticate(credentialsOf(req, mode));
    if (!result.ok) throw failureError(result);
    req.caller = result.caller;
    req.authenticated = result;
  });
}
