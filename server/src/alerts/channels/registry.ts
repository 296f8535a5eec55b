/**
 * Every alert channel medium, one file each (STYLE.md "Registries of small definitions"): how its
 * target is checked when a channel is created, and how it sends once the module has its deps.
 */

import type { VapidKeys } from "../push/vapid.js";
import type { ChannelKind } from "../types.js";
import type { AlertView } from "../view.js";
import { checkEmailTarget, createEmailChannel } from "./email.js";
import { checkMqttTarget, createMqttChannel, type MqttPublish } from "./mqtt.js";
import { createDeliveryThread, type DeliveryThread } from "./thread.js";
import type { AlertChannel, TargetCheck } from "./types.js";
import { checkWebhookTarget, createWebhookChannel } from "./webhook.js";
import type { WebhookTargetPolicy } from "./webhook-target-guard.js";
import { checkWebpushTarget, createWebpushChannel } from "./webpush.js";

export const TARGET_CHECKS: Readonly<Record<ChannelKind, TargetCheck>> = {
  webhook: checkWebhookTarget,
  email: checkEmailTarget,
  mqtt: checkMqttTarget,
  webpush: checkWebpushTarget,
};

export interface ChannelDeps {
  timeoutMs: number;
  webhookPolicy: WebhookTargetPolicy;
  smtpUrl: string | null;
  emailFrom: string;
  mqttPublish: MqttPublish | null;
  activeOfUnit(unitId: string): Promise<AlertView[]>;
  now(): number;
  /** The zone email subjects give times in (COLDTRAIL_TIME_ZONE); default UTC. */
  timeZone?: string;
  /** The server's VAPID keys; without them, no web push. */
  vapid?: VapidKeys | null;
  /** A push service said a subscription is gone: remove its channel. */
  onPushGone?: (channelId: string) => void;
  /**
   * Webhook, email and web push send from a worker thread of their own (thread.ts), so their
   * round trips do not wait on the main event loop. Started by `warm()` (when a channel that
   * needs it exists) or at the first send.
   */
  thread?: { log: { warn(o: object, msg: string): void } };
}

/** The media this server can send through; email and mqtt only when configured. */
export function createChannels(deps: ChannelDeps): {
  channels: Map<ChannelKind, AlertChannel>;
  /** The kinds sent from the delivery thread (none without one). */
  threaded: ReadonlySet<ChannelKind>;
  /** Gets the delivery thread (if any) ready before the first send. */
  warm(): void;
  close(): Promise<void>;
} {
  const channels = new Map<ChannelKind, AlertChannel>();
  if (deps.thread) {
    const thread: DeliveryThread = createDeliveryThread({
      config: {
        timeoutMs: deps.timeoutMs,
        allowPrivate: deps.webhookPolicy.allowPrivate,
        smtpUrl: deps.smtpUrl,
        emailFrom: deps.emailFrom,
        ...(deps.timeZone !== undefined && { timeZone: deps.timeZone }),
        vapid: deps.vapid ?? null,
      },
      ownPorts: () => deps.webhookPolicy.ownPorts(),
      onGone: (id) => deps.onPushGone?.(id),
      log: deps.thread.log,
    });
    for (const [kind, medium] of thread.media) channels.set(kind, medium);
    if (deps.mqttPublish)
      channels.set(
        "mqtt",
        createMqttChannel({ publish: deps.mqttPublish, activeOfUnit: deps.activeOfUnit, now: deps.now }),
      );
    return {
      channels,
      threaded: new Set(thread.media.keys()),
      warm: () => thread.warm(),
      close: () => thread.stop(),
    };
  }
  channels.set("webhook", createWebhookChannel({ timeoutMs: deps.timeoutMs, policy: deps.webhookPolicy }));
  let email: ReturnType<typeof createEmailChannel> | null = null;
  if (deps.smtpUrl) {
    email = createEmailChannel({
      smtpUrl: deps.smtpUrl,
      from: deps.emailFrom,
      timeoutMs: deps.timeoutMs,
      ...(deps.timeZone !== undefined && { timeZone: deps.timeZone }),
    });
    channels.set("email", email);
  }
  if (deps.mqttPublish) {
    channels.set(
      "mqtt",
      createMqttChannel({ publish: deps.mqttPublish, activeOfUnit: deps.activeOfUnit, now: deps.now }),
    );
  }
  if (deps.vapid) {
    channels.set(
      "webpush",
      createWebpushChannel({
        vapid: deps.vapid,
        timeoutMs: deps.timeoutMs,
        policy: deps.webhookPolicy,
        onGone: (id) => deps.onPushGone?.(id),
      }),
    );
  }
  return {
    channels,
    threaded: new Set(),
    warm: () => undefined,
    close: async () => {
      email?.close();
    },
  };
}

/** Why a kind cannot be used on this server, or null. */
export function unavailableReason(
  kind: ChannelKind,
  available: ReadonlyMap<ChannelKind, AlertChannel>,
): string | null {
  if (available.has(kind)) return null;
  if (kind === "email")
    return "email channels need outgoing mail: set COLDTRAIL_SMTP_URL (e.g. smtp://user:pass@mail.example:587) and restart";
  if (kind === "mqtt")
    return "mqtt channels need the server's MQTT connection, which this server was not given";
  if (kind === "webpush") return "web push needs the server's VAPID keys, which this server was not given";
  return `channel kind "${kind}" is not available`;
}
