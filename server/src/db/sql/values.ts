/**
 * Values between the SQL client and the drivers: parameters made into what both drivers store the
 * same way, and integers read back as numbers, refused when JavaScript cannot hold them exactly.
 */
import type { SqlValue } from "./client.js";

/** What a driver is handed: booleans as 0/1, byte arrays as Buffers. */
export type DriverValue = string | number | bigint | null | Buffer;

export function toDriverParams(sql: string, params: readonly SqlValue[]): DriverValue[] {
  const out = new Array<DriverValue>(params.length);
  for (let i = 0; i < params.length; i++) {
    const v = params[i] as SqlValue | undefined;
    if (v === undefined) {
      throw new TypeError(
        `parameter ${i + 1} of ${JSON.stringify(sql.slice(0, 120))} is undefined: pass null for SQL NULL`,
      );
    }
    if (typeof v === "boolean") out[i] = v ? 1 : 0;
    else if (v instanceof Uint8Array && !Buffer.isBuffer(v))
      out[i] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    else out[i] = v as DriverValue;
  }
  return out;
}

/** An integer read from the database as text or bigint, as a number; throws beyond ±2^53−1. */
export function safeInteger(value: bigint | string, column: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(
      `column "${column}" holds ${String(value)}, beyond JavaScript's safe integers (±${Number.MAX_SAFE_INTEGER}): ` +
        "coldtrail stores ids, counts and millisecond times, which stay far below; check what wrote this value",
    );
  }
  return n;
}

/** A row from better-sqlite3 in safe-integers mode, its bigints made numbers (in place). */
export function numbersForBigints<T extends object>(row: T): T {
  const record = row as Record<string, unknown>;
  for (const key in record) {
    const v = record[key];
    if (typeof v === "bigint") record[key] = safeInteger(v, key);
  }
  return row;
}
