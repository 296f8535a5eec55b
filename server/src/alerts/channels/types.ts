import type { Channel, ChannelKind } from "../types.js";
import type { AlertPayload } from "../view.js";
import type { LaneOrder } from "./lane-chain.js";

/** One attempt to deliver one outbox row. */
export interface OutgoingDelivery {
  /** Unique per (event, channel) and the same on every retry. */
  deliveryId: string;
  /** 1 for the first try. */
  attempt: number;
  /** The exact JSON of the event (`alertPayload`), as stored when the change was committed. */
  body: string;
  channel: Channel;
}

export type SendResult = { ok: true } | { ok: false; reason: string };

/** One alert of a grouped message, with its own delivery. */
export interface GroupedDelivery {
  alert: AlertPayload;
  delivery: OutgoingDelivery;
}

/** One medium. `send` never throws for an expected failure; it returns the reason to retry on. */
export interface AlertChannel {
  kind: ChannelKind;
  send(alert: AlertPayload, delivery: OutgoingDelivery): Promise<SendResult>;
  /**
   * Optional: a medium that groups (email) sends 2 or more deliveries to one channel, queued
   * within the grouping window, as one message listing each in order. One result for all: the
   * outbox marks every delivery of the group delivered, or retries them together. Media without
   * it get one `send` per delivery.
   */
  sendGroup?(items: readonly GroupedDelivery[], order?: LaneOrder): Promise<SendResult>;
  /**
   * Optional: deliveries queued to one channel, each sent as its own message, one at a time and in
   * order, stopping at the first failure. One result per delivery attempted (so fewer than `items`
   * after a failure: the rest were not tried and stay queued). Without it the outbox sends them
   * itself with `send` (`sendInOrder`); the delivery thread does it without waiting on the main
   * event loop between deliveries.
   */
  sendRun?(items: readonly GroupedDelivery[], order?: LaneOrder): Promise<SendResult[]>;
  /**
   * The medium keeps each lane's order itself (`order` on sendRun and sendGroup, lane-chain.ts):
   * the outbox may hand over a lane's next deliveries before the ones before them answered. The
   * delivery thread does, so a lane's backlog never waits for the main event loop in between.
   */
  ordersLanes?: boolean;
}

/** `sendRun` through `send`: in order, one at a time, stopping at the first failure. */
export async function sendInOrder(
  medium: Pick<AlertChannel, "send">,
  items: readonly GroupedDelivery[],
): Promise<SendResult[]> {
  const results: SendResult[] = [];
  for (const item of items) {
    const r = await medium
      .send(item.alert, item.delivery)
      .catch((e: Error) => ({ ok: false as const, reason: `send threw: ${e.message}` }));
    results.push(r);
    if (!r.ok) break;
  }
  return results;
}

/** Checks a channel's target when it is created; returns a message for the API, or null if fine. */
export type TargetCheck = (target: string) => string | null;
