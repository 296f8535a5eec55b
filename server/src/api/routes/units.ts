import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { httpError } from "../../errors.js";
import type { UnitReadings } from "../../readings/unit-readings.js";
import type { Caller } from "../../registry/caller.js";
import type { Probes } from "../../registry/probes.js";
import type { Unit, Units } from "../../registry/units.js";
import { resolveProfile } from "../../rules/index.js";
import type { OwnerFacts } from "../owner-lookup.js";
import { errorResponses } from "../schemas/common.js";
import { unitDetail, unitList, unitReadings, unitView as unitViewSchema } from "../schemas/units.js";
import { duration, isoTime, toIso } from "../time.js";

const DAY_MS = 86_400_000;
/** Raw readings a request may return; ask for buckets (`every`) over longer spans. */
export const MAX_RAW_READINGS = 100_000;

const idParams = z.object({ id: z.string().min(1).max(128) });

export const rangeQuery = z
  .object({
    from: isoTime.optional(),
    to: isoTime.optional(),
    every: duration.optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, "from must be before to");

/**
 * Bounds on what one request may ask a store for (issue #14): frozen milk is kept up to 12
 * months, so a year and a month covers any batch's whole history; buckets wider than a month
 * say nothing a chart can show; times before 2000 or after 2100 are typing mistakes.
 */
export const MAX_RANGE_MS = 397 * DAY_MS;
export const MAX_EVERY_MS = 31 * DAY_MS;
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);

/** Range defaults: the last 24 hours up to now. Refuses (400) ranges and bucket widths out of bounds. */
export function resolveRange(
  q: { from?: number | undefined; to?: number | undefined; every?: number | undefined },
  nowMs: number,
) {
  const toMs = q.to ?? nowMs;
  const fromMs = q.from ?? toMs - DAY_MS;
  const bad = (m: string) => httpError("CT_ERR_BAD_REQUEST", m);
  for (const [name, ms] of [
    ["from", fromMs],
    ["to", toMs],
  ] as const) {
    if (ms < EARLIEST_MS || ms > LATEST_MS) {
      throw bad(`${name} must be between 2000-01-01 and 2100-01-01, got ${new Date(ms).toISOString()}`);
    }
  }
  if (fromMs >= toMs) throw bad(`from (${toIso(fromMs)}) must be before to (${toIso(toMs)})`);
  if (toMs - fromMs > MAX_RANGE_MS) {
    throw bad(
      `from..to spans ${Math.ceil((toMs - fromMs) / DAY_MS)} days, more than ${MAX_RANGE_MS / DAY_MS}: ask for a shorter range`,
    );
  }
  if (q.every !== undefined) {
    if (q.every > MAX_EVERY_MS) {
      throw bad(
        `every must be at most ${MAX_EVERY_MS / DAY_MS}d, got ${q.every / 1000}s: use a smaller bucket`,
      );
    }
    if (q.every > toMs - fromMs) {
      throw bad(
        `every (${q.every / 1000}s) is longer than from..to (${(toMs - fromMs) / 1000}s): use a smaller bucket or a longer range`,
      );
    }
  }
  return { fromMs, toMs };
}

export interface UnitsDeps {
  units: Units;
  probes: Pick<Probes, "attachmentsOfUnit">;
  unitReadings: UnitReadings;
  /** Open (unresolved) alerts of a unit. */
  openAlertsOf(unitId: string): Promise<number>;
  /** A unit's unresolved alerts split into open (nobody acknowledged yet) and acknowledged. */
  alertCountsOf(unitId: string): Promise<{ open: number; acknowledged: number }>;
  /** Whether a probe is online now: heard recently and not announced offline. */
  probeOnline(probeId: string, nowMs: number): boolean;
  /** Owner names and sites as this caller may see them (one lookup per request). */
  ownersFor(caller: Caller): (ownerId: string) => Promise<OwnerFacts | null>;
  /** A unit was created (e.g. to announce it to Home Assistant). */
  onUnitChanged(unitId: string): void;
  now(): number;
}

const resolvedProfileOf = (unit: Unit) => {
  const r = resolveProfile({
    kind: unit.kind,
    profileId: unit.profile,
    site: unit.site,
    overrides: unit.profileOverrides,
  });
  return r.ok ? r.profile : null;
};

export async function unitView(
  ctx: Omit<UnitsDeps, "units" | "onUnitChanged">,
  unit: Unit,
  ownerOf: (ownerId: string) => Promise<OwnerFacts | null>,
) {
  const nowMs = ctx.now();
  const attached = ctx.probes.attachmentsOfUnit(unit.id, nowMs, nowMs + 1).map((a) => a.probeId);
  const last = await ctx.unitReadings.latest(unit.id, nowMs);
  const owner = await ownerOf(unit.ownerId);
  const safe = resolvedProfileOf(unit)?.safe;
  return {
    id: unit.id,
    name: unit.name,
    kind: unit.kind,
    site: unit.site,
    profile: unit.profile,
    profileOverrides: unit.profileOverrides,
    ownerId: unit.ownerId,
    createdAt: toIso(unit.createdMs),
    probes: attached,
    lastReading: last
      ? { ts: toIso(last.tsMs), temp_c: last.tempC, ageS: Math.round((nowMs - last.tsMs) / 1000) }
      : null,
    openAlerts: await ctx.openAlertsOf(unit.id),
    alertCounts: await ctx.alertCountsOf(unit.id),
    probesOnline: attached.filter((id) => ctx.probeOnline(id, nowMs)),
    ownerName: owner?.name ?? null,
    ownerSite: owner?.site ?? null,
    safeRange: safe ? { minC: safe.minC, maxC: safe.maxC } : null,
  };
}

/** Units: freezers, fridges and cool bags, and their readings. */
export const unitsPlugin: FastifyPluginAsyncZod<UnitsDeps> = async (app, ctx) => {
  app.post(
    "/api/v1/units",
    {
      schema: {
        description: "A freezer, fridge or cool bag where milk is kept.",
        body: z.strictObject({
          name: z.string().trim().min(1, "name must not be empty").max(200),
          kind: z.enum(["freezer", "fridge", "cool-bag"]),
          site: z.enum(["household", "milk-bank"]).optional(),
          profile: z.string().min(1).max(64).optional(),
        }),
        response: { 201: unitViewSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const unit = await ctx.units.create(req.caller, req.body, ctx.now());
      ctx.onUnitChanged(unit.id);
      return reply.status(201).send(await unitView(ctx, unit, ctx.ownersFor(req.caller)));
    },
  );

  app.patch(
    "/api/v1/units/:id",
    {
      schema: {
        description:
          'Staff pick another rule profile or override its numbers, e.g. {"profileOverrides":{"limits":"uk-nhs","high.forMin":45}}; null clears the overrides. Verdicts name the profile and numbers they used.',
        params: idParams,
        body: z.strictObject({
          name: z.string().trim().min(1).max(200).optional(),
          profile: z.string().min(1).max(64).optional(),
          profileOverrides: z.record(z.string(), z.unknown()).nullable().optional(),
        }),
        response: { 200: unitDetail, ...errorResponses },
      },
    },
    async (req) => {
      const unit = await ctx.units.update(
        req.caller,
        req.params.id,
        req.body,
        (u) => {
          const r = resolveProfile({
            kind: u.kind,
            profileId: u.profile,
            site: u.site,
            overrides: u.profileOverrides,
          });
          return r.ok ? null : r.reason;
        },
        ctx.now(),
      );
      return {
        ...(await unitView(ctx, unit, ctx.ownersFor(req.caller))),
        resolvedProfile: resolvedProfileOf(unit),
      };
    },
  );

  app.get("/api/v1/units", { schema: { response: { 200: unitList, ...errorResponses } } }, async (req) => {
    const ownerOf = ctx.ownersFor(req.caller);
    return {
      units: await Promise.all((await ctx.units.list(req.caller)).map((u) => unitView(ctx, u, ownerOf))),
    };
  });

  app.get(
    "/api/v1/units/:id",
    { schema: { params: idParams, response: { 200: unitDetail, ...errorResponses } } },
    async (req) => {
      const unit = await ctx.units.get(req.caller, req.params.id);
      // The profile's numbers, e.g. for the dashboard's safe-limit line.
      return {
        ...(await unitView(ctx, unit, ctx.ownersFor(req.caller))),
        resolvedProfile: resolvedProfileOf(unit),
      };
    },
  );

  app.get(
    "/api/v1/units/:id/readings",
    {
      schema: {
        params: idParams,
        querystring: rangeQuery,
        response: { 200: unitReadings, ...errorResponses },
      },
    },
    async (req) => {
      const unit = await ctx.units.get(req.caller, req.params.id);
      const { fromMs, toMs } = resolveRange(req.query, ctx.now());
      const base = { unitId: unit.id, from: toIso(fromMs), to: toIso(toMs) };
      if (req.query.every !== undefined) {
        const buckets = await ctx.unitReadings.bucketed(unit.id, fromMs, toMs, req.query.every);
        return {
          ...base,
          every: `${req.query.every / 1000}s`,
          readings: buckets.map((b) => ({
            ts: toIso(b.startMs),
            temp_c: b.meanC,
            min_c: b.minC,
            mean_c: b.meanC,
            max_c: b.maxC,
            count: b.count,
          })),
        };
      }
      const rows = await ctx.unitReadings.raw(unit.id, fromMs, toMs);
      if (rows.length > MAX_RAW_READINGS) {
        throw httpError(
          "CT_ERR_BAD_REQUEST",
          `${rows.length} readings in that range, more than ${MAX_RAW_READINGS}: narrow from/to or add every=5m for buckets`,
        );
      }
      return {
        ...base,
        readings: rows.map((r) => ({ ts: toIso(r.tsMs), temp_c: r.tempC, probeId: r.probeId })),
      };
    },
  );
};
