import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectProbe,
  type RegisteredProbe,
  registerProbe,
  startTestServer,
  type TestServer,
  waitFor,
} from "./harness.js";

// The server runs in this process: a synchronous child would block its event loop.
const run = promisify(execFile);

type Readings = { readings: { ts: string; temp_c: number; seq?: number | null }[] };

/**
 * Just after registration, so that readings fall inside the attachment that starts then. Taken
 * once the probes exist, not at module load: on a loaded machine starting the server alone can
 * take longer than any head start given at load, and the first reading then fell before it.
 */
let T0: number;
let s: TestServer;
let a: RegisteredProbe;
let b: RegisteredProbe;

beforeAll(async () => {
  s = await startTestServer();
  a = await registerProbe(s, { name: "donor freezer" });
  b = await registerProbe(s, { name: "other freezer" });
  T0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
});
afterAll(async () => s?.cleanup());

const readingsOf = async (probeId: string, from = T0 - 3_600_000, to = T0 + 3_600_000) =>
  (
    await s.api<Readings>(
      "GET",
      `/api/v1/probes/${probeId}/readings?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
    )
  ).body.readings;

const metric = async (line: string) => {
  const text = (await s.api<string>("GET", "/metrics")).body;
  const m = text.split("\n").find((l) => l.startsWith(line));
  return m ? Number(m.split(" ").pop()) : 0;
};

describe("ingest over MQTT (embedded aedes, SQLite)", () => {
  it("stores a QoS 1 reading before PUBACK, serves it back, and stores a replay once", async () => {
    const c = await connectProbe(s.mqttUrl, a.id, a.secret);
    const payload = JSON.stringify({ readings: [{ ts: T0, temp_c: -19.4375, seq: 7 }], battery_pct: 81 });
    await c.publishAsync(a.mqtt.topic, payload, { qos: 1 });
    // PUBACK came after the journal commit: the reading is durable; the store follows shortly.
    await s.parts.forwarder.drain();
    expect(await readingsOf(a.id)).toEqual([{ ts: new Date(T0).toISOString(), temp_c: -19.4375, seq: 7 }]);
    await c.publishAsync(a.mqtt.topic, payload, { qos: 1 });
    await c.publishAsync(a.mqtt.topic, payload, { qos: 1 });
    await s.parts.forwarder.drain();
    expect(await readingsOf(a.id)).toHaveLength(1);
    const unit = await s.api<Readings>(
      "GET",
      `/api/v1/units/${a.unitId}/readings?from=${new Date(T0 - 60_000).toISOString()}&to=${new Date(T0 + 60_000).toISOString()}`,
    );
    expect(unit.status).toBe(200);
    expect(unit.body.readings.map((r) => [r.ts, r.temp_c])).toEqual([[new Date(T0).toISOString(), -19.4375]]);
    await c.endAsync();
  });

  it("refuses a wrong secret at CONNECT and stores nothing", async () => {
    await expect(connectProbe(s.mqttUrl, a.id, "not-the-secret")).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
    await expect(connectProbe(s.mqttUrl, "unknown-probe", "x")).rejects.toThrow();
  });

  it("disconnects a probe publishing under another probe's id, and stores nothing for the other", async () => {
    const before = await readingsOf(b.id);
    const c = await connectProbe(s.mqttUrl, a.id, a.secret);
    const closed = new Promise<void>((r) => c.once("close", () => r()));
    c.publish(b.mqtt.topic, JSON.stringify({ readings: [{ ts: T0 + 1000, temp_c: 30 }] }), { qos: 1 });
    await closed;
    c.end(true);
    await s.parts.forwarder.drain();
    expect(await readingsOf(b.id)).toEqual(before);
    const dl = await s.api<{ deadletters: { reason: string; probeId: string }[] }>(
      "GET",
      `/api/v1/deadletters?probeId=${b.id}`,
    );
    expect(dl.body.deadletters[0]).toMatchObject({ reason: "forbidden_topic", probeId: b.id });
  });

  it("accepts and ignores firmware telemetry under the probe's own prefix (Tasmota tele/, stat/)", async () => {
    const c = await connectProbe(s.mqttUrl, a.id, a.secret);
    const before = await metric("coldtrail_ingest_ignored_total");
    await c.publishAsync(`coldtrail/v1/probes/${a.id}/tele/SENSOR`, '{"DS18B20":{"Temperature":-18.2}}', {
      qos: 1,
    });
    await c.publishAsync(`coldtrail/v1/probes/${a.id}/stat/RESULT`, '{"POWER":"ON"}', { qos: 1 });
    expect(c.connected).toBe(true);
    expect(await metric("coldtrail_ingest_ignored_total")).toBe(before + 2);
    // Outside its own prefix it is still refused.
    const closed = new Promise<void>((r) => c.once("close", () => r()));
    c.publish("tele/tasmota_1/SENSOR", "{}", { qos: 1 });
    await closed;
    c.end(true);
  });

  it("refuses a subscription to another probe's topics", async () => {
    const c = await connectProbe(s.mqttUrl, a.id, a.secret);
    // SUBACK 0x80: mqtt.js turns the refused grant into an error.
    await expect(c.subscribeAsync(`coldtrail/v1/probes/${b.id}/#`, { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    );
    const own = await c.subscribeAsync(`coldtrail/v1/probes/${a.id}/#`, { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    await c.endAsync();
  });

  it("refuses unreadable messages whole and bad readings alone, each counted and kept; fault markers and the next good reading land", async () => {
    const c = await connectProbe(s.mqttUrl, a.id, a.secret);
    // Refused whole: nothing in them can be read as readings (counted per message).
    const whole: [string, string | Buffer][] = [
      ["not_json", "hello"],
      ["not_json", '{"readings":[{"ts":1,"temp_c":NaN}]}'],
      ["invalid", JSON.stringify({ readings: [] })],
      ["invalid", JSON.stringify({ readings: { ts: T0, temp_c: -19 } })],
      [
        "invalid",
        JSON.stringify({ readings: Array.from({ length: 501 }, (_, i) => ({ ts: T0 + i, temp_c: -19 })) }),
      ],
      ["too_large", Buffer.alloc(70_000, 0x20)],
      ["not_utf8", Buffer.from([0x7b, 0xff, 0x7d])],
    ];
    // Each holds one reading that cannot be a reading: refused alone (counted per reading), one
    // dead letter each; the message itself is accepted.
    const alone: [string, string][] = [
      ["temp_not_number", JSON.stringify({ readings: [{ ts: T0 + 1000, temp_c: "-19" }] })],
      ["future_ts", JSON.stringify({ readings: [{ ts: Date.now() + 86_400_000, temp_c: -19 }] })],
    ];
    const rejected = (reason: string) => metric(`coldtrail_ingest_rejected_total{reason="${reason}"}`);
    const dropped = (reason: string) => metric(`coldtrail_ingest_readings_dropped_total{reason="${reason}"}`);
    const counts: Record<string, number> = {};
    for (const [reason] of whole) counts[reason] = await rejected(reason);
    for (const [reason] of alone) counts[reason] = await dropped(reason);
    const futureBefore = await rejected("future_ts");
    for (const [, payload] of [...whole, ...alone]) await c.publishAsync(a.mqtt.topic, payload, { qos: 1 });
    const expected: Record<string, number> = {};
    for (const [reason] of whole) expected[reason] = (expected[reason] ?? 0) + 1;
    for (const [reason, n] of Object.entries(expected)) {
      expect(await rejected(reason)).toBe((counts[reason] ?? 0) + n);
    }
    for (const [reason] of alone) expect(await dropped(reason)).toBe((counts[reason] ?? 0) + 1);
    expect(await rejected("future_ts")).toBe(futureBefore);

    // Out of the plausible range is a sensor fault, stored raw (the rules word it), not refused.
    await c.publishAsync(
      a.mqtt.topic,
      JSON.stringify({
        readings: [
          { ts: T0 + 2000, temp_c: 1e308 },
          { ts: T0 + 3000, temp_c: 6553.5 },
          { ts: T0 + 4000, temp_c: -127 },
        ],
      }),
      { qos: 1 },
    );
    await c.publishAsync(a.mqtt.topic, JSON.stringify({ readings: [{ ts: T0 + 60_000, temp_c: -19.5 }] }), {
      qos: 1,
    });
    await s.parts.forwarder.drain();
    expect((await readingsOf(a.id)).map((r) => r.temp_c)).toEqual([-19.4375, 1e308, 6553.5, -127, -19.5]);
    const dl = await s.api<{
      deadletters: { reason: string; payloadHead: string; message: string; refusedReadings: unknown[] }[];
    }>("GET", `/api/v1/deadletters?probeId=${a.id}&limit=20`);
    expect(dl.body.deadletters.map((d) => d.reason).reverse()).toEqual([...whole, ...alone].map(([r]) => r));
    expect(dl.body.deadletters.at(-1)).toMatchObject({
      payloadHead: "hello",
      message: expect.stringContaining("not JSON"),
      refusedReadings: [],
    });
    expect(dl.body.deadletters[1]).toMatchObject({
      reason: "temp_not_number",
      message: expect.stringContaining("1 of 1 readings refused, 0 stored"),
      refusedReadings: [{ index: 0, ts: T0 + 1000, temp_c: "-19", reason: "temp_not_number" }],
    });
    await c.endAsync();
  });

  it("accepts the plain-value topic as a server-timed reading and tracks status and battery", async () => {
    const p = await registerProbe(s, { name: "esphome fridge", kind: "fridge" }, "esphome-fridge-1");
    const c = await connectProbe(s.mqttUrl, p.id, p.secret, {
      will: {
        topic: `coldtrail/v1/probes/${p.id}/status`,
        payload: Buffer.from('{"state":"offline"}'),
        qos: 1,
        retain: true,
      },
    });
    await c.publishAsync(`coldtrail/v1/probes/${p.id}/status`, '{"state":"online","fw":"esphome-2026.1"}', {
      qos: 1,
      retain: true,
    });
    const before = Date.now();
    await c.publishAsync(`coldtrail/v1/probes/${p.id}/temp_c`, "3.25", { qos: 1 });
    await s.parts.forwarder.drain();
    const rows = await readingsOf(p.id, before - 5000, Date.now() + 5000);
    expect(rows.map((r) => r.temp_c)).toEqual([3.25]);
    expect(Date.parse(rows[0]!.ts)).toBeGreaterThanOrEqual(before - 1000);
    const probe = await s.api<{ status: string; fw: string; lastSeen: string }>(
      "GET",
      `/api/v1/probes/${p.id}`,
    );
    expect(probe.body).toMatchObject({ status: "online", fw: "esphome-2026.1" });
    // The last will arrives when the connection dies without DISCONNECT.
    c.stream.destroy();
    await waitFor(
      async () =>
        (await s.api<{ status: string }>("GET", `/api/v1/probes/${p.id}`)).body.status === "offline",
    );
  });

  it.runIf(existsSync("/usr/bin/mosquitto_pub"))(
    "accepts a reading from mosquitto_pub (a client nobody on the team wrote)",
    async () => {
      const url = new URL(s.mqttUrl);
      const ts = T0 + 120_000;
      await run("mosquitto_pub", [
        "-h",
        url.hostname,
        "-p",
        url.port,
        "-q",
        "1",
        "-u",
        a.id,
        "-P",
        a.secret,
        "-i",
        `${a.id}:mosquitto-pub`,
        "-t",
        a.mqtt.topic,
        "-m",
        JSON.stringify({ readings: [{ ts, temp_c: -20.125, seq: 9 }] }),
      ]);
      await s.parts.forwarder.drain();
      expect(await readingsOf(a.id)).toContainEqual({
        ts: new Date(ts).toISOString(),
        temp_c: -20.125,
        seq: 9,
      });
      // And a wrong password is refused by the broker: mosquitto_pub exits non-zero.
      await expect(
        run("mosquitto_pub", [
          "-h",
          url.hostname,
          "-p",
          url.port,
          "-q",
          "1",
          "-u",
          a.id,
          "-P",
          "wrong",
          "-t",
          a.mqtt.topic,
          "-m",
          "1",
        ]),
      ).rejects.toThrow(/not authori[sz]ed|bad user/i);
    },
  );
});
