import { PROBE_ID_PATTERN } from "@coldtrail/firmware-bridge/protocol";
import { z } from "zod";
import { UNIT_MODEL_IDS } from "../models/registry.js";

/**
 * A scenario file: units, the probes in them, and what happens when (minutes from the start).
 * Example files are in `examples/`.
 */
const ref = z.string().min(1).max(64);
const atMin = z.number().min(0, "atMin is minutes from the start of the scenario and must be ≥ 0");

const unitEvent = <K extends string>(kind: K) => z.strictObject({ atMin, kind: z.literal(kind), unit: ref });

export const scenarioEventSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    atMin,
    kind: z.literal("door-open"),
    unit: ref,
    durationS: z.number().positive().max(86_400),
  }),
  unitEvent("door-ajar"),
  unitEvent("door-close"),
  unitEvent("power-cut"),
  unitEvent("power-restore"),
  unitEvent("defrost"),
  z.strictObject({ atMin, kind: z.literal("ambient"), unit: ref, tempC: z.number().min(-40).max(60) }),
  /** The milk moves from `unit` to `to` (donor freezer → cool bag → recipient freezer). */
  z.strictObject({ atMin, kind: z.literal("move"), unit: ref, to: ref }),
  /** The probe loses Wi-Fi (for `durationMin`, or until a `wifi-restore`) and buffers its readings. */
  z.strictObject({
    atMin,
    kind: z.literal("wifi-loss"),
    probe: ref,
    durationMin: z.number().positive().optional(),
  }),
  z.strictObject({ atMin, kind: z.literal("wifi-restore"), probe: ref }),
]);

export const deviceOptionsSchema = z.strictObject({
  offsetC: z.number().min(-2).max(2).optional(),
  noiseSdC: z.number().min(0).max(1).optional(),
  clockDriftPpm: z.number().min(-1000).max(1000).optional(),
  clockOffsetMs: z.number().int().min(-600_000).max(600_000).optional(),
  hasClock: z.boolean().optional(),
  initialBatteryPct: z.number().min(0).max(100).optional(),
  bufferCapacity: z.number().int().min(1).max(1_000_000).optional(),
  publishEvery: z.number().int().min(1).max(500).optional(),
  duplicateProbability: z.number().min(0).max(1).optional(),
  reorderProbability: z.number().min(0).max(1).optional(),
  resolutionBits: z.union([z.literal(9), z.literal(10), z.literal(11), z.literal(12)]).optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  seed: z.number().int().min(0).max(0xffff_ffff).default(1),
  durationH: z
    .number()
    .positive()
    .max(24 * 90, "durationH is at most 90 days"),
  /** ISO 8601 start; default: so that the scenario ends now (every reading is in the past). */
  start: z.iso.datetime({ offset: true }).optional(),
  units: z
    .array(
      z.strictObject({
        id: ref,
        model: z.enum(UNIT_MODEL_IDS as [string, ...string[]]),
        name: z.string().max(200).optional(),
        loadFraction: z.number().min(0).max(1.5).optional(),
        /** The milk's start temperature; null for a unit that starts without milk (it may be moved in). */
        milkC: z.number().min(-40).max(40).nullable().optional(),
        /** Mass of the milk, kg; default: the model's (about eight 150 mL bags). */
        milkKg: z.number().positive().max(100).optional(),
        ambientC: z.number().min(-40).max(60).optional(),
      }),
    )
    .min(1),
  probes: z
    .array(
      z.strictObject({
        id: z.string().regex(PROBE_ID_PATTERN, "probe id must be 3-64 characters of [A-Za-z0-9_-]"),
        unit: ref,
        intervalS: z.number().min(1).max(86_400).default(60),
        device: deviceOptionsSchema.optional(),
      }),
    )
    .min(1),
  events: z.array(scenarioEventSchema).default([]),
  /** What the server should conclude; carried through and printed, checked by end-to-end tests. */
  expect: z
    .strictObject({
      verdicts: z
        .array(
          z.strictObject({
            unit: ref,
            verdict: z.enum(["safe", "check", "do-not-use"]),
            note: z.string().optional(),
          }),
        )
        .optional(),
      alerts: z
        .array(z.strictObject({ kind: z.string(), unit: ref, note: z.string().optional() }))
        .optional(),
    })
    .optional(),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioEvent = z.infer<typeof scenarioEventSchema>;

export type ParsedScenario = { ok: true; scenario: Scenario } | { ok: false; reason: string };

/** Validates a parsed JSON scenario, including that every reference names a declared unit or probe. */
export function parseScenario(value: unknown): ParsedScenario {
  const r = scenarioSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join(".") : "scenario"}: ${i.message}`);
    return { ok: false, reason: `scenario is not valid: ${issues.join("; ")}` };
  }
  const s = r.data;
  const units = new Set<string>();
  for (const u of s.units) {
    if (units.has(u.id)) return { ok: false, reason: `units: id "${u.id}" is declared twice` };
    units.add(u.id);
  }
  const probes = new Set<string>();
  for (const p of s.probes) {
    if (probes.has(p.id)) return { ok: false, reason: `probes: id "${p.id}" is declared twice` };
    if (!units.has(p.unit)) return { ok: false, reason: `probes.${p.id}: unknown unit "${p.unit}"` };
    probes.add(p.id);
  }
  for (const [i, e] of s.events.entries()) {
    if ("unit" in e && !units.has(e.unit))
      return { ok: false, reason: `events.${i}: unknown unit "${e.unit}"` };
    if (e.kind === "move" && !units.has(e.to))
      return { ok: false, reason: `events.${i}: unknown unit "${e.to}"` };
    if ("probe" in e && !probes.has(e.probe))
      return { ok: false, reason: `events.${i}: unknown probe "${e.probe}"` };
    if (e.atMin > s.durationH * 60)
      return {
        ok: false,
        reason: `events.${i}: atMin ${e.atMin} is after the scenario's end (${s.durationH * 60} min)`,
      };
  }
  return { ok: true, scenario: s };
}
