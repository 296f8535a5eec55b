import { z } from "zod";
import { ALERT_KINDS, ALERT_STATES, CHANNEL_KINDS } from "../../alerts/types.js";
import { isoString } from "./common.js";

export const alertKind = z.enum(ALERT_KINDS);
export const alertState = z.enum(ALERT_STATES);

/** An alert as the API, webhooks, SSE and MQTT show it; absent optional fields are left out. */
export const alertView = z.strictObject({
  id: z.string(),
  kind: alertKind,
  state: alertState,
  severity: z.enum(["info", "warning", "critical"]),
  title: z.string(),
  message: z.string(),
  unitId: z.string().nullable(),
  unitName: z.string().nullable(),
  probeId: z.string().nullable(),
  batchIds: z.array(z.string()),
  batches: z
    .array(z.strictObject({ id: z.string(), code: z.string().nullable() }))
    .optional()
    .describe("The batches of batchIds with their passport codes (API answers only)"),
  startedAt: isoString,
  openedAt: isoString,
  updatedAt: isoString,
  clearedAt: isoString.optional(),
  acknowledgedAt: isoString.optional(),
  acknowledgedBy: z.string().optional().describe("The account id of who acknowledged"),
  acknowledgedByName: z.string().optional().describe("That person's name (API answers only)"),
  comment: z.string().optional(),
  resolvedAt: isoString.optional(),
  resolvedBy: z.string().optional().describe('The account id of who resolved, or "system"'),
  resolvedByName: z.string().optional().describe("That person's name (API answers only)"),
  resolveComment: z.string().optional(),
  lastNotifiedAt: isoString.optional(),
  escalationLevel: z.number().int(),
  occurrences: z.number().int(),
  details: z.record(z.string(), z.unknown()),
  url: z.string().optional().describe("The unit's page in the dashboard"),
});

export const alertList = z.strictObject({ alerts: z.array(alertView) });

export const deliveryView = z.strictObject({
  deliveryId: z.string(),
  channelId: z.string(),
  channelKind: z.enum(CHANNEL_KINDS),
  event: z.string(),
  eventId: z.number().int(),
  status: z.enum(["pending", "delivered", "failed", "cancelled"]),
  attempts: z.number().int(),
  nextAttemptAt: isoString.nullable(),
  lastError: z.string().nullable(),
  createdAt: isoString.nullable(),
  deliveredAt: isoString.nullable(),
});

export const alertDetail = z.strictObject({
  ...alertView.shape,
  deliveries: z.array(deliveryView),
  history: z.array(
    z.strictObject({
      at: isoString,
      actor: z.string(),
      actorName: z.string().nullable().describe("The person's name; null for the server itself"),
      action: z.string(),
      details: z.unknown(),
    }),
  ),
});

export const alertStream = z
  .string()
  .describe(
    "text/event-stream: `id: <eventId>`, `event: alert`, `data: <alert with event, eventId, eventAt>`",
  );

export const channelView = z.strictObject({
  id: z.string(),
  kind: z.enum(CHANNEL_KINDS),
  target: z.string(),
  hasSecret: z.boolean(),
  unitIds: z.array(z.string()).nullable(),
  alertKinds: z.array(alertKind).nullable(),
  minEscalation: z.number().int(),
  createdAt: isoString.nullable(),
});

export const channelCreated = z.strictObject({
  ...channelView.shape,
  secret: z.string().optional().describe("A webhook's signing secret, generated and shown once"),
});

export const channelList = z.strictObject({ channels: z.array(channelView) });

export const noContent = z.null().describe("No content");
