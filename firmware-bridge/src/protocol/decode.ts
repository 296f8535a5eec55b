import type { z } from "zod";
import { PROTOCOL_LIMITS } from "./limits.js";
import { plainValueSchema, type ReadingsMessage, readingsMessageSchema } from "./readings.js";
import { type StatusMessage, statusMessageSchema } from "./status.js";

/**
 * Why a payload was refused; these are the `reason` label values of `coldtrail_ingest_rejected_total`.
 * `duplicate_ts` comes only from the strict decoder: the server keeps the first of a pair.
 */
export type RejectReason = "too_large" | "not_utf8" | "not_json" | "invalid" | "duplicate_ts";

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The payload as UTF-8 text, refused when over the size limit or not UTF-8. */
export function decodedText(payload: Uint8Array): Decoded<string> {
  if (payload.byteLength > PROTOCOL_LIMITS.maxPayloadBytes) {
    return {
      ok: false,
      reason: "too_large",
      message: `payload is ${payload.byteLength} bytes, the limit is ${PROTOCOL_LIMITS.maxPayloadBytes}: send at most ${PROTOCOL_LIMITS.maxReadingsPerMessage} readings a message`,
    };
  }
  try {
    return { ok: true, value: utf8.decode(payload) };
  } catch {
    return { ok: false, reason: "not_utf8", message: "payload is not valid UTF-8 text" };
  }
}

/** The payload parsed as JSON (any JSON value). */
export function decodedJson(payload: Uint8Array): Decoded<unknown> {
  const t = decodedText(payload);
  if (!t.ok) return t;
  try {
    return { ok: true, value: JSON.parse(t.value) };
  } catch (e) {
    return { ok: false, reason: "not_json", message: `payload is not JSON: ${(e as Error).message}` };
  }
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "payload"}: ${i.message}`)
    .join("; ");
}

function validate<T>(schema: z.ZodType<T>, value: unknown): Decoded<T> {
  const r = schema.safeParse(value);
  return r.success
    ? { ok: true, value: r.data }
    : { ok: false, reason: "invalid", message: describe(r.error) };
}

/**
 * Decodes a readings payload strictly: what a device should send (simulators and firmware tests
 * check against it). The server uses `decodeReadingsTolerant` instead. Never throws.
 */
export function decodeReadingsPayload(payload: Uint8Array): Decoded<ReadingsMessage> {
  const j = decodedJson(payload);
  if (!j.ok) return j;
  const m = validate(readingsMessageSchema, j.value);
  if (!m.ok) return m;
  // Two different readings with one timestamp in a message are a device bug, not a replay.
  const seen = new Set<number>();
  for (const r of m.value.readings) {
    if (r.ts === undefined) continue;
    if (seen.has(r.ts)) {
      return {
        ok: false,
        reason: "duplicate_ts",
        message: `two readings in one message share ts ${r.ts}; each reading needs its own timestamp`,
      };
    }
    seen.add(r.ts);
  }
  return m;
}

/** Decodes a plain-value payload (`-18.5`); never throws. */
export function decodePlainValuePayload(payload: Uint8Array): Decoded<number> {
  const n = decodedPlainNumber(payload);
  if (!n.ok) return n;
  return validate(plainValueSchema, n.value);
}

/** A plain-value payload as a number (possibly ±Infinity for 1e400), not yet range-checked. */
export function decodedPlainNumber(payload: Uint8Array): Decoded<number> {
  const t = decodedText(payload);
  if (!t.ok) return t;
  const trimmed = t.value.trim();
  // Number("") is 0 and Number("0x10") is 16: accept only a plain decimal number.
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) {
    return {
      ok: false,
      reason: "not_json",
      message: `plain-value payload must be a bare number like -18.5, got "${trimmed.slice(0, 40)}"`,
    };
  }
  return { ok: true, value: Number(trimmed) };
}

/** Decodes a retained status payload; never throws. */
export function decodeStatusPayload(payload: Uint8Array): Decoded<StatusMessage> {
  const j = decodedJson(payload);
  if (!j.ok) return j;
  return validate(statusMessageSchema, j.value);
}
