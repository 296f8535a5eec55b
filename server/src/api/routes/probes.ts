import { assessTemperatureReach, FORMAT_IDS, type FormatId } from "@coldtrail/firmware-bridge/decoders";
import { PROBE_ID_PATTERN, readingsTopic } from "@coldtrail/firmware-bridge/protocol";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { normaliseBleMac } from "../../bridges/ble-mac-map.js";
import { httpError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { LiveView } from "../../registry/probe-live.js";
import type { Probe, Probes } from "../../registry/probes.js";
import { learnIntervalMs } from "../../rules/index.js";
import type { ReadingsStore } from "../../stores/types.js";
import { errorResponses } from "../schemas/common.js";
import {
  probeDetail,
  probeList,
  probeReadings,
  probeRegistered,
  probeSecret,
  probeView as probeViewSchema,
} from "../schemas/probes.js";
import { isoTime, toIso } from "../time.js";
import { MAX_RAW_READINGS, resolveRange } from "./units.js";

const idParams = z.object({ id: z.string().min(1).max(128) });

export interface ProbesDeps {
  probes: Probes;
  /** Raw readings as probes sent them. */
  store: Pick<ReadingsStore, "range">;
  log: Logger;
  /** The MQTT URL devices are told to use. */
  publicMqttUrl: () => string;
  /** Gives a probe's (new) secret to the broker: a no-op for the embedded one, a login in Mosquitto. */
  issueProbeCredentials(
    probeId: string,
    secret: string,
  ): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Live fields of a probe (battery, last seen, status), newer in memory than in the registry. */
  liveOf(probe: Probe): LiveView;
  /** A unit's probes changed (e.g. to announce it to Home Assistant). */
  onUnitChanged(unitId: string): void;
  now(): number;
}

/** How far back a learned interval looks: a day of readings. */
const LEARN_WINDOW_MS = 24 * 3_600_000;

/**
 * How often the probe reports, in seconds: as declared at registration, or (registered without
 * `intervalS`) learned as the rules learn it, from the spacing of its last day of readings.
 */
async function intervalOf(
  ctx: ProbesDeps,
  p: Probe,
): Promise<{ intervalS: number; intervalLearned: boolean }> {
  if (p.intervalDeclared) return { intervalS: p.expectedIntervalMs / 1000, intervalLearned: false };
  const nowMs = ctx.now();
  const rows = await ctx.store.range(p.id, nowMs - LEARN_WINDOW_MS, nowMs + 1);
  const sorted = rows.map((r) => ({ tsMs: r.tsMs, tempC: r.tempC })).sort((a, b) => a.tsMs - b.tsMs);
  return { intervalS: Math.round(learnIntervalMs(sorted) / 1000), intervalLearned: true };
}

async function probeView(ctx: ProbesDeps, p: Probe) {
  const att = ctx.probes.currentAttachment(p.id);
  return {
    id: p.id,
    name: p.name,
    ownerId: p.ownerId,
    unitId: att?.unitId ?? null,
    attachedAt: att ? toIso(att.fromMs) : null,
    calibrationOffsetC: p.calibrationOffsetC,
    bleMac: p.bleMac,
    ...(await intervalOf(ctx, p)),
    ...ctx.liveOf(p),
    createdAt: toIso(p.createdMs),
  };
}

/** Probes: registration, secrets, attachment to units, raw readings. */
export const probesPlugin: FastifyPluginAsyncZod<ProbesDeps> = async (app, ctx) => {
  app.post(
    "/api/v1/probes",
    {
      schema: {
        description: "Registers a probe. The secret is shown once: it is the probe's MQTT password.",
        body: z.strictObject({
          id: z
            .string()
            .regex(
              PROBE_ID_PATTERN,
              "id must be 3-64 characters of [A-Za-z0-9_-] (it becomes the MQTT username and topic)",
            )
            .optional(),
          name: z.string().trim().min(1).max(200).optional(),
          unitId: z.string().min(1).max(128).optional(),
          intervalS: z
            .number()
            .int()
            .min(1)
            .max(86_400)
            .optional()
            .describe(
              "How often the probe reports (default 60 s); silence longer than that is unmonitored time.",
            ),
          bleMac: z
            .string()
            .refine((v) => normaliseBleMac(v) !== undefined, "bleMac must look like AA:BB:CC:DD:EE:FF")
            .optional()
            .describe(
              "A BLE thermometer seen by a household OpenMQTTGateway/Theengs gateway (COLDTRAIL_BLE_BRIDGE_URL)",
            ),
          bleFormat: z
            .enum(FORMAT_IDS as [FormatId, ...FormatId[]])
            .optional()
            .describe(
              "The BLE sensor's advertisement format; registration then says whether it can read freezer temperatures",
            ),
          bleName: z
            .string()
            .max(64)
            .optional()
            .describe("The sensor's advertised name, to tell models apart"),
          bleBindkey: z
            .string()
            .regex(
              /^[0-9a-fA-F]{32}$/,
              "bleBindkey must be 32 hex digits (the sensor's BTHome/Xiaomi bind key)",
            )
            .optional(),
        }),
        response: { 201: probeRegistered, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { bleFormat, bleName, ...input } = req.body;
      const { probe, secret } = await ctx.probes.create(
        req.caller,
        { ...input, bleMac: input.bleMac === undefined ? undefined : normaliseBleMac(input.bleMac) },
        ctx.now(),
      );
      // Many cheap LCD thermometers cannot read freezer temperatures: say so now, not after a month.
      const warnings: string[] = [];
      if (bleFormat) {
        const reach = assessTemperatureReach({
          format: bleFormat,
          ...(bleName !== undefined && { name: bleName }),
        });
        if (!reach.ok) warnings.push(reach.message);
      }
      ctx.log.info({ probeId: probe.id, unitId: req.body.unitId ?? null }, "probe.registered");
      const issued = await ctx.issueProbeCredentials(probe.id, secret);
      if (!issued.ok) {
        throw httpError(
          "CT_ERR_UNAVAILABLE",
          `probe "${probe.id}" is registered, but the MQTT broker did not take its login (${issued.message}); once the broker is back, issue a new secret with POST /api/v1/probes/${probe.id}/secret`,
        );
      }
      if (req.body.unitId) ctx.onUnitChanged(req.body.unitId);
      return reply.status(201).send({
        id: probe.id,
        secret,
        mqtt: { url: ctx.publicMqttUrl(), username: probe.id, topic: readingsTopic(probe.id) },
        unitId: req.body.unitId ?? null,
        bleMac: probe.bleMac,
        warnings,
      });
    },
  );

  app.post(
    "/api/v1/probes/:id/secret",
    {
      schema: {
        description: "Issues a new secret (shown once); the old one stops working, at the broker too.",
        params: idParams,
        response: { 201: probeSecret, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { secret } = await ctx.probes.rotateSecret(req.caller, req.params.id, ctx.now());
      const issued = await ctx.issueProbeCredentials(req.params.id, secret);
      if (!issued.ok) {
        throw httpError(
          "CT_ERR_UNAVAILABLE",
          `the MQTT broker did not take the new login of probe "${req.params.id}" (${issued.message}); try again once it is back`,
        );
      }
      ctx.log.info({ probeId: req.params.id }, "probe.secret_rotated");
      return reply.status(201).send({
        id: req.params.id,
        secret,
        mqtt: { url: ctx.publicMqttUrl(), username: req.params.id, topic: readingsTopic(req.params.id) },
      });
    },
  );

  app.get("/api/v1/probes", { schema: { response: { 200: probeList, ...errorResponses } } }, async (req) => ({
    probes: await Promise.all((await ctx.probes.list(req.caller)).map((p) => probeView(ctx, p))),
  }));

  app.get(
    "/api/v1/probes/:id",
    { schema: { params: idParams, response: { 200: probeDetail, ...errorResponses } } },
    async (req) => ({
      ...(await probeView(ctx, await ctx.probes.get(req.caller, req.params.id))),
      attachments: ctx.probes.attachmentsOfProbe(req.params.id).map((a) => ({
        unitId: a.unitId,
        from: toIso(a.fromMs),
        to: a.toMs === null ? null : toIso(a.toMs),
      })),
    }),
  );

  app.patch(
    "/api/v1/probes/:id",
    {
      schema: {
        description:
          "Corrects the probe's calibration (staff, admin): the offset is added to every reading it ever sent, so stored verdicts are recomputed and alerts use it from the next reading.",
        params: idParams,
        body: z.strictObject({
          calibrationOffsetC: z
            .number()
            .min(-10, "calibrationOffsetC must be between −10 and 10 °C; a probe further off needs replacing")
            .max(10, "calibrationOffsetC must be between −10 and 10 °C; a probe further off needs replacing")
            .describe("°C added to the probe's raw readings, e.g. −1.0 for a probe that reads 1 °C warm"),
        }),
        response: { 200: probeViewSchema, ...errorResponses },
      },
    },
    async (req) => {
      // Another tenant's probe answers 404 like a missing one, before the role is looked at.
      await ctx.probes.get(req.caller, req.params.id);
      if (req.caller.role !== "staff" && req.caller.role !== "admin")
        throw httpError(
          "CT_ERR_FORBIDDEN",
          "only milk-bank staff or an admin may correct a probe's calibration",
        );
      const p = await ctx.probes.setCalibration(
        req.caller,
        req.params.id,
        req.body.calibrationOffsetC,
        ctx.now(),
      );
      ctx.log.info({ probeId: p.id, offsetC: p.calibrationOffsetC }, "probe.calibrated");
      return probeView(ctx, p);
    },
  );

  app.put(
    "/api/v1/probes/:id/unit",
    {
      schema: {
        description:
          "Attaches the probe to a unit from `at` (default now; may be back-dated); `unitId: null` detaches it.",
        params: idParams,
        body: z.strictObject({ unitId: z.string().min(1).max(128).nullable(), at: isoTime.optional() }),
        response: { 200: probeViewSchema, ...errorResponses },
      },
    },
    async (req) => {
      const nowMs = ctx.now();
      const atMs = req.body.at ?? nowMs;
      if (atMs > nowMs + 60_000) throw httpError("CT_ERR_BAD_REQUEST", "at must not be in the future");
      const before = ctx.probes.currentAttachment(req.params.id)?.unitId ?? null;
      await ctx.probes.attach(req.caller, req.params.id, req.body.unitId, atMs, nowMs);
      for (const unitId of new Set([before, req.body.unitId])) if (unitId) ctx.onUnitChanged(unitId);
      return await probeView(ctx, await ctx.probes.get(req.caller, req.params.id));
    },
  );

  app.get(
    "/api/v1/probes/:id/readings",
    {
      schema: {
        description: "Raw readings of one probe as it sent them (no calibration offset applied).",
        params: idParams,
        querystring: z
          .object({ from: isoTime.optional(), to: isoTime.optional() })
          .refine(
            (q) => q.from === undefined || q.to === undefined || q.from < q.to,
            "from must be before to",
          ),
        response: { 200: probeReadings, ...errorResponses },
      },
    },
    async (req) => {
      const probe = await ctx.probes.get(req.caller, req.params.id);
      const { fromMs, toMs } = resolveRange(req.query, ctx.now());
      const rows = await ctx.store.range(probe.id, fromMs, toMs);
      if (rows.length > MAX_RAW_READINGS) {
        throw httpError(
          "CT_ERR_BAD_REQUEST",
          `${rows.length} readings in that range, more than ${MAX_RAW_READINGS}: narrow from/to`,
        );
      }
      return {
        probeId: probe.id,
        from: toIso(fromMs),
        to: toIso(toMs),
        readings: rows.map((r) => ({ ts: toIso(r.tsMs), temp_c: r.tempC, seq: r.seq })),
      };
    },
  );
};
