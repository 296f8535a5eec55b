/**
 * The API's response schemas, one module per route plugin. The dashboard takes its API types
 * from here (`import type`, so nothing of the server is bundled).
 */
export * from "./accounts.js";
export * from "./alerts.js";
export * from "./batch-exports.js";
export * from "./batches.js";
export * from "./common.js";
export * from "./deadletters.js";
export * from "./notifications.js";
export * from "./passports.js";
export * from "./probes.js";
export * from "./system.js";
export * from "./units.js";
