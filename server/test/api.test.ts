import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, connectProbe, startTestServer, type TestServer } from "./harness.js";

type ApiError = { error: { code: string; message: string } };
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.cleanup());

describe("HTTP API contract", () => {
  it("refuses requests without the bearer token, and with a wrong one", async () => {
    const none = await fetch(`${s.httpUrl}/api/v1/units`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as ApiError).error.code).toBe("CT_ERR_UNAUTHORIZED");
    const wrong = await fetch(`${s.httpUrl}/api/v1/units`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${s.httpUrl}/api/v1/units`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ units: [] });
  });

  it("says what is wrong with a bad body", async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: "x", kind: "oven" }, /kind/],
      [{ kind: "freezer" }, /name/],
      [{ name: "", kind: "freezer" }, /name must not be empty/],
      [{ name: "x", kind: "freezer", extra: 1 }, /extra/],
      [{ name: "x", kind: "freezer", profile: "arctic" }, /profile "arctic" is not known/],
    ];
    for (const [body, message] of cases) {
      const r = await s.api<ApiError>("POST", "/api/v1/units", body);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.body.error.message).toMatch(message);
    }
    const notJson = await fetch(`${s.httpUrl}/api/v1/units`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as ApiError).error.code).toBe("CT_ERR_BAD_REQUEST");
  });

  it("lists units with kind, profile, attached probes and the last reading with its age", async () => {
    const u = await s.api<{ id: string; profile: string }>("POST", "/api/v1/units", {
      name: "bank freezer",
      kind: "freezer",
      site: "milk-bank",
    });
    expect(u.status).toBe(201);
    expect(u.body.profile).toBe("milk-bank-freezer");
    const p = await s.api<{
      id: string;
      secret: string;
      mqtt: { url: string; username: string; topic: string };
    }>("POST", "/api/v1/probes", {
      id: "bank-probe-1",
      unitId: u.body.id,
    });
    expect(p.status).toBe(201);
    expect(p.body.mqtt).toEqual({
      url: s.mqttUrl,
      username: "bank-probe-1",
      topic: "coldtrail/v1/probes/bank-probe-1/readings",
    });
    expect(p.body.secret.length).toBeGreaterThanOrEqual(40);
    expect((await s.api("POST", "/api/v1/probes", { id: "bank-probe-1" })).status).toBe(409);
    expect((await s.api("POST", "/api/v1/probes", { id: "a/b" })).status).toBe(400);

    const c = await connectProbe(s.mqttUrl, p.body.id, p.body.secret);
    const now = Date.now();
    const readings = Array.from({ length: 10 }, (_, i) => ({
      ts: now - 9 * 60_000 + i * 60_000,
      temp_c: -21 + i / 4,
    }));
    // The probe was attached just now: back-date the attachment so the earlier readings count too.
    expect(
      (
        await s.api("PUT", `/api/v1/probes/${p.body.id}/unit`, {
          unitId: u.body.id,
          at: new Date(now - 3_600_000).toISOString(),
        })
      ).status,
    ).toBe(200);
    // Moved to another unit later, it cannot be back-dated into the time it was elsewhere.
    const other = await s.api<{ id: string }>("POST", "/api/v1/units", { name: "other", kind: "fridge" });
    const probeView = await s.api<{ attachments: { unitId: string; from: string; to: string | null }[] }>(
      "GET",
      `/api/v1/probes/${p.body.id}`,
    );
    expect(probeView.body.attachments).toEqual([
      { unitId: u.body.id, from: new Date(now - 3_600_000).toISOString(), to: null },
    ]);
    expect(
      (
        await s.api("PUT", `/api/v1/probes/${p.body.id}/unit`, {
          unitId: other.body.id,
          at: new Date(now - 7_200_000).toISOString(),
        })
      ).status,
    ).toBe(409);
    await c.publishAsync(p.body.mqtt.topic, JSON.stringify({ readings: readings.slice(-2) }), { qos: 1 });
    await c.endAsync();
    await s.parts.forwarder.drain();
    const list = await s.api<{
      units: {
        id: string;
        probes: string[];
        lastReading: { ts: string; temp_c: number; ageS: number } | null;
        openAlerts: number;
      }[];
    }>("GET", "/api/v1/units");
    const unit = list.body.units.find((x) => x.id === u.body.id);
    expect(unit?.probes).toEqual(["bank-probe-1"]);
    expect(unit?.lastReading).toMatchObject({ ts: new Date(now).toISOString(), temp_c: -18.75 });
    expect(unit?.lastReading?.ageS).toBeGreaterThanOrEqual(0);
  });

  it("issues a new secret: the old one stops working at the broker, the new one works", async () => {
    const p = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
    (await connectProbe(s.mqttUrl, p.body.id, p.body.secret)).end(true);
    const r = await s.api<{ id: string; secret: string; mqtt: { username: string } }>(
      "POST",
      `/api/v1/probes/${p.body.id}/secret`,
    );
    expect(r.status).toBe(201);
    expect(r.body.secret).not.toBe(p.body.secret);
    await expect(connectProbe(s.mqttUrl, p.body.id, p.body.secret)).rejects.toThrow();
    (await connectProbe(s.mqttUrl, p.body.id, r.body.secret)).end(true);
    expect((await s.api("POST", "/api/v1/probes/nope-probe/secret")).status).toBe(404);
  });

  it("lets staff choose a unit's profile and override its numbers, validated and audited, and verdicts use them", async () => {
    const u = await s.api<{ id: string }>("POST", "/api/v1/units", {
      name: "bank freezer 2",
      kind: "freezer",
    });
    const ok = await s.api<{
      profile: string;
      profileOverrides: Record<string, unknown>;
      resolvedProfile: { id: string; high: { forMin: number } };
    }>("PATCH", `/api/v1/units/${u.body.id}`, {
      profile: "milk-bank-freezer",
      profileOverrides: { "high.forMin": 15, limits: "uk-nhs" },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.profile).toBe("milk-bank-freezer");
    expect(ok.body.resolvedProfile.high.forMin).toBe(15);
    const bad = await s.api<ApiError>("PATCH", `/api/v1/units/${u.body.id}`, {
      profileOverrides: { "high.forMin": -5 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/high\.forMin/);
    const unknown = await s.api<ApiError>("PATCH", `/api/v1/units/${u.body.id}`, { profile: "arctic" });
    expect(unknown.status).toBe(400);
    const b = await s.api<{ id: string }>("POST", "/api/v1/batches", {
      unitId: u.body.id,
      expressedAt: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const v = await s.api<{ profiles: { profile: { id: string; high: { forMin: number } } }[] }>(
      "GET",
      `/api/v1/batches/${b.body.id}`,
    );
    expect(v.body.profiles[0]?.profile).toMatchObject({ id: "milk-bank-freezer", high: { forMin: 15 } });
    const audit = s.parts.audit.forEntity("unit", u.body.id).map((a) => a.action);
    expect(audit).toEqual(["unit.created", "unit.updated"]);
  });

  it("warns at registration when a BLE sensor cannot read freezer temperatures", async () => {
    const lcd = await s.api<{ warnings: string[] }>("POST", "/api/v1/probes", {
      bleMac: "A4:C1:38:11:22:33",
      bleFormat: "pvvx",
    });
    expect(lcd.status).toBe(201);
    expect(lcd.body.warnings.join(" ")).toMatch(/cannot read freezer temperatures/);
    const ruuvi = await s.api<{ warnings: string[] }>("POST", "/api/v1/probes", {
      bleMac: "C4:D9:12:34:56:78",
      bleFormat: "ruuvi-5",
    });
    expect(ruuvi.body.warnings).toEqual([]);
    expect((await s.api("POST", "/api/v1/probes", { bleFormat: "no-such-format" })).status).toBe(400);
  });

  it("serves unit readings raw and bucketed (min/mean/max per bucket)", async () => {
    const u = await s.api<{ id: string }>("POST", "/api/v1/units", { name: "f", kind: "freezer" });
    const p = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
    const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
    expect(
      (
        await s.api("PUT", `/api/v1/probes/${p.body.id}/unit`, {
          unitId: u.body.id,
          at: new Date(t0).toISOString(),
        })
      ).status,
    ).toBe(200);
    const c = await connectProbe(s.mqttUrl, p.body.id, p.body.secret);
    const readings = Array.from({ length: 120 }, (_, i) => ({
      ts: t0 + i * 60_000,
      temp_c: i < 60 ? -20 + (i % 3) : -18,
    }));
    await c.publishAsync(`coldtrail/v1/probes/${p.body.id}/readings`, JSON.stringify({ readings }), {
      qos: 1,
    });
    await c.endAsync();
    await s.parts.forwarder.drain();
    const range = `from=${new Date(t0).toISOString()}&to=${new Date(t0 + 2 * 3_600_000).toISOString()}`;
    const raw = await s.api<{ readings: { ts: string; temp_c: number }[] }>(
      "GET",
      `/api/v1/units/${u.body.id}/readings?${range}`,
    );
    expect(raw.body.readings).toHaveLength(120);
    const b = await s.api<{
      readings: { ts: string; min_c: number; mean_c: number; max_c: number; count: number }[];
    }>("GET", `/api/v1/units/${u.body.id}/readings?${range}&every=1h`);
    expect(b.body.readings).toEqual([
      { ts: new Date(t0).toISOString(), temp_c: -19, min_c: -20, mean_c: -19, max_c: -18, count: 60 },
      {
        ts: new Date(t0 + 3_600_000).toISOString(),
        temp_c: -18,
        min_c: -18,
        mean_c: -18,
        max_c: -18,
        count: 60,
      },
    ]);
    const bad = await s.api<ApiError>("GET", `/api/v1/units/${u.body.id}/readings?every=5 minutes`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/duration like 30s, 5m/);
    const reversed = await s.api<ApiError>(
      "GET",
      `/api/v1/units/${u.body.id}/readings?from=${new Date(t0 + 1000).toISOString()}&to=${new Date(t0).toISOString()}`,
    );
    expect(reversed.status).toBe(400);
    expect((await s.api<ApiError>("GET", "/api/v1/units/u_missing/readings")).status).toBe(404);
  });

  it("describes itself at /api/openapi.json and answers /healthz and /metrics without a token", async () => {
    const doc = (await (await fetch(`${s.httpUrl}/api/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      "/api/v1/units",
      "/api/v1/probes",
      "/api/v1/probes/{id}/unit",
      "/api/v1/units/{id}/readings",
      "/api/v1/batches",
      "/api/v1/passports/{code}",
      "/api/v1/deadletters",
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const h = await fetch(`${s.httpUrl}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: "ok", store: "sqlite", journalDepth: 0 });
    const m = await (await fetch(`${s.httpUrl}/metrics`)).text();
    expect(m).toMatch(/^coldtrail_ingest_readings_total \d+/m);
    expect(m).toMatch(/^coldtrail_journal_depth 0/m);
  });
});
