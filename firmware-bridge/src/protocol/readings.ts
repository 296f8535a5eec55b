import { z } from "zod";
import { PROTOCOL_LIMITS as L } from "./limits.js";

/**
 * The readings message (DESIGN.md, "Wire protocol"):
 * `{"readings":[{"ts":<unix ms>,"temp_c":<number>,"seq":<uint32>}, …], "battery_pct"?, "battery_mv"?, "rssi"?}`.
 * `ts` may be omitted only by a device without a clock; the server then stamps arrival time.
 */
export const readingSchema = z.strictObject({
  ts: z
    .number()
    .int("ts must be an integer number of milliseconds since 1970-01-01 UTC")
    .min(L.minTsMs, "ts is before 2020-01-01: is the device clock set? (ts is in milliseconds, not seconds)")
    .optional(),
  temp_c: z
    .number()
    .min(L.minTempC, `temp_c below ${L.minTempC} °C is not a plausible probe reading`)
    .max(L.maxTempC, `temp_c above ${L.maxTempC} °C is not a plausible probe reading`),
  seq: z.number().int().min(0).max(L.maxSeq).optional(),
});

export const readingsMessageSchema = z.strictObject({
  readings: z
    .array(readingSchema)
    .min(1, "readings must hold at least one reading")
    .max(L.maxReadingsPerMessage, `readings must hold at most ${L.maxReadingsPerMessage} readings`),
  battery_pct: z.number().min(0).max(100).optional(),
  battery_mv: z.number().int().min(0).max(20_000).optional(),
  rssi: z.number().int().min(-150).max(20).optional(),
});

export type WireReading = z.infer<typeof readingSchema>;
export type ReadingsMessage = z.infer<typeof readingsMessageSchema>;

/** Plain-value topic (ESPHome/Tasmota style): a bare number, server-timed. */
export const plainValueSchema = z
  .number()
  .min(L.minTempC, `temperature below ${L.minTempC} °C is not a plausible probe reading`)
  .max(L.maxTempC, `temperature above ${L.maxTempC} °C is not a plausible probe reading`);
