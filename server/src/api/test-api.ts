/**
 * The HTTP API for route tests: every route plugin on a real SQLite registry and readings store in
 * a temporary directory, an injected clock, no sockets (`app.inject`) and no broker. Used by the
 * `*.test.ts` files next to the route plugins; not used by the server.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accountsBesideRegistry } from "../accounts/beside-registry.js";
import { createSignInThrottle } from "../accounts/throttle.js";
import { createAlerting } from "../alerts/alerting.js";
import { resolveVapidKeys } from "../alerts/push/vapid.js";
import { createSecretBox } from "../alerts/secret-box.js";
import { loadConfig } from "../config.js";
import { openDatabase } from "../db/open.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { createLogger, type Logger } from "../logger.js";
import type { Reading } from "../reading.js";
import { createMeteredPipeline } from "../readings/pipeline.js";
import { createRegistry } from "../registry/registry.js";
import { createJudging } from "../verdicts/judging.js";
import { createApi } from "./app.js";
import { registerRoutes } from "./routes.js";

export const TEST_TOKEN = "route-test-admin-token-0123456789";
/** 3 May 2026, 12:00 UTC. */
export const T0 = Date.UTC(2026, 4, 3, 12, 0, 0);
export const PUBLIC_URL = "https://coldtrail.example";
export const MQTT_URL = "mqtts://mqtt.coldtrail.example:8883";

function vapidOf(r: ReturnType<typeof resolveVapidKeys>) {
  if (!r.ok) throw new Error(r.reason);
  return r.keys;
}

export async function createTestApi(opts: { dashboard?: boolean; log?: Logger } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-routes-"));
  const db = openDatabase(dir);
  const log = opts.log ?? createLogger(process.env.COLDTRAIL_TEST_LOG ?? "silent");
  let nowMs = T0;
  const now = () => nowMs;
  const config = loadConfig({ COLDTRAIL_DATA_DIR: dir, COLDTRAIL_JOURNAL_MAX_WAIT_MS: "0" });
  const sql = createSqliteClient(db);
  const registry = await createRegistry(db, sql);
  const { units, probes, batches, deadLetters } = registry;
  const { metrics, pipeline } = createMeteredPipeline({ config, db, log, deadLetters, now });
  const { store } = pipeline;
  const { unitReadings, batchVerdicts, checkpoints } = createJudging({
    probes,
    units,
    batches,
    store,
    db,
    log,
    previousStopClean: pipeline.previousStopClean,
  });
  pipeline.onStored(checkpoints.observe);
  const alerting = createAlerting({
    sql,
    units,
    probes,
    log,
    now,
    publicUrl: PUBLIC_URL,
    tickEveryMs: 0,
    vapid: vapidOf(resolveVapidKeys({ dataDir: dir })),
    secretBox: createSecretBox(randomBytes(32)),
  });
  const issued: { probeId: string; secret: string }[] = [];
  const changedUnits: string[] = [];
  const onUnitChanged = (unitId: string) => void changedUnits.push(unitId);

  const throttle = createSignInThrottle({ now });
  const accounts = accountsBesideRegistry(registry, db, { now, throttle });
  const app = await createApi({ log, adminToken: TEST_TOKEN, accounts });
  let dashboardDir: string | undefined;
  if (opts.dashboard) {
    dashboardDir = join(dir, "dashboard");
    mkdirSync(dashboardDir);
    writeFileSync(join(dashboardDir, "index.html"), "<!doctype html><title>coldtrail</title>");
    writeFileSync(join(dashboardDir, "main.js"), "console.log('coldtrail');");
  }
  await registerRoutes(app, {
    registry,
    accounts,
    pipeline,
    metrics,
    unitReadings,
    batchVerdicts,
    alerting,
    log,
    now,
    publicHttpUrl: () => PUBLIC_URL,
    publicMqttUrl: () => MQTT_URL,
    // As in app.ts: the (here recorded) broker gets the secret.
    issueProbeCredentials: async (probeId, secret) => {
      issued.push({ probeId, secret });
      return { ok: true };
    },
    onUnitChanged,
    dashboardDir,
  });
  await app.ready();

  /** An injected request with the test token; the body parsed when it is JSON. */
  async function api<T = unknown>(method: string, url: string, body?: unknown) {
    const res = await app.inject({
      method: method as "GET",
      url,
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      ...(body !== undefined && { payload: body as object }),
    });
    const json = res.headers["content-type"]?.toString().includes("json");
    return { status: res.statusCode, body: (json ? res.json() : res.body) as T, headers: res.headers };
  }

  return {
    app,
    api,
    db,
    registry,
    accounts,
    throttle,
    alerting,
    store,
    issued,
    changedUnits,
    now,
    setNow(ms: number) {
      nowMs = ms;
    },
    /** Readings as the store would hold them (straight into the SQLite store). */
    async write(readings: Reading[]) {
      await store.write(readings);
      store.observe(readings);
      checkpoints.observe(readings);
    },
    async close() {
      await app.close();
      await alerting.stop();
      await pipeline.stop();
      await deadLetters.settled();
      await sql.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type TestApi = Awaited<ReturnType<typeof createTestApi>>;
