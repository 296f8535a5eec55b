import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type SecretKeyResult =
  | { ok: true; key: Buffer; source: "env" | "file" | "generated" }
  | { ok: false; reason: string };

/** 32 bytes as 64 hex digits, or as base64 / base64url (43 or 44 characters). */
export function parseSecretKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t.replace(/\+/g, "-").replace(/\//g, "_").replace(/=$/, ""), "base64url");
    return key.length === 32 ? key : null;
  }
  return null;
}

/**
 * The key that seals alert channel secrets (alerts/secret-box.ts): COLDTRAIL_SECRET_KEY, or one
 * generated at first start and kept in the data folder (`secret-key`, mode 0600). Several
 * instances on one database need the same key, so they need the variable.
 */
export function resolveSecretKey(configured: string | undefined, dataDir: string): SecretKeyResult {
  const how = "32 random bytes as 64 hex digits or base64, e.g. `openssl rand -hex 32`";
  if (configured) {
    const key = parseSecretKey(configured);
    return key
      ? { ok: true, key, source: "env" }
      : {
          ok: false,
          reason: `COLDTRAIL_SECRET_KEY must be ${how} (got ${configured.trim().length} characters)`,
        };
  }
  const file = join(dataDir, "secret-key");
  if (existsSync(file)) {
    const key = parseSecretKey(readFileSync(file, "utf8"));
    return key
      ? { ok: true, key, source: "file" }
      : {
          ok: false,
          reason: `${file} must hold ${how}; restore it from a backup (alert channel secrets sealed with it do not open without it)`,
        };
  }
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString("hex")}\n`, { mode: 0o600 });
  return { ok: true, key, source: "generated" };
}
