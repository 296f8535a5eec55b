import { randomBytes } from "node:crypto";

/** Crockford base32 (no I, L, O, U): unambiguous when read aloud or typed from a label. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** `bits` of randomness as Crockford base32 characters (5 bits each). */
export function randomCode(bits: number): string {
  const chars = Math.ceil(bits / 5);
  const bytes = randomBytes(chars);
  let out = "";
  for (let i = 0; i < chars; i++) out += ALPHABET[(bytes[i] as number) & 31];
  return out;
}

/** Entity ids: a short prefix naming the kind, then 80 random bits, e.g. `u_5X0Q3…`. */
export const newId = (prefix: "u" | "p" | "b" | "a" | "c" | "r"): string =>
  `${prefix}_${randomCode(80).toLowerCase()}`;

const LOOK_ALIKES: Record<string, string> = { O: "0", I: "1", L: "1" };

/**
 * A code as a person typed it, read the way Crockford base32 is decoded
 * (https://www.crockford.com/base32.html): any case, dashes, spaces or dots between groups
 * ignored, O read as 0 and I or L as 1. " 7k-2m o1" → "7K2M01". Other characters are kept, so
 * a code with them matches nothing.
 */
export function normaliseCodeInput(typed: string): string {
  return typed
    .toUpperCase()
    .replace(/[\s\-.·_/]+/g, "")
    .replace(/[OIL]/g, (c) => LOOK_ALIKES[c] as string);
}
