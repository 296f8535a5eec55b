import { Readable } from "node:stream";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { readingsCsv } from "../../exports/readings-csv.js";
import { renderBatchReport } from "../../exports/report-pdf.js";
import { reportChart } from "../../exports/report-readings.js";
import type { UnitReadings } from "../../readings/unit-readings.js";
import type { Batches } from "../../registry/batches.js";
import { knownUnit, type Units } from "../../registry/units.js";
import type { BatchVerdicts } from "../../verdicts/batch-verdict.js";
import { readingsCsv as readingsCsvSchema, reportPdf } from "../schemas/batch-exports.js";
import { errorResponses } from "../schemas/common.js";
import { timeZoneQuery } from "../time.js";

const idParams = z.object({ id: z.string().min(1).max(128) });

export interface BatchExportsDeps {
  batches: Pick<Batches, "get" | "custody" | "reviews" | "auditOf">;
  batchVerdicts: BatchVerdicts;
  units: Pick<Units, "byId">;
  unitReadings: UnitReadings;
  /** COLDTRAIL_TIME_ZONE: the report's zone when the request names none; default UTC. */
  timeZone?: string;
  now(): number;
}

/** A code is letters and digits, but a file name is built from it: keep it to those. */
const fileCode = (code: string) => code.replace(/[^0-9A-Za-z]/g, "");

/**
 * A batch's exports for a milk bank's records (issue #11): the readings behind its verdict as CSV,
 * streamed a day at a time, and a PDF report. Same tenant rules as GET /batches/{id}.
 */
export const batchExportsPlugin: FastifyPluginAsyncZod<BatchExportsDeps> = async (app, ctx) => {
  app.get(
    "/api/v1/batches/:id/readings.csv",
    {
      schema: {
        description:
          "The readings behind the batch's verdict, across its custody chain, as CSV (`ts,temp_c,unit,probe`).",
        params: idParams,
        response: { 200: readingsCsvSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const batch = await ctx.batches.get(req.caller, req.params.id);
      const nowMs = ctx.now();
      // Each unit by its name as it is now (as on the batch page); the batch's custody is visible
      // to whoever may see the batch, whoever owns the units it passed through.
      const stays = (await ctx.batches.custody(batch.id)).map((c) => ({
        ...c,
        unitName: c.unitId ? knownUnit(ctx.units, c.unitId).name : null,
      }));
      reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="batch-${fileCode(batch.code)}-readings.csv"`)
        .header("cache-control", "no-store");
      // A stream skips the JSON serializer; the schema above only documents the body.
      return reply.send(Readable.from(readingsCsv(ctx.unitReadings, stays, nowMs)) as unknown as string);
    },
  );

  app.get(
    "/api/v1/batches/:id/report.pdf",
    {
      schema: {
        description:
          "The batch report (PDF, A4): verdict, reasons in `tz` (default COLDTRAIL_TIME_ZONE), chart, custody, reviews, audit.",
        params: idParams,
        querystring: z.object({ tz: timeZoneQuery }),
        response: { 200: reportPdf, ...errorResponses },
      },
    },
    async (req, reply) => {
      const batch = await ctx.batches.get(req.caller, req.params.id);
      const nowMs = ctx.now();
      const timeZone = req.query.tz ?? ctx.timeZone ?? "UTC";
      const { custody, verdict } = await ctx.batchVerdicts.compute(batch, nowMs, { timeZone });
      const milkFrozen = (verdict.state === "frozen" || verdict.state === "thawing") && !verdict.everThawed;
      const stays = custody.map((c) => ({ ...c, unitName: c.unit?.name ?? null }));
      const last = custody.at(-1);
      const pdf = await renderBatchReport({
        code: batch.code,
        expressedAtMs: batch.expressedAtMs,
        volumeMl: batch.volumeMl,
        container: batch.container,
        state: verdict.state,
        everThawed: verdict.everThawed,
        verdict: verdict.verdict,
        asOfMs: verdict.asOfMs,
        monitoringEndedMs: last && last.toMs !== null ? last.toMs : null,
        reasons: verdict.reasons,
        custody: custody.map((c) => ({
          unitName: c.unit?.name ?? (c.unitId ? c.unitId : null),
          unitKind: c.unit?.kind ?? null,
          fromMs: c.fromMs,
          toMs: c.toMs,
          leftHow: c.leftHow,
        })),
        reviews: (await ctx.batches.reviews(batch.id)).map((r) => ({
          decision: r.decision,
          comment: r.comment,
          by: r.actorName ?? r.actor,
          atMs: r.atMs,
        })),
        audit: (await ctx.batches.auditOf(batch.id)).map((a) => ({
          at: a.at,
          actor: a.actorName ?? a.actor,
          action: a.action,
          details: a.details,
        })),
        chart: await reportChart(ctx.unitReadings, stays, verdict.profiles, milkFrozen, nowMs),
        generatedAtMs: nowMs,
        generatedBy: req.caller.name ?? req.caller.accountId,
        timeZone,
      });
      reply
        .type("application/pdf")
        .header("content-disposition", `attachment; filename="batch-${fileCode(batch.code)}-report.pdf"`)
        .header("cache-control", "no-store");
      return reply.send(pdf as unknown as string);
    },
  );
};
