import { z } from "zod";

/** Not JSON: the OpenAPI document describes the body (as for the alert stream). */
export const readingsCsv = z
  .string()
  .describe(
    "text/csv; header `ts,temp_c,unit,probe`, then one row per reading behind the verdict across the custody chain (ISO 8601 UTC, calibrated °C, the unit's name, the probe id); RFC 4180 quoting, text starting with = + - @ prefixed with '",
  );

export const reportPdf = z
  .string()
  .describe(
    "application/pdf, A4: verdict, reasons, temperature chart across custody with the safe limits, custody chain, staff reviews, audit trail, generated-at and by whom",
  );
