import { createHmac } from "node:crypto";
import type { AlertChannel, TargetCheck } from "./types.js";
import { postJson } from "./webhook-post.js";
import {
  checkTargetAtDelivery,
  type Lookup,
  type WebhookTargetPolicy,
  withoutUserinfo,
} from "./webhook-target-guard.js";

/** `sha256=<hex HMAC-SHA256 of the raw body>` (DESIGN.md "HTTP API"; the scheme GitHub uses). */
export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export const checkWebhookTarget: TargetCheck = (target) => {
  try {
    const u = new URL(target);
    if (u.protocol === "http:" || u.protocol === "https:") return null;
  } catch {
    // falls through to the message
  }
  return `target of a webhook channel must be an http:// or https:// URL, got "${target.slice(0, 120)}"`;
};

/**
 * Webhook: a JSON POST of the alert, signed with the channel's secret. 2xx = delivered; anything
 * else (or no answer within timeoutMs) is retried by the outbox with the same body, signature
 * and `X-Coldtrail-Delivery`, so receivers drop duplicates by that id.
 */
export function createWebhookChannel(opts: {
  timeoutMs: number;
  userAgent?: string;
  /** Where webhooks may go (webhook-target-guard.ts); checked again before every delivery. */
  policy: WebhookTargetPolicy;
  lookup?: Lookup;
}): AlertChannel {
  return {
    kind: "webhook",
    async send(alert, d) {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "user-agent": opts.userAgent ?? "coldtrail-alerts/1",
        "x-coldtrail-delivery": d.deliveryId,
        "x-coldtrail-event": alert.event,
      };
      if (d.channel.secret) headers["x-coldtrail-signature-256"] = signatureOf(d.body, d.channel.secret);
      const allowed = await checkTargetAtDelivery(d.channel.target, opts.policy, opts.lookup);
      if (!allowed.ok) return { ok: false, reason: `refused: ${allowed.reason}` };
      // A URL's user:password goes as Basic authentication, never into a message or the log.
      const url = new URL(d.channel.target);
      if (url.username || url.password) {
        const user = decodeURIComponent(url.username);
        const pass = decodeURIComponent(url.password);
        headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
      }
      // Redirects are not followed (a 3xx could point anywhere, past the checks above).
      const res = await postJson(new URL(withoutUserinfo(d.channel.target)), headers, d.body, {
        timeoutMs: opts.timeoutMs,
        policy: opts.policy,
      });
      if ("error" in res) return { ok: false, reason: `webhook unreachable: ${res.error}`.slice(0, 300) };
      if (res.status >= 200 && res.status < 300) return { ok: true };
      return { ok: false, reason: `webhook answered HTTP ${res.status}` };
    },
  };
}
