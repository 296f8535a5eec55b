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

/**
 * At most this many points in a passport's chart; longer histories are bucketed. 500 fill a phone
 * screen's width several times over and keep one anonymous request small (issue #14: 2,000 raw
 * points cost 12 MB and 1.3 s).
 */
export const MAX_CHART_POINTS = 500;
const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

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

/**
 * Passports computed at once; more wait their turn. Each holds a batch's readings in memory, and
 * the SQLite store reads synchronously: a few at a time keep /healthz and the API answering.
 */
export const PASSPORT_COMPUTATIONS_AT_ONCE = 2;

/** Lets the event loop take other requests (the store's reads do not wait on I/O). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** At most `n` of the given jobs run at once; the others start as those finish, in order. */
export function limitConcurrency(n: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

type Computed = {
  bv: Awaited<ReturnType<BatchVerdicts["compute"]>>;
  readings: Awaited<ReturnType<typeof chart>>;
};

/** Calls with the same key while one is running get that one's promise instead of starting another. */
export function singleFlight<K, V>() {
  const running = new Map<K, Promise<V>>();
  return (key: K, run: () => Promise<V>): Promise<V> => {
    const ongoing = running.get(key);
    if (ongoing) return ongoing;
    const p = run().finally(() => running.delete(key));
    running.set(key, p);
    return p;
  };
}

async function chart(
  ctx: PassportsDeps,
  custody: { unitId: string | null; fromMs: number; toMs: number | null }[],
  nowMs: number,
) {
  const spans = custody
    .filter((c) => c.unitId)
    .map((c) => ({ unitId: c.unitId as string, fromMs: c.fromMs, toMs: c.toMs ?? nowMs }))
    .filter((c) => c.toMs > c.fromMs);
  const total = spans.reduce((a, c) => a + (c.toMs - c.fromMs), 0);
  // Each span may start mid-bucket (buckets align to the epoch): one point each to spare.
  const room = Math.max(1, MAX_CHART_POINTS - spans.length);
  type Point = { ts: string; temp_c: number; min_c?: number; max_c?: number };
  // Short custody (a probe a minute would fit): raw readings, unless the probe reports so often
  // that they would not fit either.
  if (total <= room * MINUTE_MS) {
    const raw: Point[] = [];
    for (const c of spans) {
      await nextTurn();
      for (const r of await ctx.unitReadings.raw(c.unitId, c.fromMs, c.toMs))
        raw.push({ ts: toIso(r.tsMs), temp_c: r.tempC });
    }
    if (raw.length <= MAX_CHART_POINTS) return { everyMs: null, points: raw };
  }
  // Long histories in whole hours, so the chart is built from the hour rollups, not every reading.
  const step = total / room >= HOUR_MS ? HOUR_MS : SECOND_MS;
  const everyMs = Math.max(SECOND_MS, Math.ceil(total / room / step) * step);
  const points: Point[] = [];
  for (const c of spans) {
    await nextTurn();
    for (const b of await ctx.unitReadings.bucketed(c.unitId, c.fromMs, c.toMs, everyMs)) {
      points.push({
        ts: toIso(Math.max(b.startMs, c.fromMs)),
        temp_c: b.meanC,
        min_c: b.minC,
        max_c: b.maxC,
      });
    }
  }
  return { everyMs, points };
}

/**
 * The public passport of a batch, for a recipient who scanned its QR label: a plain summary
 * (headline, use-by date, lines), verdict and reasons in parent words, stats, custody as unit kinds
 * and times, and readings for a chart. No donor identity, no unit names or ids, no probe ids, no
 * staff names, and the expression date without its minute: the unguessable code is the only key.
 */
export const passportsPlugin: FastifyPluginAsyncZod<PassportsDeps> = async (app, ctx) => {
  // Concurrent requests for one batch (a label scanned by many, or a flood) share one computation.
  const shared = singleFlight<string, Computed>();
  const limited = limitConcurrency(PASSPORT_COMPUTATIONS_AT_ONCE);
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
      const batch = await ctx.batches.byCode(req.params.code);
      if (!batch) throw notFound("passport", req.params.code);
      const tz = req.query.tz ?? ctx.timeZone ?? "UTC";
      // Words differ by zone, so the zone is part of what requests share.
      const { bv, readings } = await shared(`${batch.id}|${tz}`, () =>
        limited(async () => {
          await nextTurn();
          const nowMs = ctx.now();
          const bv = await ctx.batchVerdicts.compute(batch, nowMs, { timeZone: tz });
          await nextTurn();
          return { bv, readings: await chart(ctx, bv.custody, nowMs) };
        }),
      );
      const core = verdictCore(bv.verdict);
      // Only a review staff chose to show; its author is never named.
      const review = (await ctx.batches.reviews(batch.id)).filter((r) => r.showToRecipient).at(-1);
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
