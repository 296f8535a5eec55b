/** Hex text ↔ bytes, strict: the CLI and gateway JSON must refuse what they cannot read, not guess. */

export type HexResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/** Accepts an optional `0x` prefix and spaces, colons or dashes between bytes. */
export function parseHex(text: string): HexResult {
  const clean = text
    .trim()
    .replace(/^0x/i, "")
    .replace(/[\s:-]/g, "");
  if (!/^[0-9a-f]*$/i.test(clean)) {
    return { ok: false, reason: `not hex: "${text.slice(0, 40)}" (use digits 0-9 and a-f)` };
  }
  if (clean.length % 2 !== 0) {
    return { ok: false, reason: `hex has an odd number of digits (${clean.length}): each byte is 2 digits` };
  }
  return { ok: true, bytes: Uint8Array.from(Buffer.from(clean, "hex")) };
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
