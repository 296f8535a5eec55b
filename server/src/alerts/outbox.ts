import type { Db } from "../db/open.js";
import type { Logger } from "../logger.js";
import type { ChannelStore } from "./channel-store.js";
import type { AlertChannel } from "./channels/types.js";
import type { ChannelKind } from "./types.js";
import type { AlertPayload } from "./view.js";

export interface OutboxOptions {
  channels: ChannelStore;
  media: ReadonlyMap<ChannelKind, AlertChannel>;
  log: Logger;
  now(): number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

/** Back-off before attempt n+1 after n failures: doubles from min, capped at max. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/**
 * Delivers the outbox: per channel the oldest undelivered row first (so a receiver that was down
 * gets alerts in order once it is back), channels in parallel. A failure is retried with
 * exponential back-off for as long as it takes; nothing is dropped. Rows were written in the same
 * transaction as their alert change, so a crash between commit and send only delays them.
 */
export function createOutbox(db: Db, opts: OutboxOptions) {
  const heads = db.prepare(
    `SELECT o.id, o.delivery_id, o.event_id, o.channel_id, o.attempts, o.next_attempt_ms, e.body
       FROM alert_outbox o LEFT JOIN alert_event e ON e.id = o.event_id
      WHERE o.id IN (SELECT min(id) FROM alert_outbox WHERE status IN ('pending', 'failed') GROUP BY channel_id)`,
  );
  const delivered = db.prepare(
    "UPDATE alert_outbox SET status = 'delivered', attempts = attempts + 1, delivered_ms = ?, last_error = NULL WHERE id = ?",
  );
  const failed = db.prepare(
    "UPDATE alert_outbox SET status = 'failed', attempts = attempts + 1, next_attempt_ms = ?, last_error = ? WHERE id = ? AND status != 'cancelled'",
  );
  const pendingCount = db
    .prepare("SELECT count(*) FROM alert_outbox WHERE status IN ('pending', 'failed')")
    .pluck();

  const inFlight = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let scheduled = false;

  async function deliver(row: Record<string, unknown>): Promise<void> {
    const id = row.id as number;
    const attempt = (row.attempts as number) + 1;
    const channel = opts.channels.get(row.channel_id as string);
    let result: { ok: true } | { ok: false; reason: string };
    if (!channel) result = { ok: false, reason: "channel not found" };
    else if (row.body === null) result = { ok: false, reason: "event body missing" };
    else {
      const medium = opts.media.get(channel.kind);
      result = medium
        ? await medium
            .send(JSON.parse(row.body as string) as AlertPayload, {
              deliveryId: row.delivery_id as string,
              attempt,
              body: row.body as string,
              channel,
            })
            .catch((e: Error) => ({ ok: false as const, reason: `send threw: ${e.message}` }))
        : { ok: false, reason: `no ${channel.kind} sender configured on this server` };
    }
    const nowMs = opts.now();
    if (result.ok) {
      delivered.run(nowMs, id);
      opts.log.info({ deliveryId: row.delivery_id, channelId: row.channel_id, attempt }, "alert.delivered");
    } else {
      const waitMs = backoffMs(attempt, opts.minBackoffMs, opts.maxBackoffMs);
      failed.run(nowMs + waitMs, result.reason, id);
      opts.log.warn(
        {
          deliveryId: row.delivery_id,
          channelId: row.channel_id,
          attempt,
          retryInMs: waitMs,
          reason: result.reason,
        },
        "alert.delivery_failed",
      );
    }
  }

  function schedule(delayMs: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = null;
        pump();
      },
      Math.max(0, delayMs),
    );
    timer.unref();
  }

  /** Starts every due head whose channel is idle; schedules the next look. */
  function pump(): void {
    scheduled = false;
    // A pump queued by setImmediate may fire after stop(): the database may be closed by then.
    if (!running) return;
    const nowMs = opts.now();
    let nextMs = Number.POSITIVE_INFINITY;
    for (const row of heads.all() as Record<string, unknown>[]) {
      const channelId = row.channel_id as string;
      if (inFlight.has(channelId)) continue;
      const due = row.next_attempt_ms as number;
      if (due > nowMs) {
        nextMs = Math.min(nextMs, due);
        continue;
      }
      const p = deliver(row)
        .catch((e: Error) => opts.log.error({ err: e.message, channelId }, "alert.outbox_error"))
        .finally(() => {
          inFlight.delete(channelId);
          poke();
        });
      inFlight.set(channelId, p);
    }
    // Poll now and then as well: rows may be added by another process sharing the file.
    if (Number.isFinite(nextMs)) schedule(Math.min(nextMs - nowMs, 5000));
    else schedule(5000);
  }

  function poke(): void {
    if (!running || scheduled) return;
    scheduled = true;
    setImmediate(pump);
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      poke();
    },
    /** New rows were committed. */
    poke,
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      await Promise.all(inFlight.values());
    },
    /** Undelivered rows (pending or failed, waiting for a retry). */
    depth: () => pendingCount.get() as number,
    /** Resolves once nothing is undelivered, or rejects after timeoutMs. */
    async drain(timeoutMs = 10_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      while ((pendingCount.get() as number) > 0 || inFlight.size > 0) {
        if (Date.now() > until)
          throw new Error(
            `alert outbox not drained after ${timeoutMs} ms (${pendingCount.get()} undelivered)`,
          );
        poke();
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
export type Outbox = ReturnType<typeof createOutbox>;
