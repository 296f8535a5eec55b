/**
 * Issue #11's exports over a year: one batch in a freezer whose probe sent a reading a minute for
 * 365 days (525 600 readings in SQLite). Measures GET /batches/{id}/readings.csv (streamed a day
 * at a time) beside its ceiling, the store's own range read of the same year, and the peak
 * resident memory the server process gained while it answered; then GET /report.pdf.
 */

import { rmSync } from "node:fs";
import type { Reading } from "../server/src/reading.js";
import { ADMIN } from "../server/src/registry/caller.js";
import { createSqliteReadingsStore } from "../server/src/stores/sqlite.js";
import { benchServer } from "./coldtrail.js";

const DAY = 86_400_000;

export interface ExportsResult {
  rows: number;
  csvMs: number[];
  rangeMs: number[];
  csvPeakRssGainMiB: number;
  pdfMs: number[];
  pdfBytes: number;
}

/** Peak resident memory above the start while `job` runs, sampled every 20 ms. */
async function peakRssGain<T>(job: () => Promise<T>): Promise<{ value: T; gainMiB: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const value = await job();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, gainMiB: (peak - base) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

export async function batchExportsOfAYear(runs: number, log: (m: string) => void): Promise<ExportsResult> {
  const { app, dir } = await benchServer({});
  try {
    const { parts } = app;
    const end = Date.now();
    const start = end - 365 * DAY;
    const unit = await parts.units.create(ADMIN, { name: "Freezer, bay 1", kind: "freezer" }, start);
    const { probe } = await parts.probes.create(ADMIN, {}, start);
    await parts.probes.attach(ADMIN, probe.id, unit.id, start, start);
    let written = 0;
    for (let from = start; from < end; from += 30 * DAY) {
      const chunk: Reading[] = [];
      for (let t = from; t < Math.min(end, from + 30 * DAY); t += 60_000)
        chunk.push({
          probeId: probe.id,
          tsMs: t,
          tempC: -20 + (written++ % 7) / 16,
          seq: written,
          serverTimed: false,
        });
      await parts.store.write(chunk);
    }
    log(`exports: stored ${written} readings`);
    const batch = await parts.batches.create(
      ADMIN,
      { unitId: unit.id, expressedAtMs: start - DAY, atMs: start, state: "frozen" },
      end,
    );
    const auth = { authorization: `Bearer ${app.adminToken}` };
    const out: ExportsResult = {
      rows: 0,
      csvMs: [],
      rangeMs: [],
      csvPeakRssGainMiB: 0,
      pdfMs: [],
      pdfBytes: 0,
    };
    for (let i = 0; i < runs; i++) {
      const r0 = performance.now();
      // The SQLite store itself, not the readings cache in front of it (which holds the year by now).
      const rows = await createSqliteReadingsStore(parts.db).range(probe.id, start, end);
      out.rangeMs.push(performance.now() - r0);
      const t0 = performance.now();
      const { value: lines, gainMiB } = await peakRssGain(async () => {
        const res = await fetch(`${app.httpUrl}/api/v1/batches/${batch.id}/readings.csv`, { headers: auth });
        let n = 0;
        // Counted as it arrives: the client holds no more of it than the server does.
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
          n += decoder.decode(chunk, { stream: true }).split("\n").length - 1;
        return n;
      });
      out.csvMs.push(performance.now() - t0);
      out.csvPeakRssGainMiB = Math.max(out.csvPeakRssGainMiB, gainMiB);
      out.rows = lines - 1;
      if (out.rows !== rows.length)
        throw new Error(`CSV has ${out.rows} rows; the store holds ${rows.length}`);
      const p0 = performance.now();
      const pdf = await fetch(`${app.httpUrl}/api/v1/batches/${batch.id}/report.pdf`, { headers: auth });
      out.pdfBytes = (await pdf.arrayBuffer()).byteLength;
      out.pdfMs.push(performance.now() - p0);
    }
    return out;
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
