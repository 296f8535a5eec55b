/**
 * The readings behind a batch's verdict as CSV (DESIGN.md: `ts,temp_c,unit,probe` with a header
 * line): every stay of its custody chain in a unit, that unit's calibrated readings over exactly
 * the stay, as the rules engine saw them. RFC 4180 quoting; text fields that a spreadsheet would
 * run as a formula get a leading apostrophe (OWASP "CSV injection").
 */
import type { UnitReadings } from "../readings/unit-readings.js";

export const CSV_HEADER = "ts,temp_c,unit,probe";

/** A day of a probe a minute is 1 440 rows: the file is written a day at a time, never held whole. */
export const CSV_CHUNK_MS = 86_400_000;

/** Characters that make Excel, LibreOffice or Sheets read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One text field: formula-guarded, then quoted when it holds a comma, quote or line break. */
export function csvText(value: string): string {
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/** A temperature without float noise from calibration offsets (−18.5 + 0.3 is −18.2, not −18.199…). */
export function csvTemp(tempC: number): string {
  // Micro-degrees are far below any probe's resolution; fault markers (1e308 …) print as they are.
  return String(Math.abs(tempC) < 1e9 ? Math.round(tempC * 1e6) / 1e6 : tempC);
}

export interface CsvStay {
  unitId: string | null;
  unitName: string | null;
  fromMs: number;
  toMs: number | null;
}

/**
 * The CSV, line by line (header first), a day of readings per yielded chunk. Stays out of
 * monitored custody have no readings; an open stay runs to `nowMs`.
 */
export async function* readingsCsv(
  unitReadings: Pick<UnitReadings, "raw">,
  custody: readonly CsvStay[],
  nowMs: number,
): AsyncGenerator<string> {
  yield `${CSV_HEADER}\r\n`;
  for (const stay of custody) {
    if (!stay.unitId) continue;
    const unit = csvText(stay.unitName ?? stay.unitId);
    const endMs = stay.toMs ?? nowMs;
    for (let from = stay.fromMs; from < endMs; from += CSV_CHUNK_MS) {
      const rows = await unitReadings.raw(stay.unitId, from, Math.min(endMs, from + CSV_CHUNK_MS));
      if (rows.length === 0) continue;
      let out = "";
      for (const r of rows) {
        out += `${new Date(r.tsMs).toISOString()},${csvTemp(r.tempC)},${unit},${csvText(r.probeId)}\r\n`;
      }
      yield out;
    }
  }
}
