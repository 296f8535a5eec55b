/**
 * The server's VAPID identity (RFC 8292): the key pair push services use to know alerts come from
 * this server. From COLDTRAIL_VAPID_PUBLIC_KEY / _PRIVATE_KEY, or generated at first start and kept
 * in the data folder (`vapid.json`, mode 0600) so browsers' subscriptions survive a restart.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import webPush from "web-push";

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  /** A `mailto:` or `https:` contact for the push service's operator. */
  subject: string;
}

export type VapidResult = { ok: true; keys: VapidKeys; generated: boolean } | { ok: false; reason: string };

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Checks a key pair's shape: a 65-byte uncompressed P-256 public key and a 32-byte private key. */
export function checkVapidKeys(publicKey: string, privateKey: string): string | null {
  if (!B64URL.test(publicKey) || Buffer.from(publicKey, "base64url").length !== 65)
    return "COLDTRAIL_VAPID_PUBLIC_KEY must be a base64url P-256 public key (65 bytes, as `npx web-push generate-vapid-keys` prints)";
  if (!B64URL.test(privateKey) || Buffer.from(privateKey, "base64url").length !== 32)
    return "COLDTRAIL_VAPID_PRIVATE_KEY must be a base64url P-256 private key (32 bytes)";
  return null;
}

export function resolveVapidKeys(opts: {
  publicKey?: string | undefined;
  privateKey?: string | undefined;
  subject?: string | undefined;
  dataDir: string;
  /** The server's public URL, for the default subject when it is https. */
  publicUrl?: string | undefined;
}): VapidResult {
  const subject =
    opts.subject ??
    (opts.publicUrl?.startsWith("https://") ? opts.publicUrl : "mailto:alerts@coldtrail.invalid");
  if (!/^(mailto:|https:\/\/)/.test(subject))
    return {
      ok: false,
      reason: `COLDTRAIL_VAPID_SUBJECT must start with mailto: or https://, got "${subject.slice(0, 80)}"`,
    };
  if (opts.publicKey || opts.privateKey) {
    if (!opts.publicKey || !opts.privateKey)
      return {
        ok: false,
        reason:
          "set both COLDTRAIL_VAPID_PUBLIC_KEY and COLDTRAIL_VAPID_PRIVATE_KEY, or neither (then keys are generated)",
      };
    const why = checkVapidKeys(opts.publicKey, opts.privateKey);
    if (why) return { ok: false, reason: why };
    return {
      ok: true,
      keys: { publicKey: opts.publicKey, privateKey: opts.privateKey, subject },
      generated: false,
    };
  }
  const file = join(opts.dataDir, "vapid.json");
  if (existsSync(file)) {
    let stored: { publicKey?: unknown; privateKey?: unknown };
    try {
      stored = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      return {
        ok: false,
        reason: `${file} is not JSON (${(e as Error).message}): delete it to generate new keys`,
      };
    }
    const pub = typeof stored.publicKey === "string" ? stored.publicKey : "";
    const priv = typeof stored.privateKey === "string" ? stored.privateKey : "";
    const why = checkVapidKeys(pub, priv);
    if (why) return { ok: false, reason: `${file}: ${why}; delete it to generate new keys` };
    return { ok: true, keys: { publicKey: pub, privateKey: priv, subject }, generated: false };
  }
  const k = webPush.generateVAPIDKeys();
  writeFileSync(file, `${JSON.stringify({ publicKey: k.publicKey, privateKey: k.privateKey })}\n`, {
    mode: 0o600,
  });
  return { ok: true, keys: { publicKey: k.publicKey, privateKey: k.privateKey, subject }, generated: true };
}
