/**
 * One writer of alerts per unit (issue #13, docs/high-availability.md items 1 and 3): two
 * coldtrail processes on one PostgreSQL and one Mosquitto, sharing the readings through a share
 * group. Each stores only its share, but each judges every reading (its own plain judging
 * subscription), and only the holder of the unit's lease writes the unit's alerts: a 45-minute
 * warm excursion gives exactly one alert with one "opened" event, whichever instance holds it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMosquittoInstalled, type MosquittoHarness } from "../../test/mosquitto.js";
import type { MosquittoProvisioner } from "../src/broker/mosquitto-dynsec.js";
import { connectProbe, waitFor } from "./harness.js";
import { sharedInstanceEnv, startIngestBroker } from "./ingest-broker.js";
import { type PostgresHarness, startPostgres } from "./postgres.js";
import { type ServerProcess, serverProcess } from "./server-process.js";

const skip =
  process.env.COLDTRAIL_SKIP_POSTGRES === "1" ||
  process.env.COLDTRAIL_SKIP_MOSQUITTO === "1" ||
  !isMosquittoInstalled();
const MIN = 60_000;
const HOUR = 60 * MIN;
/**
 * A batch made on one instance reaches the other's custody index by NOTIFY, in milliseconds; the
 * index is not visible over HTTP, so the test leaves a generous margin before the probe publishes.
 */
const CUSTODY_RELOAD_MS = 5000;

interface Alert {
  id: string;
  kind: string;
  state: string;
  unitId: string | null;
  details: Record<string, unknown>;
}

describe.skipIf(skip)("two instances, one PostgreSQL, one Mosquitto share group", () => {
  let postgres: PostgresHarness;
  let m: MosquittoHarness;
  let prov: MosquittoProvisioner;
  let pool: pg.Pool | undefined;
  const procs: ServerProcess[] = [];
  const clients: MqttClient[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    ({ m, prov } = await startIngestBroker());
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    for (const s of procs) await s.stop();
    await pool?.end();
    await prov?.close();
    await m?.dispose();
    await postgres?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function instance(name: string, databaseUrl: string): Promise<ServerProcess> {
    const dir = mkdtempSync(join(tmpdir(), `coldtrail-ha-judging-${name}-`));
    dirs.push(dir);
    const s = await serverProcess(
      sharedInstanceEnv(name, { dataDir: dir, databaseUrl, mqttUrl: m.url, leaseTtlS: 3 }),
    );
    procs.push(s);
    return s;
  }

  it("a 45-minute warm excursion: one alert, one opened event, written by the unit's lease holder only", async () => {
    const url = await postgres.createDatabase("ha_judging");
    pool = new pg.Pool({ connectionString: url, max: 1 });
    const db = pool;
    const a = await instance("judge-a", url);
    const b = await instance("judge-b", url);

    const start = Date.now() - 4 * HOUR;
    const unit = await a.api<{ id: string }>("POST", "/api/v1/units", {
      name: "Donor freezer",
      kind: "freezer",
    });
    expect(unit.status).toBe(201);
    const probe = await a.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
    expect(probe.status).toBe(201);
    const attached = await a.api("PUT", `/api/v1/probes/${probe.body.id}/unit`, {
      unitId: unit.body.id,
      at: new Date(start).toISOString(),
    });
    expect(attached.status).toBe(200);
    const batch = await a.api("POST", "/api/v1/batches", {
      unitId: unit.body.id,
      expressedAt: new Date(start - HOUR).toISOString(),
      at: new Date(start).toISOString(),
      state: "frozen",
    });
    expect(batch.status).toBe(201);
    expect(await prov.ensureProbe(probe.body.id, probe.body.secret)).toEqual({ ok: true });

    // Both instances know the probe and the batch (registry and custody index followed over
    // LISTEN/NOTIFY), and both are present in the lease table with the unit held by one of them.
    await waitFor(async () => (await b.api("GET", `/api/v1/probes/${probe.body.id}`)).status === 200, 30_000);
    await new Promise((r) => setTimeout(r, CUSTODY_RELOAD_MS + 1000));
    const holder = await waitFor(async () => {
      const rows = await db.query<{ unit_id: string; holder: string }>(
        "SELECT unit_id, holder FROM unit_lease WHERE expires_ms > CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
      );
      const present = rows.rows.filter((r) => r.unit_id.startsWith("~instance/")).map((r) => r.holder);
      const unitRow = rows.rows.find((r) => r.unit_id === unit.body.id);
      return present.includes("judge-a") && present.includes("judge-b") && unitRow?.holder;
    }, 30_000);
    expect(["judge-a", "judge-b"]).toContain(holder);

    // Two hours at −19 °C, 45 min at −10 °C with one reading at −6 °C (above −18 °C for more
    // than 30 min: RULES.md §3),
    // then back to −19 °C: one reading a message, so the share group spreads them over the four
    // ingest connections of the two instances.
    const c = await connectProbe(m.url, probe.body.id, probe.body.secret);
    clients.push(c);
    const warmFrom = start + 2 * HOUR;
    const warmTo = warmFrom + 45 * MIN;
    const end = warmTo + 45 * MIN;
    const peakAt = warmFrom + 20 * MIN;
    for (let t = start; t < end; t += MIN) {
      const tempC = t === peakAt ? -6 : t >= warmFrom && t < warmTo ? -10 : -19;
      await c.publishAsync(
        `coldtrail/v1/probes/${probe.body.id}/readings`,
        JSON.stringify({ readings: [{ ts: t, temp_c: tempC }] }),
        { qos: 1 },
      );
    }

    // The excursion opened and, once the freezer was cold for 30 min again, resolved: seen the
    // same from either instance.
    const list = async (s: ServerProcess) =>
      (await s.api<{ alerts: Alert[] }>("GET", `/api/v1/alerts?unitId=${unit.body.id}&kind=excursion`)).body
        .alerts;
    const resolved = await waitFor(async () => {
      const alerts = await list(a);
      return alerts.length > 0 && alerts.every((x) => x.state === "resolved") && alerts;
    }, 60_000);
    expect(resolved).toHaveLength(1);
    // Its bounds and peak come from single readings that the share group gave to one instance or
    // the other: right only when the writer judged every reading, not just the ones it stored.
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(resolved[0]?.details).toMatchObject({
      from: iso(warmFrom),
      confirmedAt: iso(warmFrom + 31 * MIN),
      to: iso(warmTo),
      peakC: -6,
      minutes: 45,
    });
    const seen = (alerts: Alert[]) => alerts.map((x) => ({ id: x.id, state: x.state, unitId: x.unitId }));
    expect(seen(await list(b))).toEqual(seen(resolved));

    // Each instance stored only its share of the readings, yet exactly one alert row and one
    // "opened" event were written.
    const alertRows = await db.query("SELECT id FROM alert WHERE unit_id = $1 AND kind = 'excursion'", [
      unit.body.id,
    ]);
    expect(alertRows.rows).toEqual([{ id: resolved[0]?.id }]);
    const events = await db.query<{ type: string }>(
      "SELECT type FROM alert_event WHERE alert_id = $1 ORDER BY id",
      [resolved[0]?.id],
    );
    // Not opened by one and "recurred" (or "reopened") by the other: the raise and the clear
    // committed once, on the lease holder.
    expect(events.rows.map((e) => e.type)).toEqual(["opened", "resolved"]);
  }, 180_000);
});
