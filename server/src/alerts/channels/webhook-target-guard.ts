/**
 * Where a webhook may POST (issue #14, SSRF): not this machine, not the cloud metadata address,
 * not a private network, and never the server's own ports — unless the operator says private
 * receivers are fine (COLDTRAIL_WEBHOOK_ALLOW_PRIVATE=1, e.g. Home Assistant on the LAN). The
 * literal host is checked when a channel is created; the addresses its name resolves to are
 * checked again before each delivery.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { networkInterfaces } from "node:os";

export interface WebhookTargetPolicy {
  /** COLDTRAIL_WEBHOOK_ALLOW_PRIVATE: loopback, link-local and private ranges are allowed. */
  allowPrivate: boolean;
  /** The ports this server listens on (HTTP, MQTT): never a webhook target on this machine. */
  ownPorts(): readonly number[];
}

export type TargetVerdict = { ok: true } | { ok: false; reason: string };

type Range = readonly [address: string, prefix: number, family: "ipv4" | "ipv6", rule: string];

/** IANA special-purpose ranges (RFC 6890 and successors) a webhook has no business reaching. */
const BLOCKED: readonly Range[] = [
  ["0.0.0.0", 8, "ipv4", "the unspecified network 0.0.0.0/8"],
  ["127.0.0.0", 8, "ipv4", "loopback 127.0.0.0/8"],
  ["169.254.0.0", 16, "ipv4", "link-local 169.254.0.0/16 (cloud metadata lives here)"],
  ["10.0.0.0", 8, "ipv4", "private 10.0.0.0/8"],
  ["172.16.0.0", 12, "ipv4", "private 172.16.0.0/12"],
  ["192.168.0.0", 16, "ipv4", "private 192.168.0.0/16"],
  ["100.64.0.0", 10, "ipv4", "carrier-grade NAT 100.64.0.0/10"],
  ["192.0.0.0", 24, "ipv4", "IETF protocol assignments 192.0.0.0/24"],
  ["198.18.0.0", 15, "ipv4", "benchmarking 198.18.0.0/15"],
  ["224.0.0.0", 4, "ipv4", "multicast 224.0.0.0/4"],
  ["240.0.0.0", 4, "ipv4", "reserved 240.0.0.0/4 and broadcast"],
  ["::", 128, "ipv6", "the unspecified address ::"],
  ["::1", 128, "ipv6", "loopback ::1"],
  ["fc00::", 7, "ipv6", "unique-local fc00::/7"],
  ["fe80::", 10, "ipv6", "link-local fe80::/10"],
  ["ff00::", 8, "ipv6", "multicast ff00::/8"],
];
/** Of the above, what COLDTRAIL_WEBHOOK_ALLOW_PRIVATE does not open: multicast and reserved. */
const ALWAYS_BLOCKED = new Set([
  "multicast 224.0.0.0/4",
  "reserved 240.0.0.0/4 and broadcast",
  "multicast ff00::/8",
]);

const lists = BLOCKED.map(([address, prefix, family, rule]) => {
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return { list, family, rule };
});

/** The 8 groups of an IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(ip: string): number[] | null {
  let s = ip.toLowerCase().split("%")[0] ?? "";
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const o = (dotted[1] as string).split(".").map(Number);
    s = `${s.slice(0, -(dotted[1] as string).length)}${((o[0] ?? 0) * 256 + (o[1] ?? 0)).toString(16)}:${((o[2] ?? 0) * 256 + (o[3] ?? 0)).toString(16)}`;
  }
  const [head, tail] = s.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = s.includes("::") ? 8 - h.length - t.length : 0;
  const groups = [...h, ...Array<string>(fill).fill("0"), ...t].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

/** An IPv4 address carried inside an IPv6 one (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64). */
function embeddedIpv4(ip: string): string | null {
  const g = ipv6Groups(ip);
  if (!g) return null;
  const zeros5 = g.slice(0, 5).every((x) => x === 0);
  const mapped = zeros5 && (g[5] === 0xffff || g[5] === 0);
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (!mapped && !nat64) return null;
  if (zeros5 && g[5] === 0 && (g[6] ?? 0) === 0) return null; // :: and ::1 themselves
  const hi = g[6] ?? 0;
  const lo = g[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

/** Why an IP address may not receive webhooks, or null. */
export function checkAddress(ip: string, port: number, policy: WebhookTargetPolicy): string | null {
  const family = isIP(ip);
  if (family === 0) return `"${ip}" is not an IP address`;
  const inner = family === 6 ? embeddedIpv4(ip) : null;
  if (inner) return checkAddress(inner, port, policy);
  const fam = family === 4 ? "ipv4" : "ipv6";
  const hit = lists.find((l) => l.family === fam && l.list.check(ip, fam));
  const isLocal =
    hit?.rule.startsWith("loopback") || hit?.rule.startsWith("the unspecified") || localAddresses().has(ip);
  if (isLocal && policy.ownPorts().includes(port)) {
    return `webhook target ${ip} port ${port} is this server's own port; point it at the receiver instead`;
  }
  if (!hit) return null;
  if (policy.allowPrivate && !ALWAYS_BLOCKED.has(hit.rule)) return null;
  return `webhook target ${ip} is in ${hit.rule}; webhooks may not reach this machine or private networks unless COLDTRAIL_WEBHOOK_ALLOW_PRIVATE=1`;
}

const defaultPort = (u: URL) => (u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80);
/** The host of a URL without IPv6 brackets; WHATWG URL already turned 2130706433, 0x7f000001 and 127.1 into 127.0.0.1. */
const bareHost = (u: URL) => u.hostname.replace(/^\[(.*)\]$/, "$1");

/** The check when a channel is created: the URL's literal host (names are checked at delivery). */
export function checkTargetUrl(target: string, policy: WebhookTargetPolicy): string | null {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    return `target of a webhook channel must be an http:// or https:// URL, got "${target.slice(0, 120)}"`;
  }
  const host = bareHost(u);
  if (isIP(host)) return checkAddress(host, defaultPort(u), policy);
  const name = host.toLowerCase().replace(/\.+$/, "");
  if (!policy.allowPrivate && (name === "localhost" || name.endsWith(".localhost"))) {
    return `webhook target ${host} is loopback (localhost); webhooks may not reach this machine unless COLDTRAIL_WEBHOOK_ALLOW_PRIVATE=1`;
  }
  return null;
}

export type Lookup = (host: string) => Promise<{ address: string }[]>;
const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** The check before each delivery: every address the host resolves to now must be allowed. */
export async function checkTargetAtDelivery(
  target: string,
  policy: WebhookTargetPolicy,
  lookup: Lookup = systemLookup,
): Promise<TargetVerdict> {
  const literal = checkTargetUrl(target, policy);
  if (literal) return { ok: false, reason: literal };
  const u = new URL(target);
  const host = bareHost(u);
  if (isIP(host)) return { ok: true };
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host);
  } catch (e) {
    return {
      ok: false,
      reason: `webhook host ${host} does not resolve: ${(e as Error).message}`.slice(0, 300),
    };
  }
  for (const a of addresses) {
    const why = checkAddress(a.address, defaultPort(u), policy);
    if (why) return { ok: false, reason: `webhook host ${host} resolves to ${a.address}: ${why}` };
  }
  return { ok: true };
}

/** A URL for logs and messages: no user or password. */
export function withoutUserinfo(target: string): string {
  try {
    const u = new URL(target);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return target.replace(/\/\/[^/@]*@/, "//");
  }
}
