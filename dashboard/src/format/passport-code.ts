/**
 * Passport codes as people type them. Codes are Crockford base32 (server/src/registry/ids.ts:
 * digits and capitals without I, L, O and U), so a code read off a wet, creased label can be
 * typed loosely: any case, with dashes, spaces or dots between groups, and the look-alikes O for
 * 0 and I or L for 1 (Crockford's decoding rules, https://www.crockford.com/base32.html).
 */

export type CodeResult = { ok: true; code: string } | { ok: false; reason: string };

/** The shortest and longest code the API takes (GET /passports/{code}: 8-32 letters and digits). */
const MIN_LENGTH = 8;
const MAX_LENGTH = 32;
const LOOK_ALIKES: Record<string, string> = { O: "0", I: "1", L: "1" };

/**
 * The start of a code, typed loosely (" 7k-2m" → "7K2M"), for searching: read as a whole code
 * is, with no length rule. Empty input gives an empty prefix.
 */
export function normaliseCodePrefix(typed: string): CodeResult {
  const squeezed = typed.toUpperCase().replace(/[\s\-.·_/]+/g, "");
  const bad = squeezed.replace(/[0-9A-Z]/g, "");
  if (bad)
    return {
      ok: false,
      reason: `A code has only letters and digits; "${bad[0]}" is not one of them. Check the label and type it again.`,
    };
  return { ok: true, code: squeezed.replace(/[OIL]/g, (c) => LOOK_ALIKES[c] as string) };
}

/** " 7k-2m o1…" → "7K2M01…", or a reason in words for the person typing. */
export function normalisePassportCode(typed: string): CodeResult {
  const prefix = normaliseCodePrefix(typed);
  if (prefix.ok && prefix.code === "")
    return { ok: false, reason: "Type the code printed under the QR code on the label." };
  if (!prefix.ok) return prefix;
  const code = prefix.code;
  if (code.length < MIN_LENGTH)
    return {
      ok: false,
      reason: `That is ${code.length} characters; a code has at least ${MIN_LENGTH}. Check that none is missing.`,
    };
  if (code.length > MAX_LENGTH)
    return {
      ok: false,
      reason: `That is ${code.length} characters; a code has at most ${MAX_LENGTH}. Check for extra ones.`,
    };
  return { ok: true, code };
}

/** "7K2M01ABCDEFG" → "7K2M-01AB-CDEF-G": groups of four, easier to read aloud and copy. */
export function groupCode(code: string): string {
  return code.match(/.{1,4}/g)?.join("-") ?? code;
}

/** Seconds to wait before the n-th automatic retry (0-based): 2, 4, 8, … at most 60. */
export function retryDelayS(attempt: number): number {
  return Math.min(60, 2 ** (attempt + 1));
}
