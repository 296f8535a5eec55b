import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { notFound } from "../../errors.js";
import type { UnitReadings } from "../../readings/unit-readings.js";
import type { Batches } from "../../registry/batches.js";
import { describeReason, parentSummary } from "../../rules/index.js";
import type { BatchVerdicts } from "../../verdicts/batch-verdict.js";
import { localDay } from "../local-day.js";
import { errorResponses } from "../schemas/common.js";
import { passport } from "../schemas/passports.js";
import { timeZoneQuery, toIso } from "../time.js";
import { verdictCore } from "./batches.js";

/** At most this many points in a passport's chart; longer histories are bucketed. */
const MAX_CHART_POINTS = 2000;
const MINUTE_MS = 60_000;

/** Keys that could identify a donor, a household or a device; never in a passport. */
const PRIVATE_KEYS = new Set(["unitId", "unitName", "probeId", "donorRef", "ownerId", "name"]);
const scrub = <V>(values: Record<string, V> | undefined): Record<string, V> | undefined =>
  values ? Object.fromEntries(Object.entries(values).filter(([k]) => !PRIVATE_KEYS.has(k))) : undefined;

export interface PassportsDeps {
  batches: Pick<Batches, "byCode" | "reviews">;
  batchVerdicts: BatchVerdicts;
  unitReadings: UnitReadings;
  /** The zone words and dates use when the page names none (COLDTRAIL_TIME_ZONE); default UTC. */
  timeZone?: string;
  now(): number;
}

async function chart(
  ctx: PassportsDeps,
  custody: { unitId: string | null; fromMs: number; toMs: number | null }[],
  nowMs: number,
) {
  const spans = custody.filter((c) => c.unitId).map((c) => ({ ...c, toMs: c.toMs ?? nowMs }));
  const total = spans.reduce((a, c) => a + Math.max(0, c.toMs - c.fromMs), 0);
  const everyMs = Math.max(MINUTE_MS, Math.ceil(total / MAX_CHART_POINTS / MINUTE_MS) * MINUTE_MS);
  const points: { ts: string; temp_c: number; min_c?: number; max_c?: number }[] = [];
  for (const c of spans) {
    if (c.toMs <= c.fromMs) continue;
    if (total <= MAX_CHART_POINTS * MINUTE_MS) {
      for (const r of await ctx.unitReadings.raw(c.unitId as string, c.fromMs, c.toMs))
        points.push({ ts: toIso(r.tsMs), temp_c: r.tempC });
    } else {
      for (const b of await ctx.unitReadings.bucketed(c.unitId as string, c.fromMs, c.toMs, everyMs)) {
        points.push({
          ts: toIso(Math.max(b.startMs, c.fromMs)),
          temp_c: b.meanC,
          min_c: b.minC,
          max_c: b.maxC,
        });
      }
    }
  }
  return { everyMs: total <= MAX_CHART_POINTS * MINUTE_MS ? null : everyMs, points };
}

/**
 * The public passport of a batch, for a recipient who scanned its QR label: a plain summary
 * (headline, use-by date, lines), verdict and reasons in parent words, stats, custody as unit kinds
 * and times, and readings for a chart. No donor identity, no unit names or ids, no probe ids, no
 * staff names, and the expression date without its minute: the unguessable code is the only key.
 */
export const passportsPlugin: FastifyPluginAsyncZod<PassportsDeps> = async (app, ctx) => {
  app.get(
    "/api/v1/passports/:code",
    {
      schema: {
        description: "Public, no token: a batch's verdict and history without the donor's identity.",
        security: [],
        params: z.object({
          code: z.string().regex(/^[0-9A-Za-z]{8,32}$/, "a passport code is 8-32 letters and digits"),
        }),
        querystring: z.object({ tz: timeZoneQuery }),
        response: { 200: passport, ...errorResponses },
      },
      config: { auth: "public" },
    },
    async (req, reply) => {
      const batch = ctx.batches.byCode(req.params.code);
      if (!batch) throw notFound("passport", req.params.code);
      const nowMs = ctx.now();
      const tz = req.query.tz ?? ctx.timeZone ?? "UTC";
      const bv = await ctx.batchVerdicts.compute(batch, nowMs, { timeZone: tz });
      const core = verdictCore(bv.verdict);
      // Only a review staff chose to show; its author is never named.
      const review = ctx.batches
        .reviews(batch.id)
        .filter((r) => r.showToRecipient)
        .at(-1);
      const readings = await chart(ctx, bv.custody, nowMs);
      const last = bv.custody.at(-1);
      const expressed = localDay(batch.expressedAtMs, tz);
      const summary = parentSummary(bv.verdict, { timeZone: tz, expressedAtMs: batch.expressedAtMs });
      reply.header("cache-control", "no-store");
      return {
        code: batch.code,
        expressedOn: expressed.date,
        expressedAt: toIso(expressed.startMs),
        volumeMl: batch.volumeMl,
        ...core,
        summary,
        reasons: bv.verdict.reasons.map((r, i) => {
          const { from, ...view } = core.reasons[i] as (typeof core.reasons)[number];
          return {
            ...view,
            // The time before custody starts at expressing, whose minute a passport never shows.
            ...(from !== undefined && r.fromMs !== batch.expressedAtMs && { from }),
            message: describeReason(r, { timeZone: tz, audience: "parent" }),
            ...(r.values && { values: scrub(r.values) }),
          };
        }),
        review: review
          ? { decision: review.decision, comment: review.comment, at: toIso(review.atMs) }
          : null,
        monitoringEndedAt: last && last.toMs !== null ? toIso(last.toMs) : null,
        custody: bv.custody.map((c) => ({
          kind: c.unit?.kind ?? ("out-of-custody" as const),
          site: c.unit?.site ?? null,
          from: toIso(c.fromMs),
          to: c.toMs === null ? null : toIso(c.toMs),
        })),
        profiles: bv.verdict.profiles.map((p) => p.profile),
        readings: readings.points,
        readingsEvery: readings.everyMs === null ? null : `${readings.everyMs / 1000}s`,
      };
    },
  );
};
