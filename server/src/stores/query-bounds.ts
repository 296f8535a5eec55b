/**
 * Argument checks every store shares, so a caller's mistake reads the same whichever store runs.
 * Times are whole milliseconds since the epoch (`Reading.tsMs`); InfluxQL needs integer literals.
 */
import { PROTOCOL_LIMITS } from "@coldtrail/firmware-bridge/protocol";

/**
 * Readings outside this range (−127 °C from a disconnected DS18B20, 6553.5 …) are stored raw as
 * sensor-fault markers but left out of buckets: one would wreck a bucket's min, mean and max.
 * The wire protocol's plausible range (`PROTOCOL_LIMITS`, DS18B20 datasheet −55…+125 °C with margin).
 */
export const BUCKET_TEMP_RANGE_C = { min: PROTOCOL_LIMITS.minTempC, max: PROTOCOL_LIMITS.maxTempC } as const;

export function assertTimeRange(fromMs: number, toMs: number): void {
  assertWholeMs("fromMs", fromMs);
  assertWholeMs("toMs", toMs);
}

export function assertWholeMs(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${name} must be a whole number of milliseconds since the epoch, got ${value}`);
  }
}

export function assertBucketWidth(everyMs: number): void {
  if (!Number.isSafeInteger(everyMs) || everyMs <= 0) {
    throw new RangeError(`everyMs must be a positive whole number of milliseconds, got ${everyMs}`);
  }
}

/** Start of the bucket holding `tsMs`: a multiple of `everyMs` since the epoch (floor, also before 1970). */
export function bucketStartMs(tsMs: number, everyMs: number): number {
  return tsMs - (((tsMs % everyMs) + everyMs) % everyMs);
}
