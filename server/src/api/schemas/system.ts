import { z } from "zod";

export const health = z.strictObject({
  status: z.literal("ok"),
  store: z.enum(["sqlite", "influx"]),
  journalDepth: z.number().int().describe("Readings journaled and not yet confirmed by the store"),
  storeBackoffMs: z.number(),
  storeLagMs: z.number(),
});

export const metricsText = z.string().describe("Prometheus text exposition");
