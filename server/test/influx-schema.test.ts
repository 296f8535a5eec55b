import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { uniqueDatabaseName } from "../../test/influxd.js";
import { registerProbe, startTestServer, type TestServer } from "./harness.js";

const run = promisify(execFile);
const influxUrl = inject("influxUrl");
const db = uniqueDatabaseName("schema");

async function influxQuery<T>(q: string): Promise<T> {
  const url = new URL("/query", influxUrl);
  url.searchParams.set("db", db);
  url.searchParams.set("epoch", "ms");
  url.searchParams.set("q", q);
  return (await (await fetch(url)).json()) as T;
}
type Series = { results: { series?: { columns: string[]; values: unknown[][] }[] }[] };

describe.skipIf(!influxUrl || !existsSync("/usr/bin/mosquitto_pub"))(
  "a reading from mosquitto_pub lands in InfluxDB under the documented schema",
  () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer({
        COLDTRAIL_STORE: "influx",
        COLDTRAIL_INFLUX_URL: influxUrl,
        COLDTRAIL_INFLUX_DB: db,
      });
    });
    afterAll(async () => s?.cleanup());

    it("measurement reading, tag probe_id, fields temp_c (float) and seq (integer), time = the reading's time; a replay is stored once", async () => {
      const p = await registerProbe(s);
      const ts = Date.now();
      const url = new URL(s.mqttUrl);
      const pub = () =>
        run("mosquitto_pub", [
          "-h",
          url.hostname,
          "-p",
          url.port,
          "-q",
          "1",
          "-u",
          p.id,
          "-P",
          p.secret,
          "-i",
          `${p.id}:mosquitto-pub`,
          "-t",
          p.mqtt.topic,
          "-m",
          JSON.stringify({ readings: [{ ts, temp_c: -18.75, seq: 42 }] }),
        ]);
      await pub();
      await pub(); // the same reading again
      await s.parts.forwarder.drain();

      const rows = await influxQuery<Series>(
        `SELECT temp_c, seq, probe_id FROM reading WHERE probe_id = '${p.id}'`,
      );
      expect(rows.results[0]?.series?.[0]?.values).toEqual([[ts, -18.75, 42, p.id]]);
      const tags = await influxQuery<Series>("SHOW TAG KEYS FROM reading");
      expect(tags.results[0]?.series?.[0]?.values).toEqual([["probe_id"]]);
      const fields = await influxQuery<Series>("SHOW FIELD KEYS FROM reading");
      expect(
        Object.fromEntries((fields.results[0]?.series?.[0]?.values ?? []) as [string, string][]),
      ).toEqual({
        seq: "integer",
        temp_c: "float",
      });
      const api = await s.api<{ readings: { ts: string; temp_c: number }[] }>(
        "GET",
        `/api/v1/units/${p.unitId}/readings?from=${new Date(ts - 60_000).toISOString()}&to=${new Date(ts + 60_000).toISOString()}`,
      );
      expect(api.body.readings.map((r) => [r.ts, r.temp_c])).toEqual([[new Date(ts).toISOString(), -18.75]]);
    });
  },
);
