/**
 * Where the dashboard build lands by default, and what the server serves unless
 * COLDTRAIL_DASHBOARD_DIR names another folder. No build tool is imported here, so the server can
 * read it in an image installed without dev dependencies.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DIST_DIR = join(dirname(fileURLToPath(import.meta.url)), "dist");
