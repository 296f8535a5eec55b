/**
 * Failover (issue #13's test, docs/high-availability.md): two coldtrail processes on one
 * PostgreSQL, one Mosquitto (share group) and one influxd, a webhook receiver as the alert
 * channel. A donor freezer warms past −18 °C for 45 min (a power cut, RULES.md §3) and cools
 * again; the instance holding the unit's lease is killed with SIGKILL mid-excursion:
 * - before the alert is raised (the survivor, which judged every reading in its shadow monitor,
 *   must raise it: item 4's re-apply when it gains the unit), and
 * - between the raise and the resolve (the survivor must resolve it and not raise it again).
 * Then: the survivor holds every lease within the keeper's bound (asserted as an event with a
 * generous deadline, the time seen printed); the webhook heard each state change (opened,
 * resolved) under exactly one X-Coldtrail-Delivery id each (a retry of one id is allowed: a
 * receiver deduplicates on it) and nothing else; and once the dead instance is started again on
 * its data folder, as an operator would (what it had journaled and acknowledged but not forwarded
 * waits there: docs/high-availability.md "What is not covered"), every reading Mosquitto
 * acknowledged is in InfluxDB exactly once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { readingTimestamps, uniqueDatabaseName } from "../../test/influxd.js";
import { isMosquittoInstalled, type MosquittoHarness } from "../../test/mosquitto.js";
import { freePort } from "../../test/processes.js";
import type { MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import { connectProbe, waitFor } from "./harness.js";
import { sharedInstanceEnv, startIngestBroker } from "./ingest-broker.js";
import { type PostgresHarness, startPostgres } from "./postgres.js";
import { type ServerProcess, serverProcess } from "./server-process.js";

const skip =
  process.env.COLDTRAIL_SKIP_POSTGRES === "1" ||
  process.env.COLDTRAIL_SKIP_MOSQUITTO === "1" ||
  !isMosquittoInstalled() ||
  inject("influxUrl") === "";
const MIN = 60_000;
const HOUR = 60 * MIN;
const TTL_S = 3;
/**
 * What the lease keeper promises (ha/lease-keeper.ts): a dead holder's units move within the
 * lease's time to live plus one renewal period (a third of it). Printed, not asserted: the test
 * asserts the take-over as an event within TAKEOVER_DEADLINE_MS, generous for a loaded machine.
 */
const TAKEOVER_BOUND_MS = TTL_S * 1000 + (TTL_S * 1000) / 3;
const TAKEOVER_DEADLINE_MS = 60_000;
/** Every other wait on a condition: generous, for a machine at load average 10 and more. */
const WAIT_MS = 120_000;
/** An outbox claim of the dead instance expires after 60 s (alerts/outbox.ts), then is retried. */
const DELIVERY_DEADLINE_MS = 180_000;
const GLOBAL_LEASE = "~global";

interface Received {
  deliveryIds: string[];
}

interface Alert {
  id: string;
  kind: string;
  state: string;
  details: Record<string, unknown>;
}

describe.skipIf(skip)("failover: kill -9 the unit's lease holder during a power cut", () => {
  const influxUrl = inject("influxUrl");
  let postgres: PostgresHarness;
  let m: MosquittoHarness;
  let prov: MosquittoProvisioner;
  let hook: Server;
  let hookUrl: string;
  const received: Received[] = [];
  const procs: ServerProcess[] = [];
  const clients: MqttClient[] = [];
  const pools: pg.Pool[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    ({ m, prov } = await startIngestBroker());
    hook = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        received.push({
          deliveryIds: String(req.headers["x-coldtrail-delivery"] ?? "").split(", "),
        });
        res.writeHead(204).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => hook.listen(port, "127.0.0.1", () => r()));
    hookUrl = `http://127.0.0.1:${port}/hook`;
  }, 120_000);
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    for (const s of procs.splice(0)) await s.stop();
    for (const p of pools.splice(0)) await p.end();
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((r) => hook?.close(() => r()));
    await prov?.close();
    await m?.dispose();
    await postgres?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function instance(name: string, databaseUrl: string, influxDb: string) {
    const dir = mkdtempSync(join(tmpdir(), `coldtrail-ha-failover-${name}-`));
    dirs.push(dir);
    const s = await serverProcess(
      sharedInstanceEnv(
        name,
        { dataDir: dir, databaseUrl, mqttUrl: m.url, leaseTtlS: TTL_S },
        {
          COLDTRAIL_STORE: "influx",
          COLDTRAIL_INFLUX_URL: influxUrl,
          COLDTRAIL_INFLUX_DB: influxDb,
          COLDTRAIL_MQTT_ADOPT_AFTER_S: "1",
          COLDTRAIL_WEBHOOK_ALLOW_PRIVATE: "1",
        },
      ),
    );
    procs.push(s);
    return s;
  }

  async function scenario(tag: string, killWhen: "before-raise" | "after-raise") {
    const url = await postgres.createDatabase(`ha_failover_${tag}`);
    const db = new pg.Pool({ connectionString: url, max: 1 });
    pools.push(db);
    const influxDb = uniqueDatabaseName(`failover_${tag}`);
    const names = [`${tag}-a`, `${tag}-b`];
    const servers = new Map<string, ServerProcess>();
    for (const name of names) servers.set(name, await instance(name, url, influxDb));
    const a = servers.get(names[0] as string) as ServerProcess;

    const channel = await a.api<{ id: string }>("POST", "/api/v1/channels", {
      kind: "webhook",
      target: `${hookUrl}/${tag}`,
    });
    expect(channel.status).toBe(201);
    const start = Date.now() - 4 * HOUR;
    const unit = await a.api<{ id: string }>("POST", "/api/v1/units", {
      name: "Donor freezer",
      kind: "freezer",
    });
    expect(unit.status).toBe(201);
    const unitId = unit.body.id;
    const probe = await a.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
    expect(probe.status).toBe(201);
    const attached = await a.api("PUT", `/api/v1/probes/${probe.body.id}/unit`, {
      unitId,
      at: new Date(start).toISOString(),
    });
    expect(attached.status).toBe(200);
    expect(await prov.ensureProbe(probe.body.id, probe.body.secret)).toEqual({ ok: true });

    // Both instances know the probe on the unit (registry followed over LISTEN/NOTIFY), and the
    // leases have settled: each instance holds one of the unit and the global lease.
    for (const s of servers.values()) {
      await waitFor(async () => {
        const r = await s.api<{ unitId: string | null }>("GET", `/api/v1/probes/${probe.body.id}`);
        return r.status === 200 && r.body.unitId === unitId;
      }, WAIT_MS);
    }
    const liveLeases = async () =>
      new Map(
        (
          await db.query<{ unit_id: string; holder: string }>(
            "SELECT unit_id, holder FROM unit_lease WHERE expires_ms > CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
          )
        ).rows.map((r) => [r.unit_id, r.holder]),
      );
    const holder = await waitFor(async () => {
      const live = await liveLeases();
      const u = live.get(unitId);
      const g = live.get(GLOBAL_LEASE);
      return u !== undefined && g !== undefined && u !== g && names.includes(u) && names.includes(g) && u;
    }, WAIT_MS);
    const survivorName = names.find((n) => n !== holder) as string;
    const victim = servers.get(holder) as ServerProcess;
    const survivor = servers.get(survivorName) as ServerProcess;

    // Two hours at −19 °C, 45 min at −10 °C (above −18 °C for more than 30 min: RULES.md §3,
    // confirmed by the reading at +31 min), then 45 min back at −19 °C (the run ends after 30).
    const c = await connectProbe(m.url, probe.body.id, probe.body.secret, { reconnectPeriod: 500 });
    clients.push(c);
    const topic = `coldtrail/v1/probes/${probe.body.id}/readings`;
    const warmFrom = start + 2 * HOUR;
    const warmTo = warmFrom + 45 * MIN;
    const end = warmTo + 45 * MIN;
    const acked = new Set<number>();
    const publish = async (fromMs: number, toMs: number) => {
      for (let t = fromMs; t < toMs; t += MIN) {
        const tempC = t >= warmFrom && t < warmTo ? -10 : -19;
        await c.publishAsync(topic, JSON.stringify({ readings: [{ ts: t, temp_c: tempC }] }), { qos: 1 });
        acked.add(t);
      }
    };
    /** Delivery ids the webhook heard for this scenario's channel, retries included. */
    const heard = () =>
      received.flatMap((r) => r.deliveryIds).filter((id) => id.endsWith(`.${channel.body.id}`));
    const excursions = async (s: ServerProcess) =>
      (await s.api<{ alerts: Alert[] }>("GET", `/api/v1/alerts?unitId=${unitId}&kind=excursion`)).body.alerts;

    const killAt = killWhen === "before-raise" ? warmFrom + 20 * MIN : warmTo;
    await publish(start, killAt);
    if (killWhen === "after-raise") {
      // The holder raised the alert and the webhook heard it: now the holder dies.
      const open = await waitFor(
        async () => (await excursions(victim)).find((x) => x.state === "open"),
        WAIT_MS,
      );
      await waitFor(async () => heard().some((id) => id.startsWith(`${open.id}.`)), WAIT_MS);
    } else {
      expect(await excursions(victim)).toEqual([]);
    }
    const killedMs = Date.now();
    await victim.kill9();
    // The survivor holds every lease, the unit's and the global one: watched from the kill on,
    // while the rest of the power cut and the cooling are published at once (the survivor judges
    // them on its own judging subscription whether or not it holds the unit yet).
    const takeover = waitFor(
      async () => {
        const live = await liveLeases();
        return live.get(unitId) === survivorName && live.get(GLOBAL_LEASE) === survivorName;
      },
      TAKEOVER_DEADLINE_MS,
      20,
    );
    await publish(killAt, end);
    await takeover;
    // When, by the database's clock, the survivor acquired each (printed, not asserted).
    const acquired = await db.query<{ acquired_ms: string }>(
      "SELECT acquired_ms FROM unit_lease WHERE unit_id = ANY($1)",
      [[unitId, GLOBAL_LEASE]],
    );
    const takeoverMs = Math.max(...acquired.rows.map((r) => Number(r.acquired_ms))) - killedMs;

    // One excursion alert, opened and resolved, with its bounds from the readings.
    const resolved = await waitFor(async () => {
      const alerts = await excursions(survivor);
      return alerts.length > 0 && alerts.every((x) => x.state === "resolved") && alerts;
    }, WAIT_MS);
    expect(resolved).toHaveLength(1);
    const alertId = (resolved[0] as Alert).id;
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(resolved[0]?.details).toMatchObject({ from: iso(warmFrom), to: iso(warmTo), minutes: 45 });
    const events = await db.query<{ type: string }>(
      "SELECT type FROM alert_event WHERE alert_id = $1 ORDER BY id",
      [alertId],
    );
    expect(events.rows.map((e) => e.type)).toEqual(["opened", "resolved"]);

    // The webhook: each state change under one delivery id, each heard, nothing else sent to it.
    // (The probe's clock-skew alert, on the global lease, is told too: its readings are hours old.)
    const outbox = await db.query<{ delivery_id: string; event_type: string; alert_id: string }>(
      "SELECT delivery_id, event_type, alert_id FROM alert_outbox WHERE channel_id = $1 ORDER BY id",
      [channel.body.id],
    );
    expect(outbox.rows.filter((r) => r.alert_id === alertId).map((r) => r.event_type)).toEqual([
      "opened",
      "resolved",
    ]);
    const changes = outbox.rows.map((r) => `${r.alert_id} ${r.event_type}`);
    expect(new Set(changes).size).toBe(changes.length);
    const ids = outbox.rows.map((r) => r.delivery_id);
    await waitFor(async () => ids.every((id) => heard().includes(id)), DELIVERY_DEADLINE_MS, 100);
    expect([...new Set(heard())].sort()).toEqual([...ids].sort());
    const retries = heard().length - ids.length;

    // The dead instance started again on its data folder (as an operator would): what it had
    // journaled and acknowledged but not forwarded reaches InfluxDB. Every acknowledged reading
    // is there exactly once.
    await victim.start();
    const stored = await waitFor(async () => {
      const ts = await readingTimestamps(influxUrl, influxDb, probe.body.id);
      const have = new Set(ts);
      return [...acked].every((t) => have.has(t)) && ts;
    }, WAIT_MS);
    expect(stored).toHaveLength(acked.size);
    expect(new Set(stored).size).toBe(stored.length);
    // The restarted instance sent no notification of its own.
    expect([...new Set(heard())].sort()).toEqual([...ids].sort());
    console.info(
      `failover (${killWhen}): the survivor held every lease ${takeoverMs} ms after kill -9 (keeper's bound ${TAKEOVER_BOUND_MS} ms); ${acked.size} readings in InfluxDB once; ${ids.length} deliveries, ${retries} retried under the same id`,
    );
  }

  it("killed before the excursion alert is raised: the survivor raises and resolves it, each told once", async () => {
    await scenario("before", "before-raise");
  }, 600_000);

  it("killed between the raise and the resolve: the survivor resolves it, neither repeated nor lost", async () => {
    await scenario("between", "after-raise");
  }, 600_000);
});
