/**
 * Argument checks every store shares, so a caller's mistake reads the same whichever store runs.
 * Times are whole milliseconds since the epoch (`Reading.tsMs`); InfluxQL needs integer literals.
 */

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
