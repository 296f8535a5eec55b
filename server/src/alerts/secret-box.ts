import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Alert channel secrets at rest (a webhook's signing secret, a browser's push keys): sealed with
 * AES-256-GCM under the server's secret key (secret-key.ts) before they reach the database, opened
 * when a delivery needs them. Stored as `ct1:` + base64url(12-byte IV, 16-byte tag, ciphertext);
 * the column name is the additional data, so a value moved to another column does not open.
 */
export const SEALED_PREFIX = "ct1:";
const AAD = Buffer.from("coldtrail alert_channel.secret");
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  seal(plain: string): string;
  /** The plain secret; a value not sealed (written before sealing existed) comes back as it is. */
  open(stored: string): string;
}

export const isSealed = (stored: string): boolean => stored.startsWith(SEALED_PREFIX);

/** A sealed value this key does not open: another instance's key, or a changed one. */
export class SecretKeyMismatchError extends Error {
  override readonly name = "SecretKeyMismatchError";
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error(`the secret key must be 32 bytes, got ${key.length}`);
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(AAD);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    open(stored) {
      if (!isSealed(stored)) return stored;
      const raw = Buffer.from(stored.slice(SEALED_PREFIX.length), "base64url");
      try {
        if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("too short");
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(AAD);
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString("utf8");
      } catch {
        throw new SecretKeyMismatchError(
          "an alert channel secret in the database does not open with this server's secret key: every instance on one database needs the same COLDTRAIL_SECRET_KEY (and a single instance the same data folder's secret-key file it sealed them with)",
        );
      }
    },
  };
}
