/**
 * A real alerts module for tests: a temporary SQLite file with the server's migrations (plus
 * ALERTS_DDL until the lead appends it as a migration), the real registry, and an injected clock.
 * Used by this folder's tests and by server/test/alerts*.test.ts; not used by the server.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type App, createApi } from "../api/app.js";
import { openDatabase } from "../db/open.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { createLogger } from "../logger.js";
import { createAudit } from "../registry/audit.js";
import { ADMIN } from "../registry/caller.js";
import { createProbes } from "../registry/probes.js";
import { createRegistryIndex } from "../registry/registry-index.js";
import { createUnits, type UnitKind } from "../registry/units.js";
import { PROFILE_IDS } from "../rules/index.js";
import { type AlertingDeps, createAlerting } from "./alerting.js";
import type { StoredReading } from "./engine.js";
import { alertsPlugin, channelsPlugin } from "./routes.js";
import { ALERTS_DDL } from "./schema.js";
import { createSecretBox } from "./secret-box.js";

export const TEST_ADMIN_TOKEN = "alerts-test-admin-token-0123";
/** 3 May 2026, 12:00 UTC. */
export const T0 = Date.UTC(2026, 4, 3, 12, 0, 0);
export const MIN = 60_000;

export function createTestWorld(
  opts: Partial<Omit<AlertingDeps, "sql" | "units" | "probes" | "log">> & {
    realClock?: boolean;
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-alerts-"));
  const db = openDatabase(dir);
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alert'").get()) {
    db.transaction(() => {
      for (const sql of ALERTS_DDL) db.exec(sql);
    })();
  }
  const audit = createAudit(db);
  // The SQL client on its own connection to the same file, as the server builds it (app.ts); a new
  // database: the registry's index starts empty and follows the writes made here.
  const sql = createSqliteClient(db);
  const index = createRegistryIndex();
  const units = createUnits(sql, index, () => new Set<string>(PROFILE_IDS));
  const probes = createProbes(sql, index);
  const log = createLogger(process.env.COLDTRAIL_TEST_LOG ?? "silent");
  let nowMs = T0;
  const now = opts.realClock ? Date.now : () => nowMs;
  // One key for the world's life, as a server keeps one: rebuilt alerting opens what it sealed.
  const secretBox = createSecretBox(randomBytes(32));
  const build = () =>
    createAlerting({
      sql,
      units,
      probes,
      log,
      now,
      publicUrl: "https://coldtrail.example",
      tickEveryMs: 0,
      // Tests deliver to receivers on 127.0.0.1 (COLDTRAIL_WEBHOOK_ALLOW_PRIVATE=1 in a server).
      webhookPolicy: { allowPrivate: true, ownPorts: () => [] },
      secretBox,
      ...opts,
    });
  let alerting = build();
  let api: App | null = null;

  const world = {
    dir,
    db,
    sql,
    audit,
    units,
    probes,
    /** The current alerts module (a new one after `restart`). */
    get alerting() {
      return alerting;
    },
    now,
    setNow(ms: number) {
      nowMs = ms;
    },
    /** A unit with a probe attached, both created at `atMs`. */
    async unitWithProbe(
      name: string,
      kind: UnitKind = "freezer",
      atMs = now(),
      probeId?: string,
    ): Promise<{ unitId: string; probeId: string }> {
      const unit = await units.create(ADMIN, { name, kind }, atMs);
      const { probe } = await probes.create(
        ADMIN,
        { name: `${name} probe`, unitId: unit.id, ...(probeId && { id: probeId }) },
        atMs,
      );
      return { unitId: unit.id, probeId: probe.id };
    },
    /** A probe attached to no unit (its health alerts have no unit). */
    async loneProbe(probeId: string, atMs = now()): Promise<string> {
      return (await probes.create(ADMIN, { id: probeId }, atMs)).probe.id;
    },
    /** One live message: readings stored as the forwarder would hand them over; resolves once its alert changes committed. */
    async reading(probeId: string, tsMs: number, tempC: number, receivedMs = tsMs): Promise<void> {
      const r: StoredReading = { probeId, tsMs, tempC, seq: null, serverTimed: false, receivedMs };
      alerting.onStored([r]);
      await alerting.settled();
    },
    /** Sets the clock to `ms` and ticks (resolves once the tick's changes committed). */
    async tickAt(ms: number): Promise<void> {
      nowMs = ms;
      await alerting.tick(ms);
    },
    /** One reading a minute from `fromMs` to `toMs` (exclusive), ticking along. */
    async run(
      probeId: string,
      fromMs: number,
      toMs: number,
      tempC: number | ((ms: number) => number),
    ): Promise<void> {
      for (let t = fromMs; t < toMs; t += MIN) {
        nowMs = t;
        await world.reading(probeId, t, typeof tempC === "number" ? tempC : tempC(t));
        await alerting.tick(t);
      }
    },
    /** Stops the alerts module and starts a new one on the same database, as a server restart does. */
    async restart(): Promise<void> {
      await alerting.stop();
      alerting = build();
      await alerting.start();
    },
    active: () => alerting.store.active(),
    all: () => alerting.store.list(ADMIN, { limit: 1000 }),
    /** The HTTP API with the alert routes, on a free port. */
    async listen(): Promise<string> {
      api = await createApi({ log, adminToken: TEST_ADMIN_TOKEN });
      await api.register(alertsPlugin, alerting.http.alerts);
      await api.register(channelsPlugin, alerting.http.channels);
      await api.listen({ port: 0, host: "127.0.0.1" });
      const addr = api.server.address();
      return `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
    },
    async close(): Promise<void> {
      await alerting.stop();
      // A pump or mark the outbox queued before stop() still runs once: let it, before the
      // database closes under it.
      await new Promise((r) => setImmediate(r));
      if (api) await api.close();
      await sql.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}
export type TestWorld = ReturnType<typeof createTestWorld>;

/** An HTTP call with the test admin token. */
export async function call<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}
