/**
 * Issue #9: one bad reading must not sink a message. Over MQTT against the real server (embedded
 * aedes, and mosquitto_pub where installed), on both readings stores.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectProbe,
  type RegisteredProbe,
  registerProbe,
  startTestServer,
  storeVariants,
  type TestServer,
} from "./harness.js";

// The server runs in this process: a synchronous child would block its event loop.
const run = promisify(execFile);
const MIN = 60_000;

type Raw = { readings: { ts: string; temp_c: number; seq?: number | null }[] };
type Bucketed = { readings: { ts: string; min_c: number; max_c: number; mean_c: number; count: number }[] };
interface Letter {
  reason: string;
  message: string;
  probeId: string;
  payloadBytes: number;
  refusedReadings: { index: number; ts?: unknown; temp_c?: unknown; reason: string; message?: string }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

describe.each(storeVariants("perreading"))("per-reading ingest (%s store)", (_name, envOf) => {
  const env = envOf();
  let s: TestServer;
  let p: RegisteredProbe;
  // Readings of the last hours, before the unit was registered: the probe route serves them all.
  const T0 = Math.floor(Date.now() / MIN) * MIN - 12 * 60 * MIN;

  beforeAll(async () => {
    if (!env) return;
    s = await startTestServer(env);
    p = await registerProbe(s, { name: "donor freezer" });
  });
  afterAll(async () => s?.cleanup());

  const raw = async (fromMs: number, toMs: number) =>
    (await s.api<Raw>("GET", `/api/v1/probes/${p.id}/readings?from=${iso(fromMs)}&to=${iso(toMs)}`)).body
      .readings;
  const letters = async () =>
    (await s.api<{ deadletters: Letter[] }>("GET", `/api/v1/deadletters?probeId=${p.id}&limit=50`)).body
      .deadletters;
  const metric = async (line: string) => {
    const text = (await s.api<string>("GET", "/metrics")).body;
    const m = text.split("\n").find((l) => l.startsWith(line));
    return m ? Number(m.split(" ").pop()) : 0;
  };

  it.skipIf(!env)(
    "a 500-reading message with one −127 stores all 500, the −127 raw; buckets leave it out",
    async () => {
      const start = T0;
      const readings = Array.from({ length: 500 }, (_, i) => ({
        ts: start + i * 1000,
        temp_c: -19.5 + (i % 4) * 0.0625,
        seq: i,
      }));
      readings[123] = { ts: start + 123_000, temp_c: -127, seq: 123 };
      const faultsBefore = await metric("coldtrail_ingest_fault_readings_total");
      const lettersBefore = (await letters()).length;
      const c = await connectProbe(s.mqttUrl, p.id, p.secret);
      await c.publishAsync(p.mqtt.topic, JSON.stringify({ readings }), { qos: 1 });
      await c.endAsync();
      await s.parts.forwarder.drain();

      const back = await raw(start, start + 500_000);
      expect(back).toEqual(readings.map((r) => ({ ts: iso(r.ts), temp_c: r.temp_c, seq: r.seq })));
      expect(back[123]).toEqual({ ts: iso(start + 123_000), temp_c: -127, seq: 123 });
      expect(await metric("coldtrail_ingest_fault_readings_total")).toBe(faultsBefore + 1);
      // Nothing was refused, so nothing was dead-lettered.
      expect(await letters()).toHaveLength(lettersBefore);

      // The unit was registered now, after these readings: ask the store the unit route asks.
      const buckets = await s.parts.store.buckets(p.id, start, start + 500_000, 60_000);
      expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(499);
      expect(Math.min(...buckets.map((b) => b.minC))).toBe(-19.5);
      expect(Math.max(...buckets.map((b) => b.maxC))).toBe(-19.3125);
    },
  );

  it.skipIf(!env)(
    "a duplicate-timestamp pair stores the first; an identical repeat is stored once without a dead letter",
    async () => {
      const ts = T0 + 20 * MIN;
      const dropped = (reason: string) =>
        metric(`coldtrail_ingest_readings_dropped_total{reason="${reason}"}`);
      const [conflictBefore, identicalBefore] = [
        await dropped("conflicting_duplicate"),
        await dropped("identical_duplicate"),
      ];
      const c = await connectProbe(s.mqttUrl, p.id, p.secret);
      await c.publishAsync(
        p.mqtt.topic,
        JSON.stringify({
          readings: [
            { ts, temp_c: -19.5, seq: 1 },
            { ts, temp_c: -12, seq: 2 },
            { ts: ts + MIN, temp_c: -19.25, seq: 3 },
            { ts: ts + MIN, temp_c: -19.25, seq: 3 },
          ],
        }),
        { qos: 1 },
      );
      await c.endAsync();
      await s.parts.forwarder.drain();
      expect(await raw(ts, ts + 2 * MIN)).toEqual([
        { ts: iso(ts), temp_c: -19.5, seq: 1 },
        { ts: iso(ts + MIN), temp_c: -19.25, seq: 3 },
      ]);
      expect(await dropped("conflicting_duplicate")).toBe(conflictBefore + 1);
      expect(await dropped("identical_duplicate")).toBe(identicalBefore + 1);
      const [letter] = await letters();
      expect(letter).toMatchObject({
        reason: "conflicting_duplicate",
        message: expect.stringMatching(
          /^1 of 4 readings refused, 2 stored, 1 exact repeat dropped: reading #1 repeats ts/,
        ),
        refusedReadings: [
          {
            index: 1,
            ts,
            temp_c: -12,
            reason: "conflicting_duplicate",
            message: expect.stringContaining("kept the first"),
          },
        ],
      });
    },
  );

  it.skipIf(!env)(
    "a message with one string temperature stores the rest, its dead letter names the refused one; the next good message goes through",
    async () => {
      const ts = T0 + 40 * MIN;
      const c = await connectProbe(s.mqttUrl, p.id, p.secret);
      const rejectedBefore = await metric('coldtrail_ingest_rejected_total{reason="invalid"}');
      const droppedBefore = await metric('coldtrail_ingest_readings_dropped_total{reason="temp_not_number"}');
      const fieldBefore = await metric(
        'coldtrail_ingest_fields_dropped_total{field="battery_pct",reason="out_of_range"}',
      );
      const payload = JSON.stringify({
        readings: [
          { ts, temp_c: -19.5, seq: 10 },
          { ts: ts + MIN, temp_c: "-19.4", seq: 11 },
          { ts: ts + 2 * MIN, temp_c: -19.375, seq: 12 },
        ],
        battery_pct: 150,
        battery_mv: 3950,
      });
      await c.publishAsync(p.mqtt.topic, payload, { qos: 1 });
      await c.publishAsync(
        p.mqtt.topic,
        JSON.stringify({ readings: [{ ts: ts + 3 * MIN, temp_c: -19.25 }] }),
        {
          qos: 1,
        },
      );
      await c.endAsync();
      await s.parts.forwarder.drain();
      expect(await raw(ts, ts + 4 * MIN)).toEqual([
        { ts: iso(ts), temp_c: -19.5, seq: 10 },
        { ts: iso(ts + 2 * MIN), temp_c: -19.375, seq: 12 },
        { ts: iso(ts + 3 * MIN), temp_c: -19.25, seq: null },
      ]);
      // Not refused whole: the per-message counter stays, the per-reading one counts it.
      expect(await metric('coldtrail_ingest_rejected_total{reason="invalid"}')).toBe(rejectedBefore);
      expect(await metric('coldtrail_ingest_readings_dropped_total{reason="temp_not_number"}')).toBe(
        droppedBefore + 1,
      );
      expect(
        await metric('coldtrail_ingest_fields_dropped_total{field="battery_pct",reason="out_of_range"}'),
      ).toBe(fieldBefore + 1);
      const [letter] = await letters();
      expect(letter).toEqual(
        expect.objectContaining({
          probeId: p.id,
          reason: "temp_not_number",
          payloadBytes: Buffer.byteLength(payload),
          refusedReadings: [
            {
              index: 1,
              ts: ts + MIN,
              temp_c: "-19.4",
              reason: "temp_not_number",
              message:
                'reading #1: temp_c must be a JSON number, got string "-19.4": send -19.5, not "-19.5"',
            },
          ],
        }),
      );
      // The bad battery_pct was dropped alone: the good battery_mv of the same message was kept.
      const probe = await s.api<{ batteryPct: number | null; batteryMv: number | null }>(
        "GET",
        `/api/v1/probes/${p.id}`,
      );
      expect(probe.body).toMatchObject({ batteryPct: null, batteryMv: 3950 });
    },
  );

  it.skipIf(!env || !existsSync("/usr/bin/mosquitto_pub"))(
    "mosquitto_pub: a message with a −127, a string and a future reading stores the good ones and the marker",
    async () => {
      const url = new URL(s.mqttUrl);
      const ts = T0 + 60 * MIN;
      const future = Date.now() + 86_400_000;
      const lettersBefore = (await letters()).length;
      await run("mosquitto_pub", [
        ...[
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
        ],
        ...["-t", p.mqtt.topic],
        "-m",
        JSON.stringify({
          readings: [
            { ts, temp_c: -20.125, seq: 20 },
            { ts: ts + MIN, temp_c: -127, seq: 21 },
            { ts: ts + 2 * MIN, temp_c: "cold", seq: 22 },
            { ts: future, temp_c: -20, seq: 23 },
            { ts: ts + 3 * MIN, temp_c: -20.0625, seq: 24 },
          ],
        }),
      ]);
      await s.parts.forwarder.drain();
      expect(await raw(ts, ts + 4 * MIN)).toEqual([
        { ts: iso(ts), temp_c: -20.125, seq: 20 },
        { ts: iso(ts + MIN), temp_c: -127, seq: 21 },
        { ts: iso(ts + 3 * MIN), temp_c: -20.0625, seq: 24 },
      ]);
      const all = await letters();
      expect(all).toHaveLength(lettersBefore + 1);
      // A reading ahead of the clock leads: it is what the clock-skew alert listens for.
      expect(all[0]).toMatchObject({
        reason: "future_ts",
        message: expect.stringMatching(/^2 of 5 readings refused, 3 stored: /),
        refusedReadings: [
          { index: 2, ts: ts + 2 * MIN, temp_c: "cold", reason: "temp_not_number" },
          { index: 3, ts: future, temp_c: -20, reason: "future_ts" },
        ],
      });
    },
  );

  it.skipIf(!env)("the plain-value topic stores an out-of-range number as a fault marker", async () => {
    const c = await connectProbe(s.mqttUrl, p.id, p.secret);
    const before = Date.now();
    await c.publishAsync(`coldtrail/v1/probes/${p.id}/temp_c`, "-127", { qos: 1 });
    await c.endAsync();
    await s.parts.forwarder.drain();
    const rows = await raw(before - 5000, Date.now() + 5000);
    expect(rows.map((r) => r.temp_c)).toEqual([-127]);
    // And the unit's bucketed view leaves it out, the raw view keeps it.
    const q = `from=${iso(before - 5000)}&to=${iso(Date.now() + 5000)}`;
    const unitRaw = await s.api<Raw>("GET", `/api/v1/units/${p.unitId}/readings?${q}`);
    expect(unitRaw.body.readings.map((r) => r.temp_c)).toEqual([-127]);
    const unitBuckets = await s.api<Bucketed>("GET", `/api/v1/units/${p.unitId}/readings?${q}&every=5s`);
    expect(unitBuckets.status).toBe(200);
    expect(unitBuckets.body.readings).toEqual([]);
  });
});
