/**
 * Response schemas shared by several route plugins. These modules import zod and nothing of the
 * server, so the dashboard can take its API types from them (`import type`).
 */
import { z } from "zod";

/** ISO 8601 date-time, UTC, as the API writes times. */
export const isoString = z.string().describe("ISO 8601 date-time, UTC");

/** Every error answer: `{"error":{"code","message"}}` (server/src/errors.ts lists the codes). */
export const errorBody = z
  .strictObject({ error: z.strictObject({ code: z.string(), message: z.string() }) })
  .describe("An error: a stable code and a message saying what was wrong and what to do");

/** The error answers every route may give, next to its own 2xx. */
export const errorResponses = { "4xx": errorBody, "5xx": errorBody } as const;

export const band = z.enum(["safe", "check", "do-not-use"]);
export const unitKind = z.enum(["freezer", "fridge", "cool-bag"]);
export const unitSite = z.enum(["household", "milk-bank"]);

const bandedLimit = z.strictObject({ rule: z.string(), safeMaxH: z.number(), checkMaxH: z.number() });
const runRule = { rule: z.string(), clearC: z.number(), forMin: z.number(), clearAfterMin: z.number() };

/** A resolved rule profile: the numbers a verdict used, each citing its RULES.md row. */
export const ruleProfile = z.strictObject({
  id: z.string(),
  kind: unitKind,
  label: z.string(),
  safe: z.strictObject({ minC: z.number().nullable(), maxC: z.number(), frozenMaxC: z.number() }),
  high: z.strictObject({ ...runRule, aboveC: z.number() }),
  low: z.strictObject({ ...runRule, belowC: z.number() }).nullable(),
  cumulative: z.strictObject({ windowH: z.number(), maxMin: z.number() }).nullable(),
  thaw: z.strictObject({
    frozenMaxC: z.number(),
    thawAboveC: z.number(),
    hysteresisC: z.number(),
    airAboveC: z.number(),
    airClearC: z.number(),
    airForMin: z.number(),
  }),
  milkTauMin: z.strictObject({ bag: z.number(), bottle: z.number() }),
  room: z.strictObject({ aboveC: z.number(), hotAboveC: z.number() }),
  gap: z.strictObject({ factor: z.number(), checkAfterMin: z.number() }),
  coverage: z.strictObject({ checkBelowPct: z.number() }),
  sensor: z.strictObject({
    minC: z.number(),
    maxC: z.number(),
    maxStepCPerMin: z.number(),
    sentinelsC: z.array(z.number()).readonly(),
    stuckMin: z.number().describe("A value unchanged this long is a stuck probe (RULES.md §3)"),
    disconnectedC: z.number().describe("The driver's no-probe value, worded as a disconnection"),
  }),
  monitorMilk: z.enum(["frozen", "liquid"]),
  limits: z.strictObject({
    id: z.string(),
    freshCold: bandedLimit,
    freshWarm: bandedLimit,
    room: bandedLimit,
    frozen: bandedLimit,
    thawedCold: bandedLimit,
    thawedRoom: bandedLimit,
    coolBag: bandedLimit,
    frozenInBag: z.strictObject({ rule: z.string(), checkAfterH: z.number() }),
  }),
  overrides: z.record(z.string(), z.number()),
});

/** One reason of a verdict: its band, the RULES.md row it applies and plain words. */
export const reason = z.strictObject({
  code: z.string(),
  band,
  rule: z.string().describe("RULES.md row or section, e.g. FZ-1, §4"),
  message: z.string(),
  from: isoString.optional(),
  to: isoString.nullable().optional(),
  values: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).optional(),
});

export const milkState = z.enum(["fresh", "frozen", "thawing", "thawed"]);

/** What every verdict carries: the band, its reasons, stats, state and running time limits. */
export const verdictCore = z.strictObject({
  verdict: band,
  reasons: z.array(reason),
  stats: z.strictObject({
    minC: z.number().nullable(),
    maxC: z.number().nullable(),
    meanC: z.number().nullable(),
    mktC: z.number().nullable(),
    minutesOutOfRange: z.number(),
    monitoredPct: z.number(),
  }),
  state: milkState,
  everThawed: z.boolean(),
  thawedAt: isoString.nullable(),
  budgets: z.array(
    z.strictObject({
      limit: z.string(),
      band: z.enum(["check", "do-not-use"]),
      until: isoString.nullable(),
      remainingMinutes: z.number(),
    }),
  ),
  asOf: isoString,
});

export const reviewDecision = z.enum(["release", "hold", "discard"]);
