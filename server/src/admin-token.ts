import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The bootstrap admin token: COLDTRAIL_ADMIN_TOKEN, or one generated at first start, kept in the
 * data directory (mode 0600) and printed once on stderr — never logged.
 */
export function resolveAdminToken(
  configured: string | undefined,
  dataDir: string,
): { token: string; generated: boolean } {
  if (configured) return { token: configured, generated: false };
  const file = join(dataDir, "admin-token");
  if (existsSync(file)) return { token: readFileSync(file, "utf8").trim(), generated: false };
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}
