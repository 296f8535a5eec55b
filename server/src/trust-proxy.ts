/**
 * COLDTRAIL_TRUST_PROXY: which reverse proxies' X-Forwarded-For fastify believes (its
 * `trustProxy`, through proxy-addr). Only named proxies or a hop count: trusting every sender
 * would let any client pick the address rate limits count it under.
 */
import { isIP } from "node:net";

/** Addresses or CIDRs of trusted proxies, a number of hops, or false for none. */
export type TrustProxy = false | number | string[];

export type TrustProxyResult = { ok: true; value: TrustProxy } | { ok: false; reason: string };

const HINT = "list proxy addresses or CIDRs (127.0.0.1,10.0.0.0/8) or give a number of hops (1)";

function isAddressOrCidr(entry: string): boolean {
  const [address = "", prefix, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

export function parseTrustProxy(raw: string): TrustProxyResult {
  const text = raw.trim();
  if (text === "") return { ok: true, value: false };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops >= 1 && hops <= 10) return { ok: true, value: hops };
    return { ok: false, reason: `COLDTRAIL_TRUST_PROXY hop count must be 1 to 10, got ${text}` };
  }
  const entries = text.split(",").map((e) => e.trim());
  const bad = entries.find((e) => !isAddressOrCidr(e));
  if (bad !== undefined)
    return { ok: false, reason: `COLDTRAIL_TRUST_PROXY: "${bad}" is not an IP address or CIDR; ${HINT}` };
  return { ok: true, value: entries };
}
