import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Session, invitation and API token secrets: 256 random bits, so one SHA-256 is enough to store
 * them (a slow hash protects guessable human passwords; these cannot be guessed), and looking one
 * up is an indexed equality on the hash.
 */
export const newSessionToken = (): string => randomBytes(32).toString("base64url");

/** Personal API tokens start with `ct_` so a leaked one is recognisable (secret scanners, logs). */
export const API_TOKEN_PREFIX = "ct_";
export const newApiToken = (): string => `${API_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;

export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/**
 * The CSRF token of a session: HMAC-SHA256 keyed with the session token. Only someone holding the
 * session cookie can compute it, it needs no storage, it survives restarts, and it reveals nothing
 * about the cookie (OWASP CSRF Prevention Cheat Sheet, "signed double-submit" bound to the session).
 */
export const csrfTokenFor = (sessionToken: string): string =>
  createHmac("sha256", sessionToken).update("coldtrail csrf v1").digest("base64url");

/** Constant-time string equality (for secrets that are already hashes or HMACs). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
