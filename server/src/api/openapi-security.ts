import type { FastifyInstance } from "fastify";
import { SESSION_COOKIE } from "../accounts/index.js";

/**
 * The ways in that the OpenAPI document names (docs/http-api.md "Authentication"): a bearer token
 * or the session cookie, either one; the alert stream also takes `?token=` (browsers'
 * EventSource cannot send a header). Each route's `config.auth` decides, as it does for requests.
 */
export const OPENAPI_SECURITY_SCHEMES: Record<
  string,
  | { type: "http"; scheme: string; description: string }
  | { type: "apiKey"; in: "cookie" | "query"; name: string; description: string }
> = {
  bearer: {
    type: "http",
    scheme: "bearer",
    description: "A personal API token (ct_…, POST /api/v1/tokens) or the bootstrap admin token.",
  },
  session: {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description:
      "The session cookie set by POST /api/v1/sessions. Writes (any method but GET, HEAD, OPTIONS) also carry the session's CSRF token as the X-CSRF-Token header.",
  },
  queryToken: {
    type: "apiKey",
    in: "query",
    name: "token",
    description: "The bearer token as ?token=, for EventSource (the alert stream only).",
  },
};

/** Routes that say nothing: a bearer token or the session cookie (alternatives, not both). */
export const OPENAPI_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];

const TOKEN_OR_QUERY: Record<string, string[]>[] = [...OPENAPI_SECURITY, { queryToken: [] }];

/** Marks "token-or-query" routes with the query scheme too, and "public" routes with none. */
export function registerOpenApiSecurity(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const auth = route.config?.auth;
    if (auth === "token-or-query") route.schema = { ...route.schema, security: TOKEN_OR_QUERY };
    else if (auth === "public" && route.schema && !route.schema.security) {
      route.schema = { ...route.schema, security: [] };
    }
  });
}
