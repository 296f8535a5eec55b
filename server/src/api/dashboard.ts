import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { App } from "./app.js";

/**
 * Serves the built dashboard (a single-page app): its files as they are, and index.html for any
 * other GET outside /api so that deep links (/units/…, /p/{code}) open the app.
 */
export async function serveDashboard(app: App, dir: string): Promise<boolean> {
  if (!existsSync(join(dir, "index.html"))) return false;
  await app.register(fastifyStatic, {
    root: dir,
    prefix: "/",
    index: "index.html",
    wildcard: false,
    cacheControl: false,
  });
  app.get("/*", { schema: { hide: true } }, (req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    if (path.startsWith("/api/")) {
      return reply.status(404).send({
        error: { code: "CT_ERR_NOT_FOUND", message: `no route GET ${path}; see /api/openapi.json` },
      });
    }
    if (/\.[a-z0-9]+$/i.test(path)) return reply.sendFile(path.slice(1));
    reply.header("cache-control", "no-cache");
    return reply.sendFile("index.html");
  });
  return true;
}
