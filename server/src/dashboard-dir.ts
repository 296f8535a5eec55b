/**
 * Which built dashboard folder the server serves: COLDTRAIL_DASHBOARD_DIR, or the dashboard
 * package's own `dist/`. The server never builds it (no esbuild at run time): `npm start` and
 * `npm run server` build it first when stale (`dashboard/build.ts --if-stale`), the Docker image
 * in a build stage.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { DIST_DIR } from "@coldtrail/dashboard/dist-dir";
import type { Logger } from "./logger.js";

export type DashboardDir =
  /** `dir` undefined: nothing to serve, and `warning` says why and what to do. */
  { ok: true; dir: string | undefined; warning?: string } | { ok: false; reason: string };

const BUILD_HINT = "npm run build -w @coldtrail/dashboard";

/** Pure apart from checking that `index.html` exists in the folder. */
export function dashboardDirFrom(
  env: Record<string, string | undefined>,
  defaultDir: string = DIST_DIR,
): DashboardDir {
  const configured = env.COLDTRAIL_DASHBOARD_DIR;
  if (configured !== undefined && configured !== "") {
    const dir = resolve(configured);
    if (existsSync(join(dir, "index.html"))) return { ok: true, dir };
    return {
      ok: false,
      reason: `COLDTRAIL_DASHBOARD_DIR is "${configured}", but ${join(dir, "index.html")} does not exist; point it at a built dashboard (${BUILD_HINT} builds one into ${defaultDir}) or unset it`,
    };
  }
  if (existsSync(join(defaultDir, "index.html"))) return { ok: true, dir: defaultDir };
  return {
    ok: true,
    dir: undefined,
    warning: `the dashboard is not built (no ${join(defaultDir, "index.html")}): serving the API only; run ${BUILD_HINT}, or set COLDTRAIL_DASHBOARD_DIR to a built folder`,
  };
}

/** For the entry points: a configured folder that is not a build stops start-up, as a bad config value does. */
export function dashboardDirOrExit(env: NodeJS.ProcessEnv, log: Logger): string | undefined {
  const r = dashboardDirFrom(env);
  if (!r.ok) {
    process.stderr.write(`coldtrail: ${r.reason}\n`);
    process.exit(2);
  }
  if (r.warning) log.warn({ hint: r.warning }, "dashboard.not_built");
  else log.info({ dir: r.dir }, "dashboard.serving");
  return r.dir;
}
