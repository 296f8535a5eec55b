/**
 * What the server may import from the dashboard: how to build it and where the build lands.
 * The dashboard itself talks to the server only over HTTP.
 */
export { buildDashboard, DIST_DIR } from "./build.js";
