/**
 * Issue 12: the network media (webhook, email over SMTP, web push) run in a worker thread of their
 * own, so their round trips (an SMTP conversation is five or more) never wait for a turn of the
 * main event loop, which under load is busy with ingest for hundreds of milliseconds at a time.
 * The main thread keeps the outbox: it hands the thread a delivery (or a group, or a run of one
 * channel's queued deliveries) and marks each row delivered only once the thread answers that the
 * receiver accepted it. If the thread dies mid-send, the sends in flight count as failed and go
 * again (same delivery id) after the usual back-off; the next send starts a new thread.
 */
import { Worker } from "node:worker_threads";
import type { VapidKeys } from "../push/vapid.js";
import type { ChannelKind } from "../types.js";
import type { LaneOrder } from "./lane-chain.js";
import type { AlertChannel, GroupedDelivery, SendResult } from "./types.js";

/** What the thread builds its media from (structured-cloned into it). */
export interface DeliveryThreadConfig {
  timeoutMs: number;
  allowPrivate: boolean;
  smtpUrl: string | null;
  emailFrom: string;
  timeZone?: string;
  vapid: VapidKeys | null;
}

export type ThreadRequest =
  | {
      id: number;
      op: "send" | "group" | "run";
      kind: ChannelKind;
      items: readonly GroupedDelivery[];
      ownPorts: readonly number[];
      /** Sent in its lane's order, after the hand-over it names (lane-chain.ts). */
      order?: LaneOrder;
    }
  | { id: number; op: "stop" };

export type ThreadReply =
  | { id: number; results: SendResult[] }
  | { id: number; stopped: true }
  | { gone: string }
  | { ready: true };

/** The media the thread sends through: webhook always, email with an SMTP URL, web push with VAPID keys. */
export const THREAD_KINDS = (c: DeliveryThreadConfig): ChannelKind[] => [
  "webhook",
  ...(c.smtpUrl ? (["email"] as const) : []),
  ...(c.vapid ? (["webpush"] as const) : []),
];

/** How long stop() lets the thread close its SMTP connections before ending it. */
const STOP_GRACE_MS = 5000;

export function createDeliveryThread(opts: {
  config: DeliveryThreadConfig;
  /** The server's own ports, never a webhook target (read at each send). */
  ownPorts(): readonly number[];
  /** A push service said a subscription is gone. */
  onGone(channelId: string): void;
  log: { warn(o: object, msg: string): void };
}) {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, (reply: ThreadReply) => void>();

  function failAll(why: string): void {
    const reason = `delivery thread stopped (${why}); the delivery is retried`;
    for (const [id, done] of pending) done({ id, results: [{ ok: false, reason }] });
    pending.clear();
  }

  function start(): Worker {
    const w = new Worker(new URL("./thread-boot.mjs", import.meta.url), { workerData: opts.config });
    w.on("message", (m: ThreadReply) => {
      if ("gone" in m) return opts.onGone(m.gone);
      if (!("id" in m)) return;
      const done = pending.get(m.id);
      pending.delete(m.id);
      done?.(m);
      // Held open only while it owes an answer: an idle thread never keeps the process alive.
      if (pending.size === 0) w.unref();
    });
    w.on("error", (e) => {
      opts.log.warn({ err: e.message }, "alert.delivery_thread_failed");
    });
    w.once("exit", (code) => {
      if (worker === w) worker = null;
      failAll(`exit code ${code}`);
    });
    return w;
  }

  function call(m: Omit<Extract<ThreadRequest, { op: "send" | "group" | "run" }>, "id" | "ownPorts">) {
    worker ??= start();
    const w = worker;
    const id = nextId++;
    w.ref();
    return new Promise<SendResult[]>((resolve) => {
      pending.set(id, (reply) => resolve("results" in reply ? reply.results : []));
      w.postMessage({ ...m, id, ownPorts: [...opts.ownPorts()] } satisfies ThreadRequest);
    });
  }

  const first = (rs: SendResult[]): SendResult =>
    rs[0] ?? { ok: false, reason: "delivery thread sent nothing" };
  const media = new Map<ChannelKind, AlertChannel>();
  for (const kind of THREAD_KINDS(opts.config))
    media.set(kind, {
      kind,
      send: (alert, delivery) => call({ op: "send", kind, items: [{ alert, delivery }] }).then(first),
      ...(kind === "email" && {
        sendGroup: (items: readonly GroupedDelivery[], order?: LaneOrder) =>
          call({ op: "group", kind, items, ...(order && { order }) }).then(first),
      }),
      sendRun: (items, order) => call({ op: "run", kind, items, ...(order && { order }) }),
      ordersLanes: true,
    });

  return {
    media,
    /**
     * Starts the thread now, without holding the process open: compiling and loading its media
     * takes most of a second, which the first alert after a start would otherwise wait for.
     */
    warm(): void {
      if (worker) return;
      worker = start();
      worker.unref();
    },
    /** Lets the thread finish what it was given and close its connections, then ends it. */
    async stop(): Promise<void> {
      const w = worker;
      if (!w) return;
      worker = null;
      w.ref();
      const exited = new Promise<void>((r) => w.once("exit", () => r()));
      const id = nextId++;
      pending.set(id, () => undefined);
      w.postMessage({ id, op: "stop" } satisfies ThreadRequest);
      const grace = setTimeout(() => void w.terminate(), STOP_GRACE_MS);
      await exited;
      clearTimeout(grace);
    },
  };
}
export type DeliveryThread = ReturnType<typeof createDeliveryThread>;
