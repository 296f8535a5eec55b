/**
 * One HTTP POST of a webhook body, connecting only to addresses the target policy allows: the
 * host name is resolved by the connection itself through `guardedLookup`, so the address checked
 * is the address used (no second DNS answer between the check and the connection). Redirects are
 * never followed; the answer's body is read and dropped.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { checkAddress, type WebhookTargetPolicy } from "./webhook-target-guard.js";

/** A resolver that refuses (ECONNREFUSED-like error naming the rule) addresses the policy forbids. */
export function guardedLookup(policy: WebhookTargetPolicy, port: number): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (...a: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      for (const a of addresses) {
        const why = checkAddress(a.address, port, policy);
        if (why) {
          const e = Object.assign(new Error(`webhook host ${hostname} resolves to ${a.address}: ${why}`), {
            code: "EWEBHOOKTARGET",
          });
          return callback(e);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }));
      return callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}

export type PostResult = { status: number } | { error: string };

/**
 * Node keeps connections to a receiver open between deliveries. A receiver may close one that
 * sat idle just as the next POST goes out on it (ECONNRESET on a reused socket, before any
 * answer): that POST is sent once more at once on a fresh connection instead of waiting a
 * back-off. The delivery id is the same, so a receiver that did get the first drops the second.
 */
export async function postJson(
  url: URL,
  headers: Record<string, string>,
  body: string | Buffer,
  opts: { timeoutMs: number; policy: WebhookTargetPolicy },
): Promise<PostResult> {
  const first = await postOnce(url, headers, body, opts);
  return "staleSocket" in first ? postOnce(url, headers, body, opts) : first;
}

function postOnce(
  url: URL,
  headers: Record<string, string>,
  body: string | Buffer,
  opts: { timeoutMs: number; policy: WebhookTargetPolicy },
): Promise<PostResult | { error: string; staleSocket: true }> {
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port,
        path: `${url.pathname}${url.search}`,
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        lookup: guardedLookup(opts.policy, port),
        timeout: opts.timeoutMs,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
        res.on("error", (e) => resolve({ error: e.message }));
      },
    );
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error("no answer in time"), { code: "ETIMEDOUT" })),
    );
    req.on("error", (e: Error & { code?: string }) => {
      const error = `${e.code ?? e.name}: ${e.message}`;
      resolve(req.reusedSocket && e.code === "ECONNRESET" ? { error, staleSocket: true } : { error });
    });
    req.end(body);
  });
}
