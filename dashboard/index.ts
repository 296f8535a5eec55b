/**
 * What the server may import from the dashboard: where the build lands (`./dist-dir`, no build
 * tool needed) and, for development and tests, how to build it. The dashboard itself talks to the
 * server only over HTTP.
 */
export { buildDashboard, buildDashboardIfStale } from "./build.js";
export { DIST_DIR } from "./dist-dir.js";
