import { z } from "zod";
import {
  band,
  isoString,
  milkState,
  reason,
  reviewDecision,
  ruleProfile,
  unitKind,
  verdictCore,
} from "./common.js";

export const reviewView = z.strictObject({
  decision: reviewDecision,
  comment: z.string(),
  by: z.string().describe("The reviewer's account id"),
  byName: z.string().nullable().describe("The reviewer's name"),
  at: isoString,
  showToRecipient: z.boolean().describe("Staff chose to show this comment on the public passport"),
});

export const batchDetail = z.strictObject({
  id: z.string(),
  code: z.string(),
  passportUrl: z.string(),
  ownerId: z.string(),
  donorRef: z.string().nullable(),
  expressedAt: isoString,
  volumeMl: z.number().nullable(),
  initialState: z.enum(["fresh", "frozen", "thawed"]),
  container: z.enum(["bag", "bottle"]),
  ...verdictCore.shape,
  review: reviewView.nullable().describe("The latest staff review, shown beside the computed verdict"),
  reviews: z.array(reviewView),
  custody: z.array(
    z.strictObject({
      unitId: z.string().nullable(),
      unitName: z.string().nullable(),
      unitKind: unitKind.nullable(),
      from: isoString,
      to: isoString.nullable(),
      leftHow: z
        .enum(["handed-over", "fed", "discarded", "unknown"])
        .nullable()
        .describe("Set on a stay that ended with the batch leaving monitored custody"),
    }),
  ),
  monitoringEndedAt: isoString
    .nullable()
    .describe("When the batch left monitored custody (its verdict is as of then), or null while monitored"),
  profiles: z.array(z.strictObject({ unitId: z.string(), profile: ruleProfile })),
});

export const batchCreated = z.strictObject({ id: z.string(), code: z.string(), passportUrl: z.string() });

export const batchSummary = z.strictObject({
  id: z.string(),
  code: z.string(),
  expressedAt: isoString,
  volumeMl: z.number().nullable(),
  unitId: z.string().nullable(),
  unitName: z
    .string()
    .nullable()
    .describe("The unit the batch is in now; null once it left monitored custody"),
  verdict: band,
  reasons: z.array(reason),
  state: milkState,
});

export const batchList = z.strictObject({
  batches: z.array(batchSummary),
  next: z
    .string()
    .nullable()
    .describe("Pass as `after` for the next page; null when there are no more batches"),
});

export const reviewCreated = z.strictObject({ id: z.number().int(), ...reviewView.shape });

export const auditList = z.strictObject({
  audit: z.array(
    z.strictObject({
      id: z.number().int(),
      at: isoString,
      actor: z.string().describe("The account id of who did it"),
      actorName: z.string().nullable().describe("That person's name; null for the server itself"),
      action: z.string(),
      entity: z.string(),
      entityId: z.string(),
      details: z.unknown(),
    }),
  ),
});
