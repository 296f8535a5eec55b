import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { httpError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { type Batch, type Batches, LEFT_HOW, type LeftHow } from "../../registry/batches.js";
import type { Reason, Verdict } from "../../rules/index.js";
import type { BatchVerdict, BatchVerdicts } from "../../verdicts/batch-verdict.js";
import {
  auditList,
  batchCreated,
  batchDetail,
  batchList,
  type batchSummary,
  reviewCreated,
} from "../schemas/batches.js";
import { errorResponses, milkState } from "../schemas/common.js";
import { isoTime, timeZoneQuery, toIso } from "../time.js";

const idParams = z.object({ id: z.string().min(1).max(128) });
const isoOrNull = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : toIso(ms));

export function reasonView(r: Reason) {
  return {
    code: r.code,
    band: r.band,
    rule: r.rule,
    message: r.message,
    ...(r.fromMs !== undefined && { from: toIso(r.fromMs) }),
    ...(r.toMs !== undefined && { to: isoOrNull(r.toMs) }),
    ...(r.values !== undefined && { values: r.values }),
  };
}

export function verdictCore(v: Verdict) {
  return {
    verdict: v.verdict,
    reasons: v.reasons.map(reasonView),
    stats: v.stats,
    state: v.state,
    everThawed: v.everThawed,
    thawedAt: isoOrNull(v.thawedAtMs),
    budgets: v.budgets.map((b) => ({
      limit: b.limit,
      band: b.band,
      until: isoOrNull(b.untilMs),
      remainingMinutes: Math.floor(b.remainingMs / 60_000),
    })),
    asOf: toIso(v.asOfMs),
  };
}

export interface BatchesDeps {
  batches: Batches;
  batchVerdicts: BatchVerdicts;
  /** Base URL for links people open (passports). */
  publicHttpUrl: () => string;
  log: Pick<Logger, "warn">;
  now(): number;
}

export function passportUrl(ctx: Pick<BatchesDeps, "publicHttpUrl">, code: string): string {
  return `${ctx.publicHttpUrl()}/p/${code}`;
}

async function batchView(ctx: BatchesDeps, bv: BatchVerdict) {
  const { batch, custody, verdict } = bv;
  const reviews = (await ctx.batches.reviews(batch.id)).map((r) => ({
    decision: r.decision,
    comment: r.comment,
    by: r.actor,
    byName: r.actorName,
    at: toIso(r.atMs),
    showToRecipient: r.showToRecipient,
  }));
  const last = custody.at(-1);
  return {
    id: batch.id,
    code: batch.code,
    passportUrl: passportUrl(ctx, batch.code),
    ownerId: batch.ownerId,
    donorRef: batch.donorRef,
    expressedAt: toIso(batch.expressedAtMs),
    volumeMl: batch.volumeMl,
    initialState: batch.initialState,
    container: batch.container,
    ...verdictCore(verdict),
    // The computed verdict stands; a staff review is shown beside it, never instead of it.
    review: reviews.at(-1) ?? null,
    reviews,
    custody: custody.map((c) => ({
      unitId: c.unitId,
      unitName: c.unit?.name ?? null,
      unitKind: c.unit?.kind ?? null,
      from: toIso(c.fromMs),
      to: isoOrNull(c.toMs),
      leftHow: c.leftHow,
    })),
    monitoringEndedAt: last && last.toMs !== null ? toIso(last.toMs) : null,
    profiles: verdict.profiles,
  };
}

/** Verdicts one list request may work out when it filters by verdict or state. */
export const MAX_SCANNED = 1000;
/** Rows read at a time while filtering. */
const SCAN_CHUNK = 100;

/** `next` names the last batch looked at: its creation time and id. */
function formatCursor(c: { createdMs: number; id: string }): string {
  return `${c.createdMs}~${c.id}`;
}

function parseCursor(s: string): { createdMs: number; id: string } {
  const m = /^(\d{1,16})~([A-Za-z0-9_-]{1,128})$/.exec(s);
  if (!m) {
    throw httpError(
      "CT_ERR_BAD_REQUEST",
      `after must be the \`next\` value of a previous page, got "${s.slice(0, 40)}": start again without it`,
    );
  }
  return { createdMs: Number(m[1]), id: m[2] as string };
}

/** One list row; a batch whose history cannot be judged reads "check" instead of failing the list. */
async function summaryOf(
  ctx: BatchesDeps,
  b: Batch,
  nowMs: number,
  timeZone: string | undefined,
): Promise<z.output<typeof batchSummary>> {
  let bv: BatchVerdict;
  try {
    bv = await ctx.batchVerdicts.compute(b, nowMs, { timeZone });
  } catch (e) {
    ctx.log.warn({ batchId: b.id, err: (e as Error).message }, "verdict.failed");
    return {
      id: b.id,
      code: b.code,
      expressedAt: toIso(b.expressedAtMs),
      volumeMl: b.volumeMl,
      unitId: null,
      unitName: null,
      verdict: "check",
      reasons: [
        {
          code: "verdict-unavailable",
          band: "check",
          rule: "§1",
          message:
            "This batch's verdict could not be worked out from its records; open the batch to see why.",
        },
      ],
      state: b.initialState,
    };
  }
  const last = bv.custody.at(-1);
  const inUnit = last !== undefined && last.toMs === null;
  return {
    id: b.id,
    code: b.code,
    expressedAt: toIso(b.expressedAtMs),
    volumeMl: b.volumeMl,
    unitId: inUnit ? last.unitId : null,
    unitName: inUnit ? (last.unit?.name ?? null) : null,
    verdict: bv.verdict.verdict,
    reasons: bv.verdict.reasons.map(reasonView),
    state: bv.verdict.state,
  };
}

/** Batches of milk: placement, moves, verdicts, staff reviews, audit. */
export const batchesPlugin: FastifyPluginAsyncZod<BatchesDeps> = async (app, ctx) => {
  app.post(
    "/api/v1/batches",
    {
      schema: {
        description: "A batch of milk placed in a unit (at `at`, default now).",
        body: z.strictObject({
          unitId: z.string().min(1).max(128),
          expressedAt: isoTime,
          at: isoTime.optional(),
          volumeMl: z.number().positive().max(10_000).optional(),
          state: z.enum(["fresh", "frozen", "thawed"]).optional(),
          thawedAt: isoTime.optional(),
          container: z.enum(["bag", "bottle"]).optional(),
          donorRef: z.string().trim().min(1).max(200).optional(),
        }),
        response: { 201: batchCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const nowMs = ctx.now();
      const b = req.body;
      const batch = await ctx.batches.create(
        req.caller,
        {
          unitId: b.unitId,
          expressedAtMs: b.expressedAt,
          atMs: b.at ?? nowMs,
          volumeMl: b.volumeMl,
          state: b.state,
          donorRef: b.donorRef,
          container: b.container,
          thawedAtMs: b.thawedAt,
        },
        nowMs,
      );
      return reply
        .status(201)
        .send({ id: batch.id, code: batch.code, passportUrl: passportUrl(ctx, batch.code) });
    },
  );

  app.post(
    "/api/v1/batches/:id/moves",
    {
      schema: {
        description:
          "The batch moved to another unit at `at`; `unitId: null` = it left monitored custody (fed, discarded).",
        params: idParams,
        querystring: z.object({ tz: timeZoneQuery }),
        body: z.strictObject({
          unitId: z.string().min(1).max(128).nullable(),
          at: isoTime.optional(),
          how: z
            .enum(LEFT_HOW as [LeftHow, ...LeftHow[]])
            .optional()
            .describe("With unitId null: how the batch left custody (handed-over, fed, discarded)"),
        }),
        response: { 200: batchDetail, ...errorResponses },
      },
    },
    async (req) => {
      const nowMs = ctx.now();
      const { unitId, at, how } = req.body;
      await ctx.batches.move(req.caller, req.params.id, { unitId, atMs: at ?? nowMs, how }, nowMs);
      const batch = await ctx.batches.get(req.caller, req.params.id);
      return batchView(ctx, await ctx.batchVerdicts.compute(batch, nowMs, { timeZone: req.query.tz }));
    },
  );

  app.get(
    "/api/v1/batches/:id",
    {
      schema: {
        params: idParams,
        querystring: z.object({ tz: timeZoneQuery }),
        response: { 200: batchDetail, ...errorResponses },
      },
    },
    async (req) => {
      const batch = await ctx.batches.get(req.caller, req.params.id);
      return batchView(ctx, await ctx.batchVerdicts.compute(batch, ctx.now(), { timeZone: req.query.tz }));
    },
  );

  app.get(
    "/api/v1/batches",
    {
      schema: {
        description:
          "The caller's batches, newest first. Verdict and state are worked out per batch, so a filtered page may look through more batches than it returns; `next` continues where it stopped.",
        querystring: z.object({
          unitId: z.string().max(128).optional(),
          code: z
            .string()
            .max(64)
            .optional()
            .describe("Exactly this code, typed loosely: any case, dashes and spaces, O for 0, I or L for 1"),
          codePrefix: z
            .string()
            .max(64)
            .optional()
            .describe("Codes starting with this, normalised as `code` is"),
          verdict: z.enum(["safe", "check", "do-not-use"]).optional(),
          state: milkState.optional().describe("The milk's state now (fresh, frozen, thawing, thawed)"),
          siteId: z.string().max(128).optional().describe("Batches whose owner belongs to this site"),
          after: z
            .string()
            .max(200)
            .optional()
            .describe("`next` from the previous page: the list continues after it"),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          tz: timeZoneQuery,
        }),
        response: { 200: batchList, ...errorResponses },
      },
    },
    async (req) => {
      const nowMs = ctx.now();
      const q = req.query;
      const after = q.after === undefined ? undefined : parseCursor(q.after);
      const filtered = q.verdict !== undefined || q.state !== undefined;
      const out: z.output<typeof batchSummary>[] = [];
      let cursor = after;
      let exhausted = false;
      let scanned = 0;
      // Without verdict or state filters one page of rows is the answer; with them, keep reading
      // pages until the list is full, the rows run out, or MAX_SCANNED verdicts were worked out.
      scan: while (out.length < q.limit && scanned < MAX_SCANNED) {
        const want = filtered ? Math.min(MAX_SCANNED - scanned, Math.max(q.limit, SCAN_CHUNK)) : q.limit;
        const chunk = await ctx.batches.list(req.caller, {
          unitId: q.unitId,
          code: q.code,
          codePrefix: q.codePrefix,
          siteId: q.siteId,
          after: cursor,
          limit: want,
        });
        for (const [i, b] of chunk.entries()) {
          scanned++;
          cursor = { createdMs: b.createdMs, id: b.id };
          const row = await summaryOf(ctx, b, nowMs, q.tz);
          if ((q.verdict && row.verdict !== q.verdict) || (q.state && row.state !== q.state)) continue;
          out.push(row);
          if (out.length >= q.limit) {
            if (i === chunk.length - 1 && chunk.length < want) exhausted = true;
            break scan;
          }
        }
        if (chunk.length < want) {
          exhausted = true;
          break;
        }
      }
      return { batches: out, next: exhausted || !cursor ? null : formatCursor(cursor) };
    },
  );

  app.post(
    "/api/v1/batches/:id/reviews",
    {
      schema: {
        description: "A staff review (release, hold, discard), shown beside the computed verdict.",
        params: idParams,
        body: z.strictObject({
          decision: z.enum(["release", "hold", "discard"]),
          comment: z.string().trim().min(1, "comment must say why").max(2000),
          showToRecipient: z
            .boolean()
            .optional()
            .describe("Show this comment on the public passport (default: staff only)"),
        }),
        response: { 201: reviewCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { decision, comment, showToRecipient } = req.body;
      const r = await ctx.batches.review(
        req.caller,
        req.params.id,
        decision,
        comment,
        ctx.now(),
        showToRecipient,
      );
      return reply.status(201).send({
        id: r.id,
        decision: r.decision,
        comment: r.comment,
        by: r.actor,
        byName: r.actorName,
        at: toIso(r.atMs),
        showToRecipient: r.showToRecipient,
      });
    },
  );

  app.get(
    "/api/v1/batches/:id/audit",
    { schema: { params: idParams, response: { 200: auditList, ...errorResponses } } },
    async (req) => {
      const b = await ctx.batches.get(req.caller, req.params.id);
      return { audit: await ctx.batches.auditOf(b.id) };
    },
  );
};
