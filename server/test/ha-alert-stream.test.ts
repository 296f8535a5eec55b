/**
 * The alert SSE stream across instances (issue #13): two coldtrail instances on one PostgreSQL.
 * A dashboard connected to either sees every alert change, whichever instance committed it (the
 * lease holder raising, a person acknowledging on one and resolving on the other), each event once,
 * in id order, with the same ids on both streams and in the alert_event table.
 */
import type { MqttClient } from "mqtt";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, connectProbe, startTestServer, type TestServer, waitFor } from "./harness.js";
import { type PostgresHarness, startPostgres } from "./postgres.js";
import { openSseStream } from "./sse-stream.js";

const skip = process.env.COLDTRAIL_SKIP_POSTGRES === "1";

interface SseEvent {
  id: number;
  type: string;
  alertId: string;
}

const openStream = (base: string, lastEventId?: number) =>
  openSseStream<SseEvent>(`${base}/api/v1/alerts/stream`, ADMIN_TOKEN, {
    ...(lastEventId !== undefined && { lastEventId }),
    map: (m) => ({ id: m.id, type: String(m.data.event), alertId: String(m.data.id) }),
  });

describe.skipIf(skip)("alert stream across two instances on one PostgreSQL", () => {
  let postgres: PostgresHarness;
  let pool: pg.Pool | undefined;
  const servers: TestServer[] = [];
  const clients: MqttClient[] = [];
  const streams: { close(): void }[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const s of streams) s.close();
    for (const c of clients) c.end(true);
    for (const s of servers) await s.cleanup();
    await pool?.end();
    await postgres?.stop();
  });

  it("each instance's stream carries the other's changes once, in order, with the same ids", async () => {
    const url = await postgres.createDatabase("ha_stream");
    pool = new pg.Pool({ connectionString: url, max: 1 });
    const db = pool;
    const env = (id: string) => ({ COLDTRAIL_DATABASE_URL: url, COLDTRAIL_INSTANCE_ID: id });
    const a = await startTestServer(env("stream-a"));
    servers.push(a);
    const b = await startTestServer(env("stream-b"));
    servers.push(b);
    const onA = await openStream(a.httpUrl);
    const onB = await openStream(b.httpUrl);
    streams.push(onA, onB);

    // A probe on no unit: its battery alert is written by the holder of the "~global" lease,
    // whichever instance that is. Each instance has its own embedded broker: the probe publishes
    // to both (B knows the probe once its registry heard of it).
    const created = await a.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
    expect(created.status).toBe(201);
    const probe = created.body;
    const probeA = await connectProbe(a.mqttUrl, probe.id, probe.secret);
    clients.push(probeA);
    const probeB = await waitFor(
      () => connectProbe(b.mqttUrl, probe.id, probe.secret).catch(() => null),
      30_000,
    );
    clients.push(probeB);
    let seq = 0;
    const alertId = await waitFor(async () => {
      const r = await db.query<{ id: string }>("SELECT id FROM alert WHERE kind = 'battery-low'");
      if (r.rows[0]) return r.rows[0].id;
      // Until one instance holds the lease and writes it: the same low battery, again.
      seq += 1;
      const payload = JSON.stringify({
        readings: [{ ts: Date.now(), temp_c: -19, seq }],
        battery_pct: 5,
      });
      await Promise.all(
        [probeA, probeB].map((c) =>
          c.publishAsync(`coldtrail/v1/probes/${probe.id}/readings`, payload, { qos: 1 }),
        ),
      );
      return null;
    }, 30_000);

    // A person acknowledges on A, and another resolves on B.
    const ack = await a.api("POST", `/api/v1/alerts/${alertId}/ack`, { comment: "on it" });
    expect(ack.status).toBe(200);
    const resolved = await b.api("POST", `/api/v1/alerts/${alertId}/resolve`, { comment: "moved" });
    expect(resolved.status).toBe(200);

    const committed = async () =>
      (
        await db.query<{ id: string; type: string; alert_id: string }>(
          "SELECT id, type, alert_id FROM alert_event ORDER BY id",
        )
      ).rows.map((r) => ({ id: Number(r.id), type: r.type, alertId: r.alert_id }));
    const resolvedEvent = (await committed()).find((r) => r.alertId === alertId && r.type === "resolved");
    expect(resolvedEvent).toBeDefined();
    const last = resolvedEvent?.id as number;
    const heard = (s: { events: SseEvent[] }) => s.events.some((e) => e.id === last);
    await waitFor(async () => heard(onA) && heard(onB), 30_000);
    const rows = (await committed()).filter((r) => r.id <= last);
    const mine = rows.filter((r) => r.alertId === alertId).map((r) => r.type);
    expect(mine[0]).toBe("opened");
    expect(mine.slice(-2)).toEqual(["acknowledged", "resolved"]);
    // Both streams: exactly the committed events up to the resolution, each once, in id order.
    const upTo = (s: { events: SseEvent[] }) => s.events.filter((e) => e.id <= last);
    expect(upTo(onA)).toEqual(rows);
    expect(upTo(onB)).toEqual(rows);

    // A stream resumed on the other instance (Last-Event-ID from A's stream) replays from there.
    const opened = rows.find((r) => r.alertId === alertId && r.type === "opened") as SseEvent;
    const resumed = await openStream(b.httpUrl, opened.id);
    streams.push(resumed);
    await waitFor(async () => resumed.events.some((e) => e.id === last), 30_000);
    expect(resumed.events.filter((e) => e.id <= last)).toEqual(rows.filter((r) => r.id > opened.id));
  }, 120_000);
});
