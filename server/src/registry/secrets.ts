import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Probe secrets are 256 random bits issued by the server, never chosen by people, so a single
 * SHA-256 is enough to store them: a slow password hash defends low-entropy human passwords
 * against guessing, which random secrets are not. It also keeps MQTT connects cheap when
 * thousands of probes reconnect after a power cut.
 */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function secretMatches(secret: string | Buffer | undefined, storedHash: string): boolean {
  if (secret === undefined) return false;
  const got = Buffer.from(hashSecret(Buffer.isBuffer(secret) ? secret.toString("utf8") : secret), "hex");
  const want = Buffer.from(storedHash, "hex");
  return got.length === want.length && timingSafeEqual(got, want);
}
