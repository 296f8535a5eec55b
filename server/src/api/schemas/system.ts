import { z } from "zod";

const componentHealth = z.strictObject({
  component: z.string().describe('e.g. "mqtt-external"'),
  ok: z.boolean(),
  state: z.enum(["connecting", "connected", "reconnecting", "journal-failing"]),
  since: z.string(),
  reason: z.string().optional().describe("Why it is not ok, and what happens meanwhile"),
});

export const health = z.strictObject({
  status: z.enum(["ok", "degraded"]).describe('"degraded" (HTTP 503) while ingest cannot take readings'),
  store: z.enum(["sqlite", "influx"]),
  journalDepth: z.number().int().describe("Readings journaled and not yet confirmed by the store"),
  storeBackoffMs: z.number(),
  storeLagMs: z.number(),
  ingest: componentHealth
    .optional()
    .describe("The external broker's ingest (absent with the embedded broker)"),
  degraded: z.array(z.strictObject({ component: z.string(), reason: z.string() })).optional(),
});

export const metricsText = z.string().describe("Prometheus text exposition");
