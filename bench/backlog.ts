/**
 * A journaled backlog forwarded into InfluxDB, as after an outage of the store: the journal, the
 * forwarder and the InfluxDB store alone (no broker, no ingest), with the pipeline's batch size and
 * concurrency. Compare with the `replay` part's ceiling (influxd alone, raw line protocol).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../server/src/db/open.js";
import { createForwarder } from "../server/src/journal/forwarder.js";
import { createJournal } from "../server/src/journal/journal.js";
import { createLogger } from "../server/src/logger.js";
import type { Reading } from "../server/src/reading.js";
import { FORWARDING } from "../server/src/readings/pipeline.js";
import { createInfluxReadingsStore } from "../server/src/stores/influx.js";
import { uniqueDatabaseName } from "../test/influxd.js";

export async function forwardBacklog(opts: {
  influxUrl: string;
  runs: number;
  messages: number;
  readingsPerMessage: number;
  probes: number;
  log: (msg: string) => void;
}): Promise<{ rates: number[]; cpuUsPerReading: number[] }> {
  const rates: number[] = [];
  const cpuUsPerReading: number[] = [];
  for (let run = 0; run < opts.runs; run++) {
    const dir = mkdtempSync(join(tmpdir(), "coldtrail-bench-backlog-"));
    const db = openDatabase(dir);
    const journal = createJournal(db, { maxWaitMs: 0 });
    const t0 = Date.now() - 30 * 86_400_000;
    for (let m = 0; m < opts.messages; m++) {
      const rows: Reading[] = [];
      for (let k = 0; k < opts.readingsPerMessage; k++) {
        const n = m * opts.readingsPerMessage + k;
        rows.push({
          probeId: `p_backlog${m % opts.probes}`,
          tsMs: t0 + n * 1000,
          tempC: -19 + (n % 32) / 16,
          seq: n,
          serverTimed: false,
        });
      }
      await journal.append(rows, Date.now());
    }
    const store = createInfluxReadingsStore({ url: opts.influxUrl, database: uniqueDatabaseName("backlog") });
    await store.latest("warm-up"); // CREATE DATABASE outside the clock
    let stored = 0;
    const forwarder = createForwarder(journal, store, createLogger("silent"), {
      ...FORWARDING,
      minBackoffMs: 250,
      maxBackoffMs: 15_000,
      onStored: (rows) => {
        stored += rows.length;
      },
    });
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await forwarder.drain(600_000);
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    rates.push((stored * 1000) / elapsedMs);
    cpuUsPerReading.push((cpu.user + cpu.system) / stored);
    opts.log(
      `backlog run ${run + 1}/${opts.runs}: ${Math.round(rates[run] as number)} readings/s forwarded, CPU ${(cpuUsPerReading[run] as number).toFixed(2)} µs a reading`,
    );
    await forwarder.stop();
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rates, cpuUsPerReading };
}
