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
