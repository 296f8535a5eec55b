import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { httpError } from "../errors.js";
import type { Logger } from "../logger.js";

export interface DashboardDeps {
  /** A built dashboard (see dashboard/build.ts). */
  dir: string;
  log: Logger;
}

/**
 * `/api…` however it is spelled: percent-encoded, in capitals, after extra slashes or dot
 * segments, in an absolute-form request line (`GET http://host/api/…`).
 */
function isApiPath(rawPath: string, wildcard: string): boolean {
  let path = rawPath.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape: judged as sent.
  }
  path = path.replace(/\/+/g, "/");
  try {
    path = new URL(path, "http://localhost").pathname;
  } catch {
    // Not a path URL can resolve: judged as sent.
  }
  return /^\/api(\/|$)/i.test(path) || /^\/*api(\/|$)/i.test(wildcard);
}

/**
 * Serves the built dashboard (a single-page app), public: its files as they are, and index.html
 * for any other GET outside /api so that deep links (/units/…, /p/{code}) open the app.
 */
export const dashboardPlugin: FastifyPluginAsyncZod<DashboardDeps> = async (app, opts) => {
  if (!existsSync(join(opts.dir, "index.html"))) {
    opts.log.warn({ dashboardDir: opts.dir }, "dashboard.not_built");
    return;
  }
  // Everything this plugin serves is public (its own routes and @fastify/static's).
  app.addHook("onRoute", (route) => {
    route.config = { ...route.config, auth: "public" };
  });
  await app.register(fastifyStatic, {
    root: opts.dir,
    prefix: "/",
    index: "index.html",
    wildcard: false,
    cacheControl: false,
  });
  app.get("/*", { schema: { hide: true } }, (req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    if (isApiPath(path, (req.params as { "*"?: string })["*"] ?? "")) {
      const e = httpError("CT_ERR_NO_ROUTE", "GET", path);
      return reply.status(e.statusCode).send({ error: { code: e.code, message: e.message } });
    }
    if (/\.[a-z0-9]+$/i.test(path)) return reply.sendFile(path.slice(1));
    reply.header("cache-control", "no-cache");
    return reply.sendFile("index.html");
  });
};
