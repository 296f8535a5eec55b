/**
 * The BLE-to-MQTT gateway end to end on real parts: the simulators' BLE radio (thermal model →
 * advertisement bytes) → gateway (decode, window, disk spool, one MQTT connection per probe) → a real
 * coldtrail server (embedded aedes, journal, SQLite) → readings over the HTTP API. Includes a broker
 * outage (the whole server stopped and started again on the same data directory and ports) during
 * which the gateway spools to disk.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { registerProbe, startTestServer, type TestServer, waitFor } from "../../server/test/harness.js";
import { createSimulatedBleSource } from "../../simulators/src/ble/index.js";
import { freePort } from "../../test/processes.js";
import { createPushSource, type GatewayConfig, type SpoolEntry, startGateway } from "../src/gateway/index.js";

const MIN = 60_000;
const BINDKEY = "231d39c1d7cc1ab1aee224cd096db932";
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface ApiReading {
  ts: string;
  temp_c: number;
  seq: number | null;
}

async function readingsOf(s: TestServer, probeId: string, fromMs: number): Promise<ApiReading[]> {
  const r = await s.api<{ readings: ApiReading[] }>(
    "GET",
    `/api/v1/probes/${probeId}/readings?from=${new Date(fromMs).toISOString()}&to=${new Date(Date.now() + MIN).toISOString()}`,
  );
  expect(r.status).toBe(200);
  return r.body.readings;
}

function spooledLines(dir: string, probeId: string): SpoolEntry[] {
  const path = join(dir, `${probeId}.jsonl`);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as SpoolEntry);
}

describe("gateway → coldtrail", () => {
  it("delivers one reading a minute per probe, spools through a broker outage, and every reading arrives once, in order", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ct-gw-server-"));
    const spoolDir = mkdtempSync(join(tmpdir(), "ct-gw-spool-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => rmSync(spoolDir, { recursive: true, force: true }));
    const env = {
      COLDTRAIL_MQTT_PORT: String(await freePort()),
      COLDTRAIL_HTTP_PORT: String(await freePort()),
    };
    let server = await startTestServer(env, dataDir);
    let serverUp = true;
    cleanups.push(async () => {
      if (serverUp) await server.stop();
    });
    const pvvx = await registerProbe(server, { name: "donor freezer" }, "ble-pvvx-01");
    const bthome = await registerProbe(server, { name: "milk bank freezer" }, "ble-bthome-01");

    // Three simulated hours played in about nine wall seconds (1200x), ending now, with a power cut.
    const startMs = Date.now() - 3 * 60 * MIN;
    const source = createSimulatedBleSource({
      unit: "upright-freezer",
      startMs,
      durationMs: 3 * 60 * MIN,
      speed: 1200,
      sensors: [
        { mac: "A4:C1:38:00:00:01", format: "pvvx", seed: 1 },
        {
          mac: "A4:C1:38:00:00:02",
          format: "bthome-v2",
          seed: 2,
          bindkey: BINDKEY,
          advertiseEveryMs: 15_000,
        },
        { mac: "A4:C1:38:00:00:99", format: "atc1441", seed: 3 }, // a neighbour's sensor: not configured
      ],
      events: [{ afterMs: 30 * MIN, event: { kind: "power-cut" } }],
    });
    const config: GatewayConfig = {
      broker: server.mqttUrl,
      spoolDir,
      windowMs: MIN,
      maxSpooledPerProbe: 10_000,
      probes: [
        { mac: "A4:C1:38:00:00:01", probeId: pvvx.id, secret: pvvx.secret, format: "pvvx" },
        { mac: "A4:C1:38:00:00:02", probeId: bthome.id, secret: bthome.secret, bindkey: BINDKEY },
      ],
    };
    const acked: Record<string, number[]> = { [pvvx.id]: [], [bthome.id]: [] };
    const gateway = startGateway({
      config,
      source,
      reconnectMs: 200,
      tickMs: 200,
      onAcked: (probeId, entries) => acked[probeId]?.push(...entries.map((e) => e.seq)),
    });
    cleanups.push(() => gateway.close());

    // Readings flow while the broker is up.
    await waitFor(async () => (await readingsOf(server, pvvx.id, startMs)).length >= 20, 10_000);

    // Outage: the whole server goes away; the gateway keeps reading and spools to disk.
    await server.stop();
    serverUp = false;
    await sleep(100); // a PUBACK already on its way when the broker closed is counted before the baseline
    const ackedBefore = gateway.stats.published;
    await waitFor(async () => spooledLines(spoolDir, pvvx.id).length >= 15, 10_000);
    const spooledDuringOutage =
      spooledLines(spoolDir, pvvx.id).length + spooledLines(spoolDir, bthome.id).length;
    expect(gateway.stats.published).toBe(ackedBefore); // nothing acknowledged while down
    await sleep(500);

    // Back on the same data directory and ports: the spool is replayed.
    server = await startTestServer(env, dataDir);
    serverUp = true;
    await gateway.sourceDone;
    expect(await gateway.drained(20_000)).toBe(true);

    for (const probe of [pvvx, bthome]) {
      const api = await readingsOf(server, probe.id, startMs);
      const seqs = api.map((r) => r.seq);
      // Exactly once: seq 0..n-1, each reading once, and the gateway spooled exactly n.
      expect(seqs).toEqual(Array.from({ length: api.length }, (_, i) => i));
      // In order: the broker acknowledged them in seq order, each once.
      expect(acked[probe.id]).toEqual(seqs);
      // One a minute over three hours (the window in progress at each end may be partial).
      expect(api.length).toBeGreaterThanOrEqual(179);
      expect(api.length).toBeLessThanOrEqual(181);
      const ts = api.map((r) => Date.parse(r.ts));
      for (let i = 1; i < ts.length; i++) {
        expect(ts[i]! - ts[i - 1]!).toBeGreaterThan(0);
        expect(ts[i]! - ts[i - 1]!).toBeLessThan(2 * MIN); // never a gap the rules would call unmonitored
      }
      // The power cut shows: colder than -15 °C before it, clearly warmer two and a half hours in.
      expect(api[25]!.temp_c).toBeLessThan(-15);
      expect(api.at(-1)!.temp_c - api[25]!.temp_c).toBeGreaterThan(5);
    }
    expect(spooledDuringOutage).toBeGreaterThanOrEqual(15);
    expect(gateway.stats).toMatchObject({ undecodable: 0, replayed: 0, implausible: 0, spoolFull: 0 });
    expect(gateway.stats.unknownMac).toBeGreaterThan(1000); // the neighbour's sensor, counted and ignored
    expect(gateway.stats.readings).toBe(gateway.stats.published);
    // The retained status says the gateway's probes are online.
    const probe = await server.api<{ status: string | null; fw: string | null }>(
      "GET",
      `/api/v1/probes/${pvvx.id}`,
    );
    expect(probe.body).toMatchObject({ status: "online", fw: expect.stringContaining("coldtrail-gateway") });
    await gateway.close();
  }, 90_000);

  it("refuses replayed BTHome packets, garbage and other formats; counts unknown MACs", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.cleanup());
    const spoolDir = mkdtempSync(join(tmpdir(), "ct-gw-spool-"));
    cleanups.push(() => rmSync(spoolDir, { recursive: true, force: true }));
    const p = await registerProbe(server, {}, "ble-guarded-1");
    const { encodeAdvert } = await import("../src/decoders/index.js");
    const mac = "54:48:E6:8F:80:A5";
    const enc = (tempC: number, counter: number) => {
      const r = encodeAdvert("bthome-v2", { tempC }, { mac, bindkey: BINDKEY, counter });
      if (!r.ok) throw new Error(r.reason);
      return r.advert.serviceData;
    };
    const t0 = Date.now() - 10 * MIN;
    const src = createPushSource("test");
    const gateway = startGateway({
      config: {
        broker: server.mqttUrl,
        spoolDir,
        windowMs: MIN,
        maxSpooledPerProbe: 100,
        probes: [{ mac, probeId: p.id, secret: p.secret, bindkey: BINDKEY }],
      },
      source: src,
      reconnectMs: 200,
    });
    cleanups.push(() => gateway.close());
    const at = (i: number) => t0 + i * MIN;
    const base = { mac, rssi: -60, name: null, manufacturerData: {} };
    src.push({ ...base, atMs: at(0), serviceData: enc(-18, 10) });
    // A recording of that packet played back a minute later: same counter → refused, not a new reading.
    src.push({ ...base, atMs: at(1), serviceData: enc(-18, 10) });
    src.push({ ...base, atMs: at(1) + 1, serviceData: enc(25, 9) }); // older counter, warm: refused
    src.push({ ...base, atMs: at(2), serviceData: { fcd2: Uint8Array.of(0x40, 0x02, 0xc4) } }); // plaintext, cut short
    src.push({ ...base, atMs: at(2), serviceData: { fcd2: Uint8Array.of(0x40, 0x02, 0xc4, 0xf8) } }); // plaintext downgrade
    src.push({ ...base, atMs: at(3), serviceData: {}, manufacturerData: { 1177: Uint8Array.of(1, 2, 3) } });
    src.push({ ...base, mac: "11:22:33:44:55:66", atMs: at(3), serviceData: enc(-5, 99) });
    src.push({ ...base, atMs: at(4), serviceData: enc(-17.5, 11) });
    src.end();
    await gateway.sourceDone;
    expect(await gateway.drained(10_000)).toBe(true);
    expect(gateway.stats).toMatchObject({
      adverts: 8,
      replayed: 2,
      undecodable: 3,
      unknownMac: 1,
      readings: 2,
      published: 2,
    });
    const api = await readingsOf(server, p.id, t0 - MIN);
    expect(api.map((r) => [Date.parse(r.ts), r.temp_c])).toEqual([
      [at(0), -18],
      [at(4), -17.5],
    ]);
    // The floor survives a restart of the gateway: the same old packet is still refused.
    await gateway.close();
    expect(JSON.parse(readFileSync(join(spoolDir, "bthome-counters.json"), "utf8"))).toEqual({ [mac]: 11 });
    const src2 = createPushSource("test-2");
    const again = startGateway({
      config: {
        broker: server.mqttUrl,
        spoolDir,
        windowMs: MIN,
        maxSpooledPerProbe: 100,
        probes: [{ mac, probeId: p.id, secret: p.secret, bindkey: BINDKEY }],
      },
      source: src2,
      reconnectMs: 200,
    });
    cleanups.push(() => again.close());
    src2.push({ ...base, atMs: at(6), serviceData: enc(-17.5, 11) });
    src2.end();
    await again.sourceDone;
    expect(again.stats).toMatchObject({ replayed: 1, readings: 0 });
    await again.close();
  });
});
