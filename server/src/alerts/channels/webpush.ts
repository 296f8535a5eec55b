/**
 * Web push (RFC 8030 delivery, RFC 8291 aes128gcm encryption, RFC 8292 VAPID): one channel per
 * browser subscription, created through `POST /api/v1/push/subscriptions`. The `web-push` package
 * encrypts the payload and signs the VAPID JWT; the request itself goes through `postJson`, so a
 * push endpoint is held to the same address policy as a webhook. A 404 or 410 from the push
 * service means the browser dropped the subscription: the channel is removed (its pending
 * deliveries cancelled) instead of being retried for ever.
 */
import webPush from "web-push";
import type { VapidKeys } from "../push/vapid.js";
import type { AlertPayload } from "../view.js";
import type { AlertChannel, TargetCheck } from "./types.js";
import { postJson } from "./webhook-post.js";
import type { WebhookTargetPolicy } from "./webhook-target-guard.js";

/** Push channels are made by subscribing a browser, never by POST /api/v1/channels. */
export const checkWebpushTarget: TargetCheck = () =>
  "web push channels are created by a browser subscribing: POST /api/v1/push/subscriptions with its PushSubscription";

/** The keys a browser's PushSubscription carries (base64url), kept in the channel's `secret`. */
export interface PushKeys {
  p256dh: string;
  auth: string;
}

/** What the service worker shows: short enough for a phone's lock screen (push payloads ≤ 4 KB). */
export interface PushMessage {
  title: string;
  body: string;
  /** Same-origin path the notification opens. */
  url: string;
  /** One notification per alert: a reminder replaces the earlier one. */
  tag: string;
  alertId: string;
}

const PREFIX: Record<string, string> = {
  reminder: "Reminder: ",
  escalated: "Escalated: ",
  acknowledged: "Acknowledged: ",
  resolved: "Resolved: ",
  cleared: "Back to normal: ",
  reopened: "Again: ",
  test: "",
};

export function pushMessage(a: AlertPayload): PushMessage {
  const state = a.state === "resolved" ? "resolved" : a.state === "acknowledged" ? "acknowledged" : "open";
  return {
    title: `${PREFIX[a.event] ?? ""}${a.title}`.slice(0, 200),
    body: a.message.slice(0, 1000),
    url: `/alerts?state=${state}`,
    tag: `coldtrail-${a.id}`,
    alertId: a.id,
  };
}

export function createWebpushChannel(opts: {
  vapid: VapidKeys;
  timeoutMs: number;
  policy: WebhookTargetPolicy;
  /** The push service says the subscription is gone: delete the channel. */
  onGone(channelId: string): void;
}): AlertChannel {
  return {
    kind: "webpush",
    async send(alert, d) {
      let keys: PushKeys;
      try {
        keys = JSON.parse(d.channel.secret ?? "") as PushKeys;
      } catch {
        return {
          ok: false,
          reason: "web push channel has no subscription keys: subscribe the browser again",
        };
      }
      let details: ReturnType<typeof webPush.generateRequestDetails>;
      try {
        details = webPush.generateRequestDetails(
          { endpoint: d.channel.target, keys },
          JSON.stringify(pushMessage(alert)),
          {
            vapidDetails: opts.vapid,
            contentEncoding: "aes128gcm",
            // An alert nobody sees within a day is stale; reminders follow anyway.
            TTL: 86_400,
            urgency: alert.severity === "critical" ? "high" : "normal",
            topic: alert.id.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 32),
          },
        );
      } catch (e) {
        return {
          ok: false,
          reason: `web push: could not encrypt for this subscription: ${(e as Error).message}`,
        };
      }
      const headers = Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k, String(v)]));
      const r = await postJson(new URL(details.endpoint), headers, details.body ?? Buffer.alloc(0), {
        timeoutMs: opts.timeoutMs,
        policy: opts.policy,
      });
      if ("error" in r) return { ok: false, reason: `web push: ${r.error}` };
      if (r.status === 404 || r.status === 410) {
        opts.onGone(d.channel.id);
        return {
          ok: false,
          reason: `web push: the push service answered ${r.status} (subscription expired or revoked); subscription removed`,
        };
      }
      if (r.status >= 200 && r.status < 300) return { ok: true };
      return { ok: false, reason: `web push: the push service answered HTTP ${r.status}` };
    },
  };
}
