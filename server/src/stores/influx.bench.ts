/**
 * How fast readings reach InfluxDB, compared with influxd's own line-protocol ingest.
 *   npx tsx server/src/stores/influx.bench.ts [points=100000] [batch=500] [rounds=5]
 * Starts its own influxd (test/influxd.ts) unless COLDTRAIL_TEST_INFLUX_URL names one.
 * Three writers send the same readings in the same batches, one request at a time, each into its
 * own fresh database, taking turns batch by batch; the median of the rounds is reported:
 *   raw    — fetch of line protocol built before the clock starts (influxd's ceiling here)
 *   store  — createInfluxReadingsStore().write() (encodes, then fetch)
 *   influx — the `influx` npm package's writePoints with a schema (node-influx 5)
 * The replay path must reach at least 50% of raw (issue 2).
 */
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { FieldType, InfluxDB } from "influx";
import { startInfluxd } from "../../../test/influxd.js";
import type { Reading } from "../reading.js";
import { createInfluxReadingsStore } from "./influx.js";
import { encodeReadings } from "./line-protocol.js";

const totalPoints = Number(process.argv[2] ?? 100_000);
const batchSize = Number(process.argv[3] ?? 500);
const rounds = Number(process.argv[4] ?? 5);

const external = process.env.COLDTRAIL_TEST_INFLUX_URL;
const harness = external ? null : await startInfluxd();
const url = (external ?? harness?.url ?? "").replace(/\/+$/, "");

// A probe replaying its buffer: one reading a minute, DS18B20-like 1/16 °C steps, seq counting up.
const T0 = Date.UTC(2026, 4, 3);
const readings: Reading[] = Array.from({ length: totalPoints }, (_, i) => ({
  probeId: `bench-${i % 20}`,
  tsMs: T0 + Math.floor(i / 20) * 60_000,
  tempC: -19.4375 + (i % 37) / 16,
  seq: i,
  serverTimed: false,
}));
const batches: Reading[][] = [];
for (let i = 0; i < readings.length; i += batchSize) batches.push(readings.slice(i, i + batchSize));
const bodies = batches.map((b) => {
  const encoded = encodeReadings(b);
  if (!encoded.ok) throw new Error(encoded.reason);
  return encoded.body;
});

let databaseNumber = 0;
async function freshDatabase(): Promise<string> {
  databaseNumber += 1;
  const name = `bench_${process.pid}_${databaseNumber}`;
  const response = await fetch(`${url}/query`, {
    method: "POST",
    body: new URLSearchParams({ q: `CREATE DATABASE "${name}"` }),
  });
  await response.arrayBuffer();
  return name;
}
async function dropDatabase(name: string): Promise<void> {
  const response = await fetch(`${url}/query`, {
    method: "POST",
    body: new URLSearchParams({ q: `DROP DATABASE "${name}"` }),
  });
  await response.arrayBuffer();
}

/** Writes batch `i` into the writer's database. */
type Writer = (database: string) => Promise<(i: number) => Promise<void>>;

const writers: Record<string, Writer> = {
  async raw(database) {
    const writeUrl = `${url}/write?db=${database}&precision=ms`;
    return async (i) => {
      const response = await fetch(writeUrl, { method: "POST", body: bodies[i] as string });
      await response.arrayBuffer();
      if (response.status !== 204) throw new Error(`raw write answered ${response.status}`);
    };
  },
  async store(database) {
    const store = createInfluxReadingsStore({ url, database });
    await store.latest("warm-up"); // CREATE DATABASE happens here, outside the clock
    return (i) => store.write(batches[i] as Reading[]);
  },
  async influx(database) {
    const { hostname, port } = new URL(url);
    const client = new InfluxDB({
      host: hostname,
      port: Number(port),
      database,
      schema: [
        {
          measurement: "reading",
          tags: ["probe_id"],
          fields: { temp_c: FieldType.FLOAT, seq: FieldType.INTEGER },
        },
      ],
    });
    return (i) =>
      client.writePoints(
        (batches[i] as Reading[]).map((r) => ({
          measurement: "reading",
          tags: { probe_id: r.probeId },
          fields: r.seq === null ? { temp_c: r.tempC } : { temp_c: r.tempC, seq: r.seq },
          timestamp: r.tsMs,
        })),
        { precision: "ms" },
      );
  },
};

const names = Object.keys(writers);
const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
// Round 0 warms influxd's shards and caches and Node's JIT; it is not counted. Writers take turns
// batch by batch (rotating who goes first), so a compaction or a noisy neighbour hits all alike.
for (let round = 0; round <= rounds; round++) {
  const databases = await Promise.all(names.map(() => freshDatabase()));
  const runs = await Promise.all(names.map((n, k) => (writers[n] as Writer)(databases[k] as string)));
  const elapsedNs = names.map(() => 0n);
  for (let i = 0; i < batches.length; i++) {
    for (let turn = 0; turn < names.length; turn++) {
      const k = (i + turn) % names.length;
      const started = process.hrtime.bigint();
      await (runs[k] as (i: number) => Promise<void>)(i);
      elapsedNs[k] = (elapsedNs[k] as bigint) + (process.hrtime.bigint() - started);
    }
  }
  if (round > 0) {
    names.forEach((n, k) => {
      (samples[n] as number[]).push(totalPoints / (Number(elapsedNs[k]) / 1e9));
    });
  }
  for (const d of databases) await dropDatabase(d);
}

// The encoder's own cost, without any I/O.
const encodeStarted = process.hrtime.bigint();
for (const b of batches) encodeReadings(b);
const encodeNsPerPoint = Number(process.hrtime.bigint() - encodeStarted) / totalPoints;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

let influxdVersion = "external";
try {
  influxdVersion = execFileSync("influxd", ["version"], { encoding: "utf8" }).trim();
} catch {
  // not installed locally; an external server was used
}
const raw = median(samples.raw as number[]);
console.log(
  `machine: ${cpus()[0]?.model ?? "?"} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${influxdVersion}`,
);
console.log(
  `${totalPoints} points in batches of ${batchSize}, sequential requests, median of ${rounds} rounds`,
);
console.log(`line-protocol encoding alone: ${encodeNsPerPoint.toFixed(0)} ns/point`);
for (const name of names) {
  const rate = median(samples[name] as number[]);
  const all = (samples[name] as number[]).map((s) => Math.round(s / 1000)).join(", ");
  console.log(
    `${name.padEnd(7)} ${Math.round(rate).toLocaleString("en").padStart(9)} points/s  ratio to raw ${(rate / raw).toFixed(2)}  (rounds, k/s: ${all})`,
  );
}
await harness?.dispose();
