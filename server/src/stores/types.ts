import type { Reading } from "../reading.js";

/** A reading as stored and read back. */
export interface StoredReading {
  tsMs: number;
  tempC: number;
  seq: number | null;
}

/**
 * One time bucket of a probe's readings; `startMs` is aligned to multiples of `everyMs` since the
 * epoch. Only readings inside `BUCKET_TEMP_RANGE_C` count: sensor-fault markers are left out.
 */
export interface ReadingBucket {
  startMs: number;
  minC: number;
  meanC: number;
  maxC: number;
  count: number;
}

/**
 * Where readings live. Every implementation passes `stores/contract.test.ts`.
 * - `write` is idempotent on (probeId, tsMs): writing the same reading again stores it once
 *   (the later write of a (probeId, tsMs) wins its value). Order of writes does not matter.
 * - `range` and `buckets` cover [fromMs, toMs), ascending by time. `range` returns every reading
 *   as written, sensor-fault markers (−127, 6553.5, 1e308 …) included; `buckets` leaves them out.
 * - A store that cannot be reached throws a `StoreUnavailableError`, so the forwarder retries.
 */
export interface ReadingsStore {
  readonly name: "sqlite" | "influx";
  write(batch: readonly Reading[]): Promise<void>;
  range(probeId: string, fromMs: number, toMs: number): Promise<StoredReading[]>;
  buckets(probeId: string, fromMs: number, toMs: number, everyMs: number): Promise<ReadingBucket[]>;
  /**
   * How many readings of a probe lie in [fromMs, toMs), fault markers included (as `range` would
   * return them): cheap enough to check that a verdict checkpoint still sees the same readings.
   */
  count(probeId: string, fromMs: number, toMs: number): Promise<number>;
  /** The newest reading of a probe at or before `beforeMs` (default: any time), or null. */
  latest(probeId: string, beforeMs?: number): Promise<StoredReading | null>;
  close(): Promise<void>;
}

export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(
    readonly store: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
