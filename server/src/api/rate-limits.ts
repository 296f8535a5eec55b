/**
 * Requests per client address (issue #14), counted in memory by @fastify/rate-limit: a restart
 * forgets them. Behind a reverse proxy the address is the client's only when
 * COLDTRAIL_TRUST_PROXY names the proxy (trust-proxy.ts); otherwise every client shares the proxy's.
 */
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, RouteOptions } from "fastify";
import { httpError } from "../errors.js";

const MINUTE = "1 minute";

/**
 * Public passports: a recipient opens one label at a time, and a page reload or two is all a
 * person needs; 60 a minute leaves room for a shared NAT (a milk bank's ward) while a guesser at
 * 2,000 codes a second is answered 429 after the first 60.
 */
export const PASSPORT_PER_MINUTE = 60;
/** Sign-in: a person retypes a password a few times; the accounts throttle also counts per account. */
export const SIGN_IN_PER_MINUTE = 10;
/**
 * Everything else, per address: the dashboard polls a few routes every few seconds and a simulator
 * registers a handful of probes; 3,000 a minute (50/s) is far above that and still stops a flood.
 */
export const GENERAL_PER_MINUTE = 3000;

/** Routes with their own limit, by method and route pattern; another plugin's route picks it up. */
const ROUTE_LIMITS: readonly { method: string; url: string; max: number }[] = [
  { method: "GET", url: "/api/v1/passports/:code", max: PASSPORT_PER_MINUTE },
  { method: "POST", url: "/api/v1/sessions", max: SIGN_IN_PER_MINUTE },
];

function limitOf(route: RouteOptions): number | null {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const hit = ROUTE_LIMITS.find((r) => methods.includes(r.method as never) && r.url === route.url);
  return hit?.max ?? null;
}

/** Before any route and before authentication, so a flood of bad tokens is cut off cheaply. */
export async function registerRateLimits(app: FastifyInstance): Promise<void> {
  app.addHook("onRoute", (route) => {
    const max = limitOf(route);
    if (max !== null && route.config?.rateLimit === undefined) {
      route.config = { ...route.config, rateLimit: { max, timeWindow: MINUTE } };
    }
  });
  await app.register(rateLimit, {
    global: true,
    max: GENERAL_PER_MINUTE,
    timeWindow: MINUTE,
    hook: "onRequest",
    errorResponseBuilder: (_req, ctx) =>
      httpError(
        "CT_ERR_TOO_MANY_REQUESTS",
        `more than ${ctx.max} requests a minute from this address; wait ${Math.ceil(ctx.ttl / 1000)} s (Retry-After) and try again`,
      ),
  });
}
