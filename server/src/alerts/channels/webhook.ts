import { createHmac } from "node:crypto";
import type { AlertChannel, TargetCheck } from "./types.js";

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
export function createWebhookChannel(opts: { timeoutMs: number; userAgent?: string }): AlertChannel {
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
      try {
        const res = await fetch(d.channel.target, {
          method: "POST",
          headers,
          body: d.body,
          redirect: "manual",
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        // Read (and drop) the body so the connection can be reused.
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) return { ok: true };
        return { ok: false, reason: `webhook answered HTTP ${res.status}` };
      } catch (e) {
        const err = e as Error & { cause?: { code?: string } };
        return {
          ok: false,
          reason: `webhook unreachable: ${err.cause?.code ?? err.name}: ${err.message}`.slice(0, 300),
        };
      }
    },
  };
}
