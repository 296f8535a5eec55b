import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  alertDetail,
  alertList,
  alertStream,
  alertView as alertViewSchema,
  channelCreated,
  channelList,
  noContent,
} from "../api/schemas/alerts.js";
import { errorResponses } from "../api/schemas/common.js";
import { httpError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { AuditEntry } from "../registry/audit.js";
import type { Units } from "../registry/units.js";
import type { ChannelStore } from "./channel-store.js";
import { TARGET_CHECKS, unavailableReason } from "./channels/registry.js";
import type { AlertChannel } from "./channels/types.js";
import { checkTargetUrl, type WebhookTargetPolicy } from "./channels/webhook-target-guard.js";
import type { AlertHub } from "./hub.js";
import type { AlertChange, AlertStore } from "./store.js";
import {
  ALERT_KINDS,
  ALERT_STATES,
  CHANNEL_KINDS,
  type Channel,
  type ChannelKind,
  type Delivery,
} from "./types.js";
import { alertView } from "./view.js";

const idParams = z.object({ id: z.string().min(1).max(128) });
const commentBody = z
  .strictObject({
    comment: z.string().trim().max(2000, "comment must be at most 2000 characters").optional(),
  })
  .nullish();
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** SSE: a comment line every 15 s keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;
/** Events replayed per query while catching a client up after Last-Event-ID. */
const REPLAY_PAGE = 500;

export interface AlertsDeps {
  store: AlertStore;
  hub: AlertHub;
  /** An alert's audit entries, oldest first, from the database its changes commit to. */
  history(alertId: string): Promise<AuditEntry[]>;
  publicUrl: () => string | null;
  now(): number;
  /** Called with committed changes made over the API (to notify the stream and the outbox). */
  committed(changes: readonly AlertChange[]): void;
}

export interface ChannelsDeps {
  channels: ChannelStore;
  media: ReadonlyMap<ChannelKind, AlertChannel>;
  /** Where webhooks may go (loopback, private ranges and own ports refused unless allowed). */
  webhookPolicy: WebhookTargetPolicy;
  /** To check the units a channel names exist (and are the caller's). */
  units: Pick<Units, "get">;
  log: Logger;
  now(): number;
}

function deliveryView(d: Delivery) {
  return {
    deliveryId: d.deliveryId,
    channelId: d.channelId,
    channelKind: d.channelKind,
    event: d.eventType,
    eventId: d.eventId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === "pending" || d.status === "failed" ? iso(d.nextAttemptMs) : null,
    lastError: d.lastError,
    createdAt: iso(d.createdMs),
    deliveredAt: iso(d.deliveredMs),
  };
}

function channelView(c: Channel) {
  return {
    id: c.id,
    kind: c.kind,
    target: c.target,
    hasSecret: c.secret !== null,
    unitIds: c.unitIds,
    alertKinds: c.alertKinds,
    minEscalation: c.minEscalation,
    createdAt: iso(c.createdMs),
  };
}

/** The alert queue, its lifecycle (ack, resolve) and the SSE stream. */
export const alertsPlugin: FastifyPluginAsyncZod<AlertsDeps> = async (app, deps) => {
  const { store, hub } = deps;
  const view = async (a: Parameters<typeof alertView>[0]) => {
    const acknowledgedByName = (await store.nameOf(a.acknowledgedBy)) ?? undefined;
    const resolvedByName = (await store.nameOf(a.resolvedBy)) ?? undefined;
    const batches: { id: string; code: string | null }[] = [];
    for (const id of a.batchIds) batches.push({ id, code: await store.codeOf(id) });
    return {
      ...alertView(a, deps.publicUrl()),
      batches,
      ...(acknowledgedByName !== undefined && { acknowledgedByName }),
      ...(resolvedByName !== undefined && { resolvedByName }),
    };
  };
  app.get(
    "/api/v1/alerts",
    {
      schema: {
        description: "The alert queue, newest first. state=active lists open and acknowledged alerts.",
        querystring: z.strictObject({
          state: z.enum([...ALERT_STATES, "active"]).optional(),
          unitId: z.string().min(1).max(128).optional(),
          kind: z.enum(ALERT_KINDS).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          before: z.string().min(1).max(128).optional(),
        }),
        response: { 200: alertList, ...errorResponses },
      },
    },
    async (req) => {
      const alerts = await store.list(req.caller, {
        state: req.query.state,
        unitId: req.query.unitId,
        kind: req.query.kind,
        limit: req.query.limit,
        beforeId: req.query.before,
      });
      return { alerts: await Promise.all(alerts.map(view)) };
    },
  );

  app.get(
    "/api/v1/alerts/stream",
    {
      schema: {
        description:
          "Server-Sent Events of alert changes (event: alert, data: the alert plus `event`, `eventId`). Resumable: send Last-Event-ID (or ?lastEventId=) to replay what came after it.",
        querystring: z.strictObject({
          lastEventId: z.coerce.number().int().min(0).optional(),
          /** For browsers' EventSource, which cannot send an Authorization header. */
          token: z.string().max(200).optional(),
        }),
        response: { 200: alertStream, ...errorResponses },
      },
      config: { auth: "token-or-query" },
    },
    async (req, reply) => {
      const header = req.headers["last-event-id"];
      let after: number | null = req.query.lastEventId ?? null;
      if (typeof header === "string" && header.trim() !== "") {
        if (!/^\d{1,15}$/.test(header.trim())) {
          throw httpError(
            "CT_ERR_BAD_REQUEST",
            `Last-Event-ID must be the id of an earlier event (a whole number), got "${header.slice(0, 40)}"`,
          );
        }
        after = Number(header.trim());
      }
      const caller = req.caller;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write("retry: 3000\n\n");
      // The stream is read from the database, in id order, from the cursor on: at start, and
      // again whenever the hub says a change committed. Ids commit in order on both backends
      // (store.ts), so a committed row never appears behind the cursor, and what the caller may
      // see is decided by the query (ownedBy), as for the replay. Subscribed before the cursor is
      // read: nothing committed in between is missed.
      let lastSent = 0;
      let ready = false;
      let pulling = false;
      let dirty = false;
      let closed = false;
      const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
      keepalive.unref();
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(keepalive);
        unsubscribe();
        deregister();
        res.end();
      };
      const pull = async (): Promise<void> => {
        if (!ready || pulling) {
          dirty = true;
          return;
        }
        pulling = true;
        try {
          do {
            dirty = false;
            for (;;) {
              const page = await store.eventsAfter(caller, lastSent, REPLAY_PAGE);
              for (const e of page) {
                if (closed) return;
                res.write(`id: ${e.id}\nevent: alert\ndata: ${e.body}\n\n`);
                lastSent = e.id;
              }
              if (page.length < REPLAY_PAGE) break;
            }
          } while (dirty && !closed);
        } catch (e) {
          req.log.warn({ err: (e as Error).message }, "alerts.stream_read_failed");
          close();
        } finally {
          pulling = false;
        }
      };
      const unsubscribe = hub.subscribe(() => void pull());
      const deregister = hub.onClose(close);
      res.on("close", close);
      lastSent = after ?? (await store.lastEventId());
      ready = true;
      await pull();
    },
  );

  app.get(
    "/api/v1/alerts/:id",
    { schema: { params: idParams, response: { 200: alertDetail, ...errorResponses } } },
    async (req) => {
      const a = await store.get(req.caller, req.params.id);
      return {
        ...(await view(a)),
        deliveries: (await store.deliveriesOf(a.id)).map(deliveryView),
        history: (await deps.history(a.id)).map((h) => ({
          at: h.at,
          actor: h.actor,
          actorName: h.actorName,
          action: h.action,
          details: h.details,
        })),
      };
    },
  );

  app.post(
    "/api/v1/alerts/:id/ack",
    {
      schema: {
        description: "Acknowledge: someone is on it. Stops escalation and the frequent reminders.",
        params: idParams,
        body: commentBody,
        response: { 200: alertViewSchema, ...errorResponses },
      },
    },
    async (req) => {
      // Answered only once the acknowledgement has committed.
      const changes = await store.acknowledge(
        req.caller,
        req.params.id,
        req.body?.comment || null,
        deps.now(),
      );
      deps.committed(changes);
      return view(await store.get(req.caller, req.params.id));
    },
  );

  app.post(
    "/api/v1/alerts/:id/resolve",
    {
      schema: {
        description: "Resolve by hand, e.g. once the milk was dealt with.",
        params: idParams,
        body: commentBody,
        response: { 200: alertViewSchema, ...errorResponses },
      },
    },
    async (req) => {
      const changes = await store.resolve(req.caller, req.params.id, req.body?.comment || null, deps.now());
      deps.committed(changes);
      return view(await store.get(req.caller, req.params.id));
    },
  );

  // Open SSE connections would keep close() waiting for ever.
  app.addHook("preClose", async () => hub.closeAll());
};

/** Where alerts go: webhook, email and MQTT channels. */
export const channelsPlugin: FastifyPluginAsyncZod<ChannelsDeps> = async (app, deps) => {
  const { channels } = deps;
  app.post(
    "/api/v1/channels",
    {
      schema: {
        description:
          "Where alerts go: kind webhook (target = URL; signed with `secret`, generated and shown once if omitted), email (target = address) or mqtt (retained state on coldtrail/v1/alerts/{unitId}).",
        body: z
          .strictObject({
            kind: z.enum(CHANNEL_KINDS),
            target: z.string().trim().max(2000).default(""),
            secret: z.string().min(16, "secret must be at least 16 characters").max(256).optional(),
            unitIds: z.array(z.string().min(1).max(128)).min(1).max(1000).optional(),
            alertKinds: z.array(z.enum(ALERT_KINDS)).min(1).optional(),
            minEscalation: z.number().int().min(0).max(9).optional(),
          })
          .superRefine((b, c) => {
            const why = TARGET_CHECKS[b.kind](b.target);
            if (why) c.addIssue({ code: "custom", path: ["target"], message: why });
            if (b.secret !== undefined && b.kind !== "webhook") {
              c.addIssue({
                code: "custom",
                path: ["secret"],
                message: `only webhook channels take a secret, not ${b.kind}`,
              });
            }
          }),
        response: { 201: channelCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const why = unavailableReason(req.body.kind, deps.media);
      if (why) throw httpError("CT_ERR_BAD_REQUEST", why);
      if (req.body.kind === "webhook") {
        const refused = checkTargetUrl(req.body.target, deps.webhookPolicy);
        if (refused) throw httpError("CT_ERR_BAD_REQUEST", `body.target: ${refused}`);
      }
      for (const unitId of req.body.unitIds ?? []) await deps.units.get(req.caller, unitId);
      const { channel, secret } = await channels.create(req.caller, req.body, deps.now());
      deps.log.info({ channelId: channel.id, kind: channel.kind }, "channel.created");
      return reply.status(201).send({ ...channelView(channel), ...(secret !== null && { secret }) });
    },
  );

  app.get(
    "/api/v1/channels",
    { schema: { response: { 200: channelList, ...errorResponses } } },
    async (req) => ({
      channels: (await channels.list(req.caller)).map(channelView),
    }),
  );

  app.delete(
    "/api/v1/channels/:id",
    { schema: { params: idParams, response: { 204: noContent, ...errorResponses } } },
    async (req, reply) => {
      await channels.delete(req.caller, req.params.id, deps.now());
      return reply.status(204).send(null);
    },
  );
};
