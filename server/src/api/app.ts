import fastifySwagger from "@fastify/swagger";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { ApiError, DomainError, fromDomain, httpError } from "../errors.js";
import { type Logger, urlForLog } from "../logger.js";
import { StoreUnavailableError } from "../stores/types.js";
import type { TrustProxy } from "../trust-proxy.js";
import { type AuthOptions, registerAuth } from "./auth.js";
import { registerCors } from "./cors.js";
import { registerJsonBodies } from "./json-body.js";
import { OPENAPI_SECURITY, OPENAPI_SECURITY_SCHEMES, registerOpenApiSecurity } from "./openapi-security.js";
import { registerRateLimits } from "./rate-limits.js";
import { registerSecurityHeaders } from "./security-headers.js";

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/**
 * The HTTP server without routes: logging, OpenAPI, authentication by route configuration, the
 * error catalogue. Each module's routes are a plugin registered on it by the composition root
 * (server/src/app.ts).
 */
/** Request bodies: every route takes small JSON (a channel naming 1,000 units is about 30 KiB). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** fastify's types take no hop count: a count n trusts the n nearest hops, as proxy-addr does. */
function fastifyTrustProxy(t: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof t === "number" ? (_address, hop) => hop < t : t;
}

export async function createApi(
  opts: {
    log: Logger;
    /** COLDTRAIL_CORS_ORIGINS: origins allowed to call from a browser; none when empty or absent. */
    corsOrigins?: readonly string[];
    /** COLDTRAIL_TRUST_PROXY: proxies whose X-Forwarded-For gives `req.ip`; none when absent. */
    trustProxy?: TrustProxy;
  } & AuthOptions,
): Promise<App> {
  const app = Fastify({
    loggerInstance: opts.log.child({ component: "http" }),
    // One line per request comes from our onResponse hook, not fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Rate limits and audit addresses count the client behind a named reverse proxy, not the proxy.
    trustProxy: fastifyTrustProxy(opts.trustProxy ?? false),
    // Ids and codes are case-sensitive but paths are not mangled.
    routerOptions: { ignoreTrailingSlash: true },
    // Errors the router raises before any route (a malformed %-escape, an over-long id) answer in
    // the API's own shape, like every other error.
    frameworkErrors: (err, _req, reply) => {
      const message =
        err.code === "FST_ERR_MAX_PARAM_LENGTH"
          ? "a path segment (an id or a code) is too long; ids are at most 128 characters"
          : "the request path is not valid URL encoding";
      return (reply as FastifyReply).status(400).send({ error: { code: "CT_ERR_BAD_REQUEST", message } });
    },
  }).withTypeProvider<ZodTypeProvider>() as unknown as App;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  registerOpenApiSecurity(app as unknown as FastifyInstance);
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: "coldtrail API",
        description: "Temperature history and safety verdicts of donated human milk. See DESIGN.md.",
        version: "1.0.0",
      },
      components: { securitySchemes: OPENAPI_SECURITY_SCHEMES },
      security: OPENAPI_SECURITY,
    },
    transform: jsonSchemaTransform,
  });

  const root = app as unknown as FastifyInstance;
  registerJsonBodies(root);
  await registerSecurityHeaders(root);
  // Before authentication: a preflight carries no token, and floods are cut off before the check.
  registerCors(root, opts.corsOrigins ?? []);
  await registerRateLimits(root);
  registerAuth(root, opts);

  app.addHook("onResponse", async (req, reply) => {
    if (reply.statusCode >= 500) return;
    req.log.debug(
      { method: req.method, url: req.routeOptions.url, status: reply.statusCode, ms: reply.elapsedTime },
      "http.request",
    );
  });

  app.setErrorHandler((raw: FastifyError | ApiError | DomainError, req, reply) => {
    const err = raw instanceof DomainError ? fromDomain(raw) : raw;
    if (err instanceof StoreUnavailableError) {
      req.log.warn({ err: err.message, store: err.store, url: urlForLog(req.url) }, "http.store_unavailable");
      const e = httpError(
        "CT_ERR_UNAVAILABLE",
        `the ${err.store} readings store is not reachable right now; readings are kept in the journal and stored once it is back. Try again shortly`,
      );
      return reply.status(e.statusCode).send({ error: { code: e.code, message: e.message } });
    }
    if (err instanceof ApiError) {
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? "request";
      const detail = err.validation
        .slice(0, 5)
        .map((v) => `${where}${v.instancePath ? v.instancePath.replaceAll("/", ".") : ""}: ${v.message}`)
        .join("; ");
      return reply.status(400).send({ error: { code: "CT_ERR_VALIDATION", message: detail } });
    }
    if (isResponseSerializationError(err)) {
      // The route answered something its declared response schema does not allow: a server bug.
      req.log.error(
        { err: err.message, issues: err.cause?.issues?.slice(0, 5), url: urlForLog(req.url) },
        "http.response_schema",
      );
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const code =
        err.statusCode === 413
          ? "CT_ERR_PAYLOAD_TOO_LARGE"
          : err.statusCode === 415
            ? "CT_ERR_UNSUPPORTED_MEDIA"
            : err.statusCode === 429
              ? "CT_ERR_TOO_MANY_REQUESTS"
              : "CT_ERR_BAD_REQUEST";
      return reply.status(err.statusCode).send({ error: { code, message: err.message } });
    } else {
      req.log.error({ err: err.message, stack: err.stack, url: urlForLog(req.url) }, "http.error");
    }
    const internal = httpError("CT_ERR_INTERNAL");
    return reply.status(500).send({ error: { code: internal.code, message: internal.message } });
  });

  app.setNotFoundHandler((req, reply) => {
    const e = httpError("CT_ERR_NO_ROUTE", req.method, req.url.split("?")[0] ?? "");
    return reply.status(e.statusCode).send({ error: { code: e.code, message: e.message } });
  });
  return app;
}
