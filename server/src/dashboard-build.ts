import type { Logger } from "./logger.js";

/**
 * Builds the dashboard for the server to serve (esbuild, well under 2 s), so `npm start` and
 * `npm run server` show it right after `npm ci`. The server only serves the files it produces.
 */
export async function buildDashboardForServer(log: Logger): Promise<string | undefined> {
  try {
    const { buildDashboard } = (await import("@coldtrail/dashboard")) as {
      buildDashboard: () => Promise<string>;
    };
    const t0 = performance.now();
    const dir = await buildDashboard();
    log.info({ dir, ms: Math.round(performance.now() - t0) }, "dashboard.built");
    return dir;
  } catch (e) {
    log.warn({ err: (e as Error).message }, "dashboard.build_failed");
    return undefined;
  }
}
