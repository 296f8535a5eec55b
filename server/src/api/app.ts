import fastifySwagger from "@fastify/swagger";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { Context } from "../context.js";
import { ApiError } from "../errors.js";
import { createAuthenticator } from "./auth.js";
import { serveDashboard } from "./dashboard.js";
import { batchRoutes } from "./routes/batches.js";
import { deadLetterRoutes } from "./routes/deadletters.js";
import { passportRoutes } from "./routes/passports.js";
import { probeRoutes } from "./routes/probes.js";
import { systemRoutes } from "./routes/system.js";
import { unitRoutes } from "./routes/units.js";

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;
export type Routes = (app: App, ctx: Context) => void;

/** Routes that need no bearer token. */
const PUBLIC = [
  /^\/api\/v1\/passports\//,
  /^\/api\/openapi\.json$/,
  /^\/healthz$/,
  /^\/api\/v1\/healthz$/,
  /^\/metrics$/,
  /^\/api\/v1\/metrics$/,
];

export async function buildApi(ctx: Context, extra: Routes[] = [], dashboardDir?: string): Promise<App> {
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: "http" }),
    // One line per request comes from our onResponse hook, not fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Ids and codes are case-sensitive but paths are not mangled.
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>() as unknown as App;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: "coldtrail API",
        description: "Temperature history and safety verdicts of donated human milk. See DESIGN.md.",
        version: "1.0.0",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  const authenticate = createAuthenticator(ctx.adminToken);
  app.addHook("onRequest", async (req) => {
    const path = req.url.split("?")[0] ?? "";
    if (!path.startsWith("/api/") || PUBLIC.some((p) => p.test(path))) return;
    authenticate(req);
  });

  app.addHook("onResponse", async (req, reply) => {
    if (reply.statusCode >= 500) return;
    req.log.debug(
      { method: req.method, url: req.routeOptions.url, status: reply.statusCode, ms: reply.elapsedTime },
      "http.request",
    );
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
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
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const code =
        err.statusCode === 413
          ? "CT_ERR_PAYLOAD_TOO_LARGE"
          : err.statusCode === 415
            ? "CT_ERR_UNSUPPORTED_MEDIA"
            : "CT_ERR_BAD_REQUEST";
      return reply.status(err.statusCode).send({ error: { code, message: err.message } });
    }
    req.log.error({ err: err.message, stack: err.stack, url: req.url }, "http.error");
    return reply
      .status(500)
      .send({ error: { code: "CT_ERR_INTERNAL", message: "internal error; see the server log" } });
  });

  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({
      error: {
        code: "CT_ERR_NOT_FOUND",
        message: `no route ${req.method} ${req.url.split("?")[0]}; see /api/openapi.json`,
      },
    }),
  );

  for (const routes of [
    systemRoutes,
    unitRoutes,
    probeRoutes,
    batchRoutes,
    passportRoutes,
    deadLetterRoutes,
    ...extra,
  ])
    routes(app, ctx);

  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  if (dashboardDir && !(await serveDashboard(app, dashboardDir))) {
    ctx.log.warn({ dashboardDir }, "dashboard.not_built");
  }
  return app;
}
