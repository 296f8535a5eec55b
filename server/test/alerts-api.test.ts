import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { publishViaAedes } from "../src/alerts/channels/mqtt.js";
import { call, createTestWorld, T0, TEST_ADMIN_TOKEN, type TestWorld } from "../src/alerts/test-world.js";
import { openSseStream } from "./sse-stream.js";

let w: TestWorld;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await w?.close();
});

const openStream = (base: string, lastEventId?: number) =>
  openSseStream(`${base}/api/v1/alerts/stream`, TEST_ADMIN_TOKEN, {
    ...(lastEventId !== undefined && { lastEventId }),
  });

const until = async (fn: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("GET /api/v1/alerts/stream (Server-Sent Events)", () => {
  it("streams alert changes and, resumed with Last-Event-ID, replays exactly what was missed", async () => {
    w = createTestWorld();
    const base = await w.listen();
    const p: string[] = [];
    for (const id of ["probe-s1", "probe-s2", "probe-s3"]) p.push(await w.loneProbe(id, T0));
    const s1 = await openStream(base);
    expect(s1.contentType).toBe("text/event-stream; charset=utf-8");
    w.alerting.onProbeLive(p[0] as string, { batteryPct: 9 });
    await w.alerting.settled();
    await until(() => s1.events.length === 1);
    expect(s1.events[0]).toMatchObject({
      event: "alert",
      data: { kind: "battery-low", state: "open", probeId: "probe-s1", event: "opened" },
    });
    const seen = s1.events[0]?.id as number;
    s1.close();

    // While disconnected: a second alert, and the first acknowledged over the API.
    w.alerting.onProbeLive(p[1] as string, { batteryPct: 9 });
    await w.alerting.settled();
    const ack = await call<{ state: string; comment: string }>(
      base,
      "POST",
      `/api/v1/alerts/${s1.events[0]?.data.id}/ack`,
      { comment: "on it" },
    );
    expect(ack).toMatchObject({ status: 200, body: { state: "acknowledged", comment: "on it" } });

    const s2 = await openStream(base, seen);
    await until(() => s2.events.length === 2);
    expect(s2.events.map((e) => [e.data.probeId, e.data.event])).toEqual([
      ["probe-s2", "opened"],
      ["probe-s1", "acknowledged"],
    ]);
    expect(s2.events.map((e) => e.id)).toEqual([seen + 1, seen + 2]);
    // And it stays live after the replay.
    w.alerting.onProbeLive(p[2] as string, { batteryPct: 9 });
    await w.alerting.settled();
    await until(() => s2.events.length === 3);
    expect(s2.events[2]).toMatchObject({ id: seen + 3, data: { probeId: "probe-s3" } });
    s2.close();

    // A stream opened without Last-Event-ID starts from now (no replay).
    const s3 = await openStream(base);
    await new Promise((r) => setTimeout(r, 100));
    expect(s3.events).toEqual([]);
    s3.close();

    const bad = await fetch(`${base}/api/v1/alerts/stream`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "last-event-id": "yesterday" },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: {
        code: "CT_ERR_BAD_REQUEST",
        message: 'Last-Event-ID must be the id of an earlier event (a whole number), got "yesterday"',
      },
    });
    const anon = await fetch(`${base}/api/v1/alerts/stream`);
    expect(anon.status).toBe(401);
  });
});

describe("alert and channel routes", () => {
  it("lists, filters, shows, acknowledges and resolves alerts; bad input is a 400 that says what is wrong", async () => {
    w = createTestWorld();
    const base = await w.listen();
    const { unitId, probeId } = await w.unitWithProbe("Bank freezer", "freezer", T0, "probe-r1");
    w.alerting.onProbeLive(probeId, { batteryPct: 9 });
    await w.alerting.settled();
    await w.tickAt(T0); // the server is listening from the attachment on
    await w.tickAt(T0 + 16 * 60_000); // and the probe has been silent: offline
    const list = await call<{
      alerts: { kind: string; state: string; unitId: string; openedAt: string; acknowledgedAt?: string }[];
    }>(base, "GET", `/api/v1/alerts?state=open&unitId=${unitId}`);
    expect(list.status).toBe(200);
    expect(list.body.alerts.map((a) => a.kind).sort()).toEqual(["battery-low", "probe-offline"]);
    expect(list.body.alerts[0]).not.toHaveProperty("acknowledgedAt");
    expect(list.body.alerts.every((a) => a.unitId === unitId && /Z$/.test(a.openedAt))).toBe(true);
    const battery = await call<{ alerts: { id: string; url: string }[] }>(
      base,
      "GET",
      "/api/v1/alerts?kind=battery-low",
    );
    expect(battery.body.alerts).toHaveLength(1);
    expect(battery.body.alerts[0]?.url).toBe(`https://coldtrail.example/units/${unitId}`);
    const id = battery.body.alerts[0]?.id as string;

    expect(await call(base, "GET", "/api/v1/alerts?state=closed")).toMatchObject({
      status: 400,
      body: { error: { code: "CT_ERR_VALIDATION", message: expect.stringContaining("querystring.state") } },
    });
    expect(await call(base, "GET", "/api/v1/alerts/a_nope")).toEqual({
      status: 404,
      body: {
        error: { code: "CT_ERR_NOT_FOUND", message: 'alert "a_nope" does not exist (or is not yours)' },
      },
    });
    expect((await call(base, "POST", `/api/v1/alerts/${id}/ack`, { comment: 5 })).status).toBe(400);
    const plainAck = await call(base, "POST", `/api/v1/alerts/${id}/ack`);
    expect(plainAck.body).toMatchObject({ state: "acknowledged" });
    expect(await call(base, "POST", `/api/v1/alerts/${id}/ack`, {})).toMatchObject({
      status: 409,
      body: { error: { code: "CT_ERR_CONFLICT" } },
    });
    const resolved = await call<{
      state: string;
      resolvedBy: string;
      resolveComment: string;
      resolvedAt: string;
    }>(base, "POST", `/api/v1/alerts/${id}/resolve`, { comment: "battery swapped" });
    expect(resolved.body).toMatchObject({
      state: "resolved",
      resolvedBy: "admin",
      resolveComment: "battery swapped",
      resolvedAt: new Date(T0 + 16 * 60_000).toISOString(),
    });
    const detail = await call<{ history: { action: string; actor: string }[]; deliveries: unknown[] }>(
      base,
      "GET",
      `/api/v1/alerts/${id}`,
    );
    expect(detail.body.history.map((h) => `${h.action}/${h.actor}`)).toEqual([
      "alert.opened/system",
      "alert.escalated/system", // 15 min unacknowledged: the staff on duty
      "alert.acknowledged/admin",
      "alert.resolved/admin",
    ]);
    expect(detail.body.deliveries).toEqual([]);
    expect(await w.alerting.openCountOf(unitId)).toBe(1);
  });

  it("creates, lists and deletes channels; never shows a secret again; validates targets, kinds and units", async () => {
    w = createTestWorld();
    const base = await w.listen();
    const { unitId } = await w.unitWithProbe("Freezer", "freezer", T0);
    const made = await call<{ id: string; secret?: string; hasSecret: boolean }>(
      base,
      "POST",
      "/api/v1/channels",
      {
        kind: "webhook",
        target: "https://hooks.example/coldtrail",
        unitIds: [unitId],
        alertKinds: ["excursion", "probable-thaw"],
        minEscalation: 1,
      },
    );
    expect(made.status).toBe(201);
    expect(made.body.secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // generated, shown once
    const listed = await call<{ channels: Record<string, unknown>[] }>(base, "GET", "/api/v1/channels");
    expect(listed.body.channels).toEqual([
      {
        id: made.body.id,
        kind: "webhook",
        target: "https://hooks.example/coldtrail",
        hasSecret: true,
        unitIds: [unitId],
        alertKinds: ["excursion", "probable-thaw"],
        minEscalation: 1,
        createdAt: new Date(T0).toISOString(),
      },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(made.body.secret as string);
    const bad = async (body: unknown) =>
      (await call<{ error: { message: string } }>(base, "POST", "/api/v1/channels", body)).body.error.message;
    expect(await bad({ kind: "webhook", target: "ftp://x" })).toBe(
      'body.target: target of a webhook channel must be an http:// or https:// URL, got "ftp://x"',
    );
    expect(await bad({ kind: "email", target: "not-an-address" })).toContain("must be one email address");
    expect(await bad({ kind: "pager", target: "x" })).toContain("body.kind");
    expect(await bad({ kind: "webhook", target: "https://x.example", secret: "short" })).toContain(
      "secret must be at least 16 characters",
    );
    expect(await bad({ kind: "webhook", target: "https://x.example", alertKinds: ["door-open"] })).toContain(
      "body.alertKinds",
    );
    expect(await bad({ kind: "mqtt" })).toContain("mqtt channels need the server's MQTT connection");
    expect(
      await call(base, "POST", "/api/v1/channels", {
        kind: "webhook",
        target: "https://x.example",
        unitIds: ["u_missing"],
      }),
    ).toMatchObject({
      status: 404,
    });
    expect((await call(base, "DELETE", `/api/v1/channels/${made.body.id}`)).status).toBe(204);
    expect((await call(base, "DELETE", `/api/v1/channels/${made.body.id}`)).status).toBe(404);
    expect((await call<{ channels: unknown[] }>(base, "GET", "/api/v1/channels")).body.channels).toEqual([]);
  });
});

describe("MQTT channel and Home Assistant discovery (real aedes)", () => {
  it("publishes the unit's alert state retained on coldtrail/v1/alerts/{unitId}, which Home Assistant's config reads", async () => {
    const aedes = await Aedes.createBroker();
    const server = createServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    closers.push(async () => {
      await new Promise<void>((r) => aedes.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    });
    w = createTestWorld({
      realClock: true,
      mqttPublish: publishViaAedes(aedes),
      settings: { delivery: { minBackoffMs: 20, maxBackoffMs: 100, timeoutMs: 1000 } },
    });
    const base = await w.listen();
    await w.alerting.start();
    expect((await call(base, "POST", "/api/v1/channels", { kind: "mqtt" })).status).toBe(201);
    const { unitId, probeId } = await w.unitWithProbe("Donor freezer", "freezer", Date.now(), "probe-ha");
    await w.alerting.publishDiscovery(unitId);
    w.alerting.onProbeLive(probeId, { batteryPct: 4 });
    await w.alerting.settled();
    await w.alerting.outbox.drain();

    // A subscriber that connects afterwards still gets both, retained.
    const port = (server.address() as AddressInfo).port;
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    closers.push(() => c.endAsync());
    const got = new Map<string, string>();
    c.on("message", (topic, payload) => got.set(topic, payload.toString()));
    await c.subscribeAsync(["coldtrail/v1/alerts/#", "homeassistant/#"], { qos: 1 });
    await until(() => got.size >= 3);
    const state = JSON.parse(got.get(`coldtrail/v1/alerts/${unitId}`) as string);
    expect(state).toMatchObject({
      unitId,
      problem: true,
      count: 1,
      alerts: [{ kind: "battery-low", state: "open" }],
    });
    const node = `coldtrail_${unitId}`;
    const sensor = JSON.parse(got.get(`homeassistant/sensor/${node}/temperature/config`) as string);
    expect(sensor).toMatchObject({
      device_class: "temperature",
      unit_of_measurement: "°C",
      state_topic: "coldtrail/v1/probes/probe-ha/readings",
      availability: [
        {
          topic: "coldtrail/v1/probes/probe-ha/status",
          payload_available: "online",
          payload_not_available: "offline",
        },
      ],
      device: {
        identifiers: [node],
        name: "Donor freezer",
        configuration_url: `https://coldtrail.example/units/${unitId}`,
      },
    });
    const problem = JSON.parse(got.get(`homeassistant/binary_sensor/${node}/problem/config`) as string);
    expect(problem).toMatchObject({
      device_class: "problem",
      state_topic: `coldtrail/v1/alerts/${unitId}`,
      payload_on: "ON",
    });
    expect(problem).not.toHaveProperty("availability");

    // Resolved: the retained state says no problem.
    w.alerting.onProbeLive(probeId, { batteryPct: 100 });
    await w.alerting.settled();
    await w.alerting.outbox.drain();
    await until(() => JSON.parse(got.get(`coldtrail/v1/alerts/${unitId}`) as string).problem === false);
  });
});
