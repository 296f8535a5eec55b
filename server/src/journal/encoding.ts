/**
 * How a journaled message's readings are kept in `journal_message.readings`. Pure.
 *
 * Current format, a BLOB: a 4-byte header (format version 1, then 3 zero bytes) and 24 bytes per
 * reading, little-endian: ts (float64, whole ms), temp_c (float64), seq (uint32), flags (uint32:
 * bit 0 = seq present, bit 1 = server-timed). Encoding and decoding it allocate nothing per
 * reading beyond the Reading itself: a replay of 500 readings is one buffer, not 500 arrays.
 *
 * Older rows hold TEXT: a JSON array of [ts, temp_c, seq, server_timed] (0/1). SQLite keeps each
 * value's storage class, so the TEXT/BLOB type of a row is its version marker; both are read, so a
 * journal left behind by the previous version is forwarded after an upgrade.
 */
import type { Reading } from "../reading.js";

export type DecodedReadings =
  | { ok: true; readings: { tsMs: number; tempC: number; seq: number | null; serverTimed: boolean }[] }
  | { ok: false; reason: string };

const VERSION = 1;
const HEADER_BYTES = 4;
const READING_BYTES = 24;
const HAS_SEQ = 1;
const SERVER_TIMED = 2;

/** The readings of one message as the journal keeps them. */
export function encodeJournalReadings(rows: readonly Reading[]): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + rows.length * READING_BYTES);
  buf.writeUInt32LE(VERSION, 0);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = HEADER_BYTES;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as Reading;
    view.setFloat64(at, r.tsMs, true);
    view.setFloat64(at + 8, r.tempC, true);
    view.setUint32(at + 16, r.seq ?? 0, true);
    view.setUint32(at + 20, (r.seq === null ? 0 : HAS_SEQ) | (r.serverTimed ? SERVER_TIMED : 0), true);
    at += READING_BYTES;
  }
  return buf;
}

/**
 * Calls `each` for every reading of a journal row's `readings` value, in order; a value in neither
 * format is refused whole, naming what it was.
 */
export function forEachJournalReading(
  value: unknown,
  each: (tsMs: number, tempC: number, seq: number | null, serverTimed: boolean) => void,
): { ok: true; count: number } | { ok: false; reason: string } {
  if (value instanceof Uint8Array) return forEachBinary(value, each);
  if (typeof value === "string") return forEachJson(value, each);
  return {
    ok: false,
    reason: `journal readings must be a BLOB or JSON TEXT, got ${value === null ? "NULL" : typeof value}`,
  };
}

/** The readings of a journal row's `readings` value (BLOB or the older JSON TEXT). */
export function decodeJournalReadings(value: unknown): DecodedReadings {
  const readings: { tsMs: number; tempC: number; seq: number | null; serverTimed: boolean }[] = [];
  const r = forEachJournalReading(value, (tsMs, tempC, seq, serverTimed) => {
    readings.push({ tsMs, tempC, seq, serverTimed });
  });
  return r.ok ? { ok: true, readings } : r;
}

function forEachBinary(
  buf: Uint8Array,
  each: (tsMs: number, tempC: number, seq: number | null, serverTimed: boolean) => void,
): { ok: true; count: number } | { ok: false; reason: string } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < HEADER_BYTES || (buf.byteLength - HEADER_BYTES) % READING_BYTES !== 0) {
    return {
      ok: false,
      reason: `journal readings BLOB of ${buf.byteLength} bytes is not a ${HEADER_BYTES}-byte header plus ${READING_BYTES} bytes a reading: the row is damaged`,
    };
  }
  const version = view.getUint32(0, true);
  if (version !== VERSION) {
    return {
      ok: false,
      reason: `journal readings BLOB has format version ${version}, this server reads version ${VERSION}: run the coldtrail version that wrote it until its journal is empty`,
    };
  }
  const count = (buf.byteLength - HEADER_BYTES) / READING_BYTES;
  for (let at = HEADER_BYTES; at < buf.byteLength; at += READING_BYTES) {
    const flags = view.getUint32(at + 20, true);
    each(
      view.getFloat64(at, true),
      view.getFloat64(at + 8, true),
      flags & HAS_SEQ ? view.getUint32(at + 16, true) : null,
      (flags & SERVER_TIMED) !== 0,
    );
  }
  return { ok: true, count };
}

/** The format before version 1: `[[ts, temp_c, seq, server_timed], …]` as JSON text. */
function forEachJson(
  text: string,
  each: (tsMs: number, tempC: number, seq: number | null, serverTimed: boolean) => void,
): { ok: true; count: number } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      reason: `journal readings TEXT is not JSON (${(e as Error).message}): the row is damaged`,
    };
  }
  if (!Array.isArray(parsed)) {
    return { ok: false, reason: `journal readings TEXT must be a JSON array, got ${text.slice(0, 40)}` };
  }
  for (let i = 0; i < parsed.length; i++) {
    const r = parsed[i] as unknown;
    if (
      !Array.isArray(r) ||
      typeof r[0] !== "number" ||
      typeof r[1] !== "number" ||
      (r[2] !== null && typeof r[2] !== "number")
    ) {
      return {
        ok: false,
        reason: `journal readings TEXT entry ${i} must be [ts, temp_c, seq|null, 0|1], got ${JSON.stringify(r).slice(0, 60)}`,
      };
    }
    each(r[0], r[1], r[2] as number | null, r[3] === 1);
  }
  return { ok: true, count: parsed.length };
}
