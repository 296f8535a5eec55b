/**
 * "How I am told" for the signed-in person (issue 11): `GET|PUT /api/v1/me/notifications`, a test
 * notification, and web push: `GET /api/v1/push/key`, `POST|DELETE /api/v1/push/subscriptions`.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { noContent } from "../api/schemas/alerts.js";
import { errorResponses } from "../api/schemas/common.js";
import {
  notifyChoices,
  notifyTestResult,
  pushKey,
  pushSubscriptionCreated,
} from "../api/schemas/notifications.js";
import { httpError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Caller } from "../registry/caller.js";
import { unavailableReason } from "./channels/registry.js";
import type { AlertChannel } from "./channels/types.js";
import { checkTargetUrl, type WebhookTargetPolicy } from "./channels/webhook-target-guard.js";
import type { NotifyPrefs } from "./notify-prefs.js";
import { ALERT_KINDS, type ChannelKind } from "./types.js";
import type { AlertPayload } from "./view.js";

export interface NotifyDeps {
  prefs: NotifyPrefs;
  media: ReadonlyMap<ChannelKind, AlertChannel>;
  /** The VAPID public key browsers subscribe with; null when web push is off. */
  vapidPublicKey: string | null;
  /** Push endpoints are held to the webhook address policy (no loopback, no private ranges). */
  webhookPolicy: WebhookTargetPolicy;
  log: Logger;
  now(): number;
}

const B64URL = z.string().regex(/^[A-Za-z0-9_-]+=*$/, "must be base64url");

/** A browser's PushSubscription as `JSON.stringify(subscription)` gives it. */
const subscriptionBody = z.object({
  endpoint: z.string().trim().url("endpoint must be the push service URL the browser gave").max(2000),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({
    p256dh: B64URL.max(200).refine((k) => Buffer.from(k, "base64url").length === 65, {
      message: "keys.p256dh must be the browser's 65-byte P-256 public key (base64url)",
    }),
    auth: B64URL.max(100).refine((k) => Buffer.from(k, "base64url").length === 16, {
      message: "keys.auth must be the browser's 16-byte auth secret (base64url)",
    }),
  }),
});

/** A notification that says it is a test, in the shape every channel sends. */
function testPayload(nowMs: number): AlertPayload {
  const at = new Date(nowMs).toISOString();
  return {
    id: `test-${nowMs}`,
    kind: "excursion",
    state: "resolved",
    severity: "info",
    title: "Test notification from coldtrail",
    message: "This is a test. If you can read it, coldtrail can reach you here when your milk needs you.",
    unitId: null,
    unitName: null,
    probeId: null,
    batchIds: [],
    startedAt: at,
    openedAt: at,
    updatedAt: at,
    clearedAt: undefined,
    acknowledgedAt: undefined,
    acknowledgedBy: undefined,
    comment: undefined,
    resolvedAt: at,
    resolvedBy: undefined,
    resolveComment: undefined,
    lastNotifiedAt: undefined,
    escalationLevel: 0,
    occurrences: 1,
    details: { test: true },
    url: undefined,
    event: "test" as AlertPayload["event"],
    eventId: 0,
    eventAt: at,
  };
}

export const notifyPlugin: FastifyPluginAsyncZod<NotifyDeps> = async (app, deps) => {
  const { prefs } = deps;
  const pushReason = (): string | null =>
    deps.vapidPublicKey === null ? unavailableReason("webpush", new Map()) : null;

  async function view(caller: Caller) {
    const p = await prefs.get(caller);
    const address = await prefs.addressOf(caller);
    const emailWhy =
      address === null
        ? "your account has no email address: ask an administrator to add one"
        : unavailableReason("email", deps.media);
    const pushWhy = pushReason();
    return {
      email: {
        on: p.email,
        address,
        available: emailWhy === null,
        ...(emailWhy !== null && { unavailableReason: emailWhy }),
      },
      push: {
        available: pushWhy === null,
        ...(pushWhy !== null && { unavailableReason: pushWhy }),
        devices: p.pushDevices,
      },
      alertKinds: p.alertKinds,
    };
  }

  app.get(
    "/api/v1/me/notifications",
    {
      schema: {
        description: "How the signed-in person is told about her alerts: email, web push, which kinds.",
        response: { 200: notifyChoices, ...errorResponses },
      },
    },
    async (req) => view(req.caller),
  );

  app.put(
    "/api/v1/me/notifications",
    {
      schema: {
        description:
          "Saves the choices. email: true sends alerts to the account's own address (needs COLDTRAIL_SMTP_URL); alertKinds: which kinds reach her by email and push (the dashboard shows every alert).",
        body: z.strictObject({
          email: z.boolean(),
          alertKinds: z
            .array(z.enum(ALERT_KINDS))
            .min(1, "choose at least one kind of alert")
            .max(ALERT_KINDS.length * 2),
        }),
        response: { 200: notifyChoices, ...errorResponses },
      },
    },
    async (req) => {
      if (req.body.email) {
        const current = (await view(req.caller)).email;
        if (!current.available)
          throw httpError(
            "CT_ERR_BAD_REQUEST",
            `body.email: cannot send email: ${current.unavailableReason}`,
          );
      }
      await prefs.set(req.caller, req.body, deps.now());
      return view(req.caller);
    },
  );

  app.post(
    "/api/v1/me/notifications/test",
    {
      schema: {
        description:
          "Sends a test notification now, straight to each of the caller's email and push channels (not through the outbox), and says how each went.",
        response: { 200: notifyTestResult, ...errorResponses },
      },
    },
    async (req) => {
      const own = await prefs.ownChannels(req.caller);
      if (own.length === 0)
        throw httpError(
          "CT_ERR_BAD_REQUEST",
          "nothing to test: switch on email or push notifications on this device first",
        );
      const nowMs = deps.now();
      const body = testPayload(nowMs);
      const results = await Promise.all(
        own.map(async (channel) => {
          const medium = deps.media.get(channel.kind);
          const r = medium
            ? await (async () =>
                medium.send(body, {
                  deliveryId: `test-${channel.id}-${nowMs}`,
                  attempt: 1,
                  body: JSON.stringify(body),
                  channel: prefs.opened(channel),
                }))().catch((e: Error) => ({ ok: false as const, reason: `send threw: ${e.message}` }))
            : { ok: false as const, reason: unavailableReason(channel.kind, deps.media) ?? "not available" };
          return {
            channelId: channel.id,
            kind: channel.kind as "email" | "webpush",
            ok: r.ok,
            ...(!r.ok && { reason: r.reason }),
          };
        }),
      );
      deps.log.info({ results: results.map((r) => ({ kind: r.kind, ok: r.ok })) }, "notify.test_sent");
      return { results };
    },
  );

  app.get(
    "/api/v1/push/key",
    {
      schema: {
        description: "The server's VAPID public key, for PushManager.subscribe({ applicationServerKey }).",
        response: { 200: pushKey, ...errorResponses },
      },
    },
    async () => {
      const why = pushReason();
      if (why !== null || deps.vapidPublicKey === null)
        throw httpError("CT_ERR_UNAVAILABLE", why ?? "web push is off");
      return { publicKey: deps.vapidPublicKey };
    },
  );

  app.post(
    "/api/v1/push/subscriptions",
    {
      schema: {
        description:
          "Subscribes this browser for the caller's alerts: the body is the PushSubscription's JSON. The same endpoint again refreshes its keys (200); a new one is 201.",
        body: subscriptionBody,
        response: { 200: pushSubscriptionCreated, 201: pushSubscriptionCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const why = pushReason();
      if (why !== null) throw httpError("CT_ERR_UNAVAILABLE", why);
      const url = new URL(req.body.endpoint);
      if (url.protocol !== "https:" && !deps.webhookPolicy.allowPrivate)
        throw httpError(
          "CT_ERR_BAD_REQUEST",
          `body.endpoint: push services are reached over https, got ${url.protocol}//${url.host}`,
        );
      const refused = checkTargetUrl(req.body.endpoint, deps.webhookPolicy);
      if (refused) throw httpError("CT_ERR_BAD_REQUEST", `body.endpoint: ${refused}`);
      const { channel, created } = await prefs.subscribe(req.caller, req.body, deps.now());
      if (created) deps.log.info({ channelId: channel.id, pushHost: url.host }, "push.subscribed");
      return reply.status(created ? 201 : 200).send({ id: channel.id, endpoint: channel.target });
    },
  );

  app.delete(
    "/api/v1/push/subscriptions",
    {
      schema: {
        description: "Unsubscribes this browser (body: { endpoint }). Unknown endpoints are a 404.",
        body: z.object({ endpoint: z.string().trim().min(1).max(2000) }),
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (!(await prefs.unsubscribe(req.caller, req.body.endpoint, deps.now())))
        throw httpError(
          "CT_ERR_NOT_FOUND",
          "no push subscription of yours has that endpoint: nothing to unsubscribe",
        );
      return reply.status(204).send(null);
    },
  );
};
