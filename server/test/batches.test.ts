import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectProbe, startTestServer, storeVariants, type TestServer, waitFor } from "./harness.js";

/**
 * Batches end to end through the public contract: units and probes over HTTP, readings over MQTT
 * (500 a message, as a probe replaying its buffer), verdicts and passports over HTTP.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.now();

type Verdict = {
  verdict: string;
  reasons: { code: string; band: string; message: string }[];
  stats: { monitoredPct: number; maxC: number | null; minutesOutOfRange: number };
  custody: { unitId: string }[];
};

interface Rig {
  s: TestServer;
  unit(
    kind: "freezer" | "fridge" | "cool-bag",
    sinceMs: number,
  ): Promise<{ unitId: string; probeId: string; client: MqttClient }>;
  publish(u: { probeId: string; client: MqttClient }, series: [number, number][]): Promise<void>;
}

async function rig(env: Record<string, string>): Promise<Rig> {
  const s = await startTestServer(env);
  return {
    s,
    async unit(kind, sinceMs) {
      const u = await s.api<{ id: string }>("POST", "/api/v1/units", { name: `my ${kind}`, kind });
      const p = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
      const att = await s.api("PUT", `/api/v1/probes/${p.body.id}/unit`, {
        unitId: u.body.id,
        at: new Date(sinceMs).toISOString(),
      });
      expect(att.status).toBe(200);
      return {
        unitId: u.body.id,
        probeId: p.body.id,
        client: await connectProbe(s.mqttUrl, p.body.id, p.body.secret),
      };
    },
    async publish(u, series) {
      for (let i = 0; i < series.length; i += 500) {
        const readings = series.slice(i, i + 500).map(([ts, temp_c], k) => ({ ts, temp_c, seq: i + k }));
        await u.client.publishAsync(
          `coldtrail/v1/probes/${u.probeId}/readings`,
          JSON.stringify({ readings }),
          { qos: 1 },
        );
      }
      await s.parts.forwarder.drain();
    },
  };
}

/**
 * One reading a minute from fromMs to toMs, the temperature a function of time. Like a real unit's
 * probe it steps down one DS18B20 step (1/16 °C) every other 7 min: a value that never changes for
 * 6 h is a stuck probe (RULES.md §3 "Sensor faults").
 */
function series(fromMs: number, toMs: number, temp: (t: number) => number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = fromMs; t < toMs; t += MIN)
    out.push([t, Math.round(temp(t) * 16) / 16 - (Math.floor(t / (7 * MIN)) % 2) / 16]);
  return out;
}

const stores = storeVariants("batches");

describe.each(stores)("batches and verdicts over the public API (%s)", (_name, envOf) => {
  const env = envOf();
  let r: Rig;
  beforeAll(async () => {
    if (env) r = await rig(env);
  });
  afterAll(async () => r?.s.cleanup());

  const batch = async (unitId: string, body: Record<string, unknown>) => {
    const b = await r.s.api<{ id: string; code: string; passportUrl: string }>("POST", "/api/v1/batches", {
      unitId,
      ...body,
    });
    expect(b.status).toBe(201);
    return b.body;
  };
  const verdictOf = async (id: string) => (await r.s.api<Verdict>("GET", `/api/v1/batches/${id}`)).body;

  it.skipIf(!env)("a week of door openings in a home freezer is safe", async () => {
    const from = NOW - 7 * DAY - HOUR;
    const f = await r.unit("freezer", from);
    // Air at −19 °C, with a 3-minute spike to −5 °C every 4 hours (a door opening).
    await r.publish(
      f,
      series(from, NOW, (t) => ((t - from) % (4 * HOUR) < 3 * MIN ? -5 : -19)),
    );
    const b = await batch(f.unitId, {
      expressedAt: new Date(from - HOUR).toISOString(),
      at: new Date(from).toISOString(),
      state: "frozen",
    });
    const v = await verdictOf(b.id);
    expect(v.verdict).toBe("safe");
    expect(v.reasons.filter((x) => x.band !== "safe")).toEqual([]);
    expect(v.stats.monitoredPct).toBeGreaterThan(99);
    expect(v.stats.maxC).toBe(-5);
  });

  it.skipIf(!env)("a power cut that thaws and refreezes is do-not-use, and says so", async () => {
    const from = NOW - 3 * DAY;
    const f = await r.unit("freezer", from);
    const cutFrom = from + DAY;
    const cutTo = cutFrom + 30 * HOUR;
    await r.publish(
      f,
      series(from, NOW, (t) => {
        if (t < cutFrom || t >= cutTo + 6 * HOUR) return -19;
        if (t < cutTo) return Math.min(6, -19 + ((t - cutFrom) / HOUR) * 1.5); // warming
        return Math.max(-19, 6 - ((t - cutTo) / HOUR) * 5); // power back: refreezing
      }),
    );
    const b = await batch(f.unitId, {
      expressedAt: new Date(from - DAY).toISOString(),
      at: new Date(from).toISOString(),
      state: "frozen",
    });
    const v = await verdictOf(b.id);
    expect(v.verdict).toBe("do-not-use");
    const codes = v.reasons.map((x) => x.code);
    expect(codes).toContain("probable-thaw");
    expect(codes).toContain("refrozen");
  });

  it.skipIf(!env)(
    "streaming: a batch's stored verdict follows the readings as they arrive, without anyone asking",
    async () => {
      const from = NOW - 2 * DAY;
      const f = await r.unit("freezer", from);
      const b = await batch(f.unitId, {
        expressedAt: new Date(from - HOUR).toISOString(),
        at: new Date(from).toISOString(),
        state: "frozen",
      });
      const stored = () =>
        r.s.parts.db.prepare("SELECT verdict, verdict_json FROM batch WHERE id = ?").get(b.id) as {
          verdict: string | null;
          verdict_json: string | null;
        };
      expect(stored().verdict).toBeNull();
      await r.publish(
        f,
        series(from, from + DAY, () => -19),
      );
      // A day of readings, then silence until now: unmonitored time is never safe.
      await waitFor(async () => stored().verdict === "check");
      const cut = from + DAY;
      await r.publish(
        f,
        series(cut, NOW, (t) => (t < cut + 10 * HOUR ? Math.min(4, -19 + ((t - cut) / HOUR) * 4) : -19)),
      );
      await waitFor(async () => stored().verdict === "do-not-use");
      expect(
        JSON.parse(stored().verdict_json as string).reasons.map((x: { code: string }) => x.code),
      ).toContain("probable-thaw");
    },
  );

  it.skipIf(!env)(
    "a 12-hour data gap is check, never assumed safe; late readings filling it make it safe",
    async () => {
      const from = NOW - 2 * DAY;
      const f = await r.unit("freezer", from);
      const gapFrom = from + 12 * HOUR;
      const gapTo = gapFrom + 12 * HOUR;
      const all = series(from, NOW, () => -19.5);
      await r.publish(
        f,
        all.filter(([t]) => t < gapFrom || t >= gapTo),
      );
      const b = await batch(f.unitId, {
        expressedAt: new Date(from - HOUR).toISOString(),
        at: new Date(from).toISOString(),
        state: "frozen",
      });
      const v = await verdictOf(b.id);
      expect(v.verdict).toBe("check");
      expect(v.reasons.map((x) => x.code)).toContain("gap");
      expect(v.stats.monitoredPct).toBeLessThan(80);
      // The probe comes back and replays its buffer, out of order: the verdict follows.
      await r.publish(f, all.filter(([t]) => t >= gapFrom && t < gapTo).reverse());
      expect((await verdictOf(b.id)).verdict).toBe("safe");
    },
  );

  it.skipIf(!env)("fresh milk five days in a fridge is do-not-use", async () => {
    const from = NOW - 5 * DAY;
    const f = await r.unit("fridge", from);
    await r.publish(
      f,
      series(from, NOW, () => 3),
    );
    const b = await batch(f.unitId, {
      expressedAt: new Date(from - 10 * MIN).toISOString(),
      at: new Date(from).toISOString(),
      state: "fresh",
    });
    const v = await verdictOf(b.id);
    expect(v.verdict).toBe("do-not-use");
    expect(v.reasons.map((x) => x.code)).toContain("fresh-limit");
  });

  it.skipIf(!env)(
    "donor freezer → cool bag → recipient freezer is safe, with the custody stitched",
    async () => {
      const from = NOW - 2 * DAY;
      const donor = await r.unit("freezer", from);
      const bag = await r.unit("cool-bag", from);
      const home = await r.unit("freezer", from);
      const move1 = from + DAY;
      const move2 = move1 + 3 * HOUR;
      await r.publish(
        donor,
        series(from, move1 + HOUR, () => -19),
      );
      await r.publish(
        bag,
        series(move1, move2, (t) => -15 + ((t - move1) / HOUR) * 2),
      );
      await r.publish(
        home,
        series(move2 - HOUR, NOW, (t) => (t < move2 + 20 * MIN ? -12 : -20)),
      );
      const b = await batch(donor.unitId, {
        expressedAt: new Date(from - HOUR).toISOString(),
        at: new Date(from).toISOString(),
        state: "frozen",
      });
      expect(
        (
          await r.s.api("POST", `/api/v1/batches/${b.id}/moves`, {
            unitId: bag.unitId,
            at: new Date(move1).toISOString(),
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await r.s.api("POST", `/api/v1/batches/${b.id}/moves`, {
            unitId: home.unitId,
            at: new Date(move2).toISOString(),
          })
        ).status,
      ).toBe(200);
      const v = await verdictOf(b.id);
      expect(v.custody.map((c) => c.unitId)).toEqual([donor.unitId, bag.unitId, home.unitId]);
      expect(v.verdict).toBe("safe");

      // The passport: verdict and history, nothing that identifies the donor.
      const p = await fetch(`${r.s.httpUrl}/api/v1/passports/${b.code}`);
      expect(p.status).toBe(200);
      const text = await p.text();
      const pass = JSON.parse(text) as { verdict: string; custody: { kind: string }[]; readings: unknown[] };
      expect(pass.verdict).toBe("safe");
      expect(pass.custody.map((c) => c.kind)).toEqual(["freezer", "cool-bag", "freezer"]);
      expect(pass.readings.length).toBeGreaterThan(100);
      for (const secret of [
        donor.unitId,
        bag.unitId,
        home.unitId,
        donor.probeId,
        "my freezer",
        "my cool-bag",
        b.id,
      ]) {
        expect(text).not.toContain(secret);
      }
      expect(b.code).toMatch(/^[0-9A-Z]{13}$/);
      expect((await fetch(`${r.s.httpUrl}/api/v1/passports/0000000000000`)).status).toBe(404);
    },
  );

  it.skipIf(!env)(
    "staff review is shown beside the verdict and audited; bad requests get clear 4xx",
    async () => {
      const f = await r.unit("freezer", NOW - HOUR);
      const b = await batch(f.unitId, {
        expressedAt: new Date(NOW - 2 * HOUR).toISOString(),
        at: new Date(NOW - HOUR).toISOString(),
      });
      const rv = await r.s.api("POST", `/api/v1/batches/${b.id}/reviews`, {
        decision: "hold",
        comment: "probe looked loose",
      });
      expect(rv.status).toBe(201);
      const v = await r.s.api<{ verdict: string; review: { decision: string } }>(
        "GET",
        `/api/v1/batches/${b.id}`,
      );
      expect(v.body.review.decision).toBe("hold");
      expect(["safe", "check", "do-not-use"]).toContain(v.body.verdict);
      const audit = await r.s.api<{ audit: { action: string }[] }>("GET", `/api/v1/batches/${b.id}/audit`);
      expect(audit.body.audit.map((a) => a.action)).toEqual(["batch.created", "batch.reviewed"]);
      const bad = await r.s.api<{ error: { code: string; message: string } }>("POST", "/api/v1/batches", {
        unitId: f.unitId,
        expressedAt: "yesterday",
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/expressedAt.*ISO 8601/);
      const missing = await r.s.api<{ error: { code: string } }>("POST", `/api/v1/batches/${b.id}/moves`, {
        unitId: "u_nope",
        at: new Date().toISOString(),
      });
      expect(missing.status).toBe(404);
      const backwards = await r.s.api("POST", `/api/v1/batches/${b.id}/moves`, {
        unitId: null,
        at: new Date(NOW - 3 * HOUR).toISOString(),
      });
      expect(backwards.status).toBe(409);
    },
  );
});
