import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectProbe, startTestServer, storeVariants, type TestServer } from "./harness.js";

/**
 * Issue #9's rules, each proven end to end: units, probes and batches over HTTP, back-dated
 * readings over MQTT (QoS 1, up to 500 a message, as a probe replaying its buffer), the verdict
 * over HTTP, on both readings stores. The numbers are RULES.md's (docs/rules.md); the unit-level
 * twin of each case is server/src/rules/engine.rules.test.ts.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

type Reason = {
  code: string;
  band: string;
  rule: string;
  message: string;
  from?: string;
  to?: string | null;
  values?: Record<string, unknown>;
};
type BatchView = {
  verdict: string;
  reasons: Reason[];
  stats: { monitoredPct: number; minutesOutOfRange: number };
  state: string;
  budgets: { limit: string; band: string; until: string | null; remainingMinutes: number }[];
  asOf: string;
  monitoringEndedAt: string | null;
  custody: { unitId: string | null; from: string; to: string | null; leftHow: string | null }[];
};

type Kind = "freezer" | "fridge" | "cool-bag";
interface Probe {
  unitId: string;
  probeId: string;
  client: MqttClient;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Now, on a whole minute: every case lays its history out back from here. */
const minuteNow = () => Math.floor(Date.now() / MIN) * MIN;

/** One reading every stepMs from fromMs (inclusive) to toMs (exclusive). */
function series(fromMs: number, toMs: number, temp: (t: number) => number, stepMs = MIN): [number, number][] {
  const out: [number, number][] = [];
  for (let t = fromMs; t < toMs; t += stepMs) out.push([t, temp(t)]);
  return out;
}
/** A working unit around `c`: one DS18B20 step (1/16 °C) down every other 7 min, as real units cycle. */
const cycling = (c: number) => (t: number) => c - 0.0625 * (Math.floor(t / (7 * MIN)) % 2);
/** A fridge holding 3.6–4.0 °C, moving every 5 min. */
const fridge36to40 = (t: number) => Math.round((3.6 + 0.1 * (Math.floor(t / (5 * MIN)) % 5)) * 10) / 10;
/** A freezer holding −18.0…−18.4 °C, moving every 5 min. */
const freezer180to184 = (t: number) => Math.round((-18 - 0.1 * (Math.floor(t / (5 * MIN)) % 5)) * 10) / 10;

const reasonOf = (v: BatchView, code: string) => v.reasons.find((r) => r.code === code);
const codes = (v: BatchView) => v.reasons.map((r) => r.code);

const stores = storeVariants("rulese2e");

describe.each(stores)("issue #9's rules end to end over MQTT (%s)", (_name, envOf) => {
  const env = envOf();
  let s: TestServer;
  const clients: MqttClient[] = [];
  const seqs = new Map<string, number>();
  beforeAll(async () => {
    if (env) s = await startTestServer(env);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
    await s?.cleanup();
  });

  /** A unit with one probe attached since sinceMs; intervalS null registers the probe without one. */
  const unit = async (kind: Kind, sinceMs: number, intervalS: number | null = 60): Promise<Probe> => {
    const u = await s.api<{ id: string }>("POST", "/api/v1/units", { name: `e2e ${kind}`, kind });
    expect(u.status).toBe(201);
    const p = await s.api<{ id: string; secret: string }>(
      "POST",
      "/api/v1/probes",
      intervalS === null ? {} : { intervalS },
    );
    expect(p.status).toBe(201);
    const att = await s.api("PUT", `/api/v1/probes/${p.body.id}/unit`, {
      unitId: u.body.id,
      at: iso(sinceMs),
    });
    expect(att.status).toBe(200);
    const client = await connectProbe(s.mqttUrl, p.body.id, p.body.secret);
    clients.push(client);
    return { unitId: u.body.id, probeId: p.body.id, client };
  };

  /** One message as the probe sends it, QoS 1; resolves once the server acknowledged it. */
  const send = async (p: Probe, readings: { ts: number; temp_c: number }[]) => {
    const seq = seqs.get(p.probeId) ?? 0;
    seqs.set(p.probeId, seq + readings.length);
    await p.client.publishAsync(
      `coldtrail/v1/probes/${p.probeId}/readings`,
      JSON.stringify({ readings: readings.map((r, k) => ({ ...r, seq: seq + k })) }),
      { qos: 1 },
    );
  };

  /** A probe replaying its buffer: 500 readings a message, then everything journalled is stored. */
  const publish = async (p: Probe, readings: [number, number][]) => {
    for (let i = 0; i < readings.length; i += 500)
      await send(
        p,
        readings.slice(i, i + 500).map(([ts, temp_c]) => ({ ts, temp_c })),
      );
    await s.parts.forwarder.drain();
  };

  const batch = async (
    unitId: string,
    state: "fresh" | "frozen",
    expressedMs: number,
    atMs: number,
  ): Promise<string> => {
    const b = await s.api<{ id: string }>("POST", "/api/v1/batches", {
      unitId,
      state,
      expressedAt: iso(expressedMs),
      at: iso(atMs),
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    return b.body.id;
  };

  const verdictOf = async (id: string, query = ""): Promise<BatchView> => {
    const r = await s.api<BatchView>("GET", `/api/v1/batches/${id}${query}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };

  const move = async (id: string, body: Record<string, unknown>) => {
    const r = await s.api("POST", `/api/v1/batches/${id}/moves`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };

  it.skipIf(!env)(
    "1. a stuck probe (14 h of an identical −19.00 °C) is check, a sensor fault that says to check the probe",
    async () => {
      const now = minuteNow();
      const from = now - 14 * HOUR;
      const f = await unit("freezer", from);
      await publish(
        f,
        series(from, now + MIN, () => -19),
      );
      const v = await verdictOf(await batch(f.unitId, "frozen", from - DAY, from));
      expect(v.verdict, JSON.stringify(v.reasons)).toBe("check");
      const fault = reasonOf(v, "sensor-fault");
      expect(fault, JSON.stringify(v.reasons)).toMatchObject({
        band: "check",
        values: { fault: "stuck", probe: "stuck" },
      });
      expect(fault?.message).toMatch(/exactly −19 °C without any change/);
      expect(fault?.message).toMatch(/check the probe/);
      expect(codes(v)).not.toContain("excursion");
      expect(codes(v)).not.toContain("cumulative-excursion");
    },
  );

  it.skipIf(!env)(
    "2. leaving custody: verdict as of the hand-over, later readings change nothing, a return after 2 h is a check gap",
    async () => {
      const now = minuteNow();
      const from = now - 2 * DAY;
      const handover = now - DAY;
      const back = handover + 2 * HOUR;
      const a = await unit("freezer", from);
      await publish(a, series(from, handover + MIN, cycling(-20)));
      const id = await batch(a.unitId, "frozen", from - DAY, from);
      await move(id, { unitId: null, at: iso(handover), how: "handed-over" });

      const ended = await verdictOf(id);
      expect(ended.verdict, JSON.stringify(ended.reasons)).toBe("safe");
      expect(ended.asOf).toBe(iso(handover));
      expect(ended.monitoringEndedAt).toBe(iso(handover));
      expect(reasonOf(ended, "custody-ended")).toMatchObject({
        band: "safe",
        from: iso(handover),
        values: { how: "handed-over" },
      });
      expect(reasonOf(ended, "custody-ended")?.message).toMatch(
        /^Monitoring ended at .+: since then its temperature is unknown\.$/,
      );
      expect(ended.budgets.every((b) => b.until === null)).toBe(true);

      // The unit warms up after the milk left it (enough to thaw milk): the batch's verdict stays.
      await publish(a, series(handover + MIN, now, cycling(5)));
      const after = await verdictOf(id);
      expect({
        verdict: after.verdict,
        reasons: after.reasons,
        stats: after.stats,
        asOf: after.asOf,
      }).toEqual({ verdict: ended.verdict, reasons: ended.reasons, stats: ended.stats, asOf: ended.asOf });

      // Back into custody in another freezer 2 h later: the time away is a gap (≥ 30 min → check).
      const b = await unit("freezer", back - HOUR);
      await publish(b, series(back, now + MIN, cycling(-20)));
      await move(id, { unitId: b.unitId, at: iso(back) });
      const returned = await verdictOf(id);
      expect(returned.monitoringEndedAt).toBeNull();
      expect(returned.custody.map((c) => c.unitId)).toEqual([a.unitId, b.unitId]);
      expect(returned.verdict, JSON.stringify(returned.reasons)).toBe("check");
      expect(reasonOf(returned, "custody-gap"), JSON.stringify(returned.reasons)).toMatchObject({
        band: "check",
        from: iso(handover),
        to: iso(back),
        values: { minutes: 120 },
      });
      expect(codes(returned)).not.toContain("custody-ended");
      expect(codes(returned)).not.toContain("probable-thaw");
    },
  );

  it.skipIf(!env)(
    "3. duration is time above the line: one 4.1 °C reading in a 3.6–4.0 °C fridge, one −17.9 °C in a −18.0…−18.4 °C freezer",
    async () => {
      const now = minuteNow();
      // 3.5 days: safe under FR-1 (4 days), do-not-use had FR-2 (3 days) been applied.
      const from = now - 3.5 * DAY;
      const spike = from + HOUR;
      const fridge = await unit("fridge", from);
      await publish(
        fridge,
        series(from, now + MIN, (t) => (t === spike ? 4.1 : fridge36to40(t))),
      );
      const fresh = await verdictOf(await batch(fridge.unitId, "fresh", from, from));
      expect(fresh.verdict, JSON.stringify(fresh.reasons)).toBe("safe");
      expect(codes(fresh)).not.toContain("excursion");
      expect(fresh.reasons.map((r) => r.rule)).not.toContain("FR-2");
      expect(fresh.budgets.map((b) => b.limit)).toEqual(["FR-1"]);
      expect(fresh.stats.minutesOutOfRange).toBe(1);

      const freezerFrom = now - 2 * DAY;
      const freezer = await unit("freezer", freezerFrom);
      await publish(
        freezer,
        series(freezerFrom, now + MIN, (t) => (t === freezerFrom + HOUR ? -17.9 : freezer180to184(t))),
      );
      const frozen = await verdictOf(await batch(freezer.unitId, "frozen", freezerFrom - DAY, freezerFrom));
      expect(frozen.verdict, JSON.stringify(frozen.reasons)).toBe("safe");
      expect(frozen.reasons.filter((r) => r.band !== "safe")).toEqual([]);
      expect(codes(frozen)).not.toContain("excursion");
      expect(codes(frozen)).not.toContain("cumulative-excursion");
    },
  );

  it.skipIf(!env)(
    "4. a fridge at 5.5 °C for 2 h is an excursion note and puts fresh milk on FR-2's 3 days",
    async () => {
      const now = minuteNow();
      const from = now - 3.5 * DAY;
      const warmFrom = now - 1.5 * DAY;
      const warmTo = warmFrom + 2 * HOUR;
      const fridge = await unit("fridge", from);
      await publish(
        fridge,
        series(from, now + MIN, (t) => (t >= warmFrom && t < warmTo ? 5.5 : fridge36to40(t))),
      );
      // Expressed 3.5 days ago: past FR-2's 3 days (FR-1's 4 days would still be safe).
      const old = await verdictOf(await batch(fridge.unitId, "fresh", from, from));
      expect(old.verdict, JSON.stringify(old.reasons)).toBe("do-not-use");
      expect(reasonOf(old, "fresh-limit"), JSON.stringify(old.reasons)).toMatchObject({
        band: "do-not-use",
        rule: "FR-2",
      });
      expect(reasonOf(old, "excursion"), JSON.stringify(old.reasons)).toMatchObject({
        band: "safe",
        rule: "FR-2",
        values: { minutes: 120 },
      });
      expect(reasonOf(old, "excursion")?.message).toContain("within 3 days of expressing (FR-2)");

      // Expressed 2 days ago: within FR-2's 3 days, which now run.
      const expressed = now - 2 * DAY;
      const young = await verdictOf(await batch(fridge.unitId, "fresh", expressed, expressed));
      expect(young.verdict, JSON.stringify(young.reasons)).toBe("safe");
      expect(reasonOf(young, "excursion")).toMatchObject({ band: "safe", rule: "FR-2" });
      expect(young.budgets).toEqual([
        expect.objectContaining({ limit: "FR-2", band: "do-not-use", until: iso(expressed + 3 * DAY) }),
      ]);
    },
  );

  it.skipIf(!env)(
    "5. cool bag: chilled milk at 8 °C for 6 h is safe within CB-1; at 18 °C for 2 h RT-1 names the bag's 15 °C",
    async () => {
      const now = minuteNow();
      const from = now - 6 * HOUR;
      const bag = await unit("cool-bag", from);
      await publish(bag, series(from, now + MIN, cycling(8)));
      const chilled = await verdictOf(await batch(bag.unitId, "fresh", from - HOUR, from));
      expect(chilled.verdict, JSON.stringify(chilled.reasons)).toBe("safe");
      expect(codes(chilled)).not.toContain("excursion");
      expect(chilled.budgets.map((b) => b.limit)).toContain("CB-1");

      const warmFrom = now - 2 * HOUR;
      const warm = await unit("cool-bag", warmFrom);
      await publish(warm, series(warmFrom, now + MIN, cycling(18)));
      const v = await verdictOf(await batch(warm.unitId, "fresh", warmFrom - HOUR, warmFrom));
      const rt = reasonOf(v, "room-temperature");
      expect(rt, JSON.stringify(v.reasons)).toMatchObject({ rule: "RT-1", band: "safe" });
      expect(rt?.message).toContain("15 °C");
      expect(rt?.message).not.toContain("10 °C");
      expect(v.verdict, JSON.stringify(v.reasons)).toBe("safe");
    },
  );

  it.skipIf(!env)(
    "6. frozen milk 30 h in a −10 °C cool bag stays frozen: check under TR-1, not do-not-use",
    async () => {
      const now = minuteNow();
      const from = now - 30 * HOUR;
      const bag = await unit("cool-bag", from);
      await publish(bag, series(from, now + MIN, cycling(-10)));
      const v = await verdictOf(await batch(bag.unitId, "frozen", now - 10 * DAY, from));
      expect(v.verdict, JSON.stringify(v.reasons)).toBe("check");
      expect(v.state).toBe("frozen");
      expect(reasonOf(v, "transport-limit"), JSON.stringify(v.reasons)).toMatchObject({
        band: "check",
        rule: "TR-1",
      });
      expect(v.reasons.filter((r) => r.band !== "safe").map((r) => r.code)).toEqual(["transport-limit"]);
    },
  );

  it.skipIf(!env)(
    "7. one −127 °C among 500 readings sinks nothing: 500 stored, the verdict says the probe was disconnected; a repeated ts keeps the first",
    async () => {
      const now = minuteNow();
      const from = now - 502 * MIN;
      const fault = from + 250 * MIN;
      const f = await unit("freezer", from);
      const readings = series(from, from + 500 * MIN, (t) => (t === fault ? -127 : cycling(-20)(t)));
      expect(readings).toHaveLength(500);
      await publish(f, readings); // one message
      const stored = await s.api<{ readings: { ts: string; temp_c: number }[] }>(
        "GET",
        `/api/v1/probes/${f.probeId}/readings?from=${iso(from)}&to=${iso(from + 500 * MIN)}`,
      );
      expect(stored.status).toBe(200);
      expect(stored.body.readings).toHaveLength(500);
      expect(stored.body.readings.find((r) => r.ts === iso(fault))?.temp_c).toBe(-127);

      const v = await verdictOf(await batch(f.unitId, "frozen", from - DAY, from));
      const disconnected = v.reasons.find(
        (r) => r.code === "sensor-fault" && r.values?.probe === "disconnected",
      );
      expect(disconnected, JSON.stringify(v.reasons)).toMatchObject({ band: "check" });
      expect(disconnected?.message).toMatch(/probe was disconnected at /);
      expect(codes(v)).not.toContain("excursion");

      // Two readings with the same ts in one message: the first is stored, once.
      const dup = from + 500 * MIN;
      await send(f, [
        { ts: dup, temp_c: -20.5 },
        { ts: dup, temp_c: -21 },
      ]);
      await s.parts.forwarder.drain();
      const one = await s.api<{ readings: { ts: string; temp_c: number }[] }>(
        "GET",
        `/api/v1/probes/${f.probeId}/readings?from=${iso(dup)}&to=${iso(dup + MIN)}`,
      );
      expect(one.body.readings.filter((r) => r.ts === iso(dup)).map((r) => r.temp_c)).toEqual([-20.5]);
    },
  );

  it.skipIf(!env)(
    "8. a probe registered without intervalS reporting every 10 min for 2 days: monitored, no short breaks, interval learned",
    async () => {
      const now = minuteNow();
      const from = now - 2 * DAY;
      const f = await unit("freezer", from, null);
      await publish(f, series(from, now + MIN, cycling(-20), 10 * MIN));
      const v = await verdictOf(await batch(f.unitId, "frozen", from - DAY, from));
      expect(v.verdict, JSON.stringify(v.reasons)).toBe("safe");
      expect(v.stats.monitoredPct).toBeGreaterThanOrEqual(95);
      expect(codes(v)).not.toContain("short-gaps");
      expect(codes(v)).not.toContain("gap");
      expect(reasonOf(v, "interval-learned"), JSON.stringify(v.reasons)).toMatchObject({
        band: "safe",
        values: { intervalMs: 10 * MIN },
      });
      expect(reasonOf(v, "interval-learned")?.message).toContain("about every 10 min");
    },
  );

  it.skipIf(!env)("?tz=America/New_York words every time in New York time, never UTC", async () => {
    const now = minuteNow();
    const from = now - 3 * HOUR;
    const handover = now - HOUR;
    const f = await unit("freezer", from);
    await publish(f, series(from, handover + MIN, cycling(-20)));
    const id = await batch(f.unitId, "frozen", from - DAY, from);
    await move(id, { unitId: null, at: iso(handover), how: "fed" });
    const utc = await verdictOf(id);
    expect(reasonOf(utc, "custody-ended")?.message).toContain("UTC");
    const ny = await verdictOf(id, "?tz=America/New_York");
    const text = ny.reasons.map((r) => r.message).join("\n");
    expect(reasonOf(ny, "custody-ended")?.message).toMatch(/ E[SD]T: since then/);
    expect(text).not.toContain("UTC");
    expect(ny.verdict).toBe(utc.verdict);
  });
});
