import { mkdirSync } from "node:fs";
import { resolveAdminToken } from "./admin-token.js";
import { createAlerting } from "./alerts/alerting.js";
import { type MqttPublish, publishViaAedes, publishViaMqttClient } from "./alerts/channels/mqtt.js";
import { buildApi, type Routes } from "./api/app.js";
import { startBleGatewayBridge } from "./bridges/ble-gateway.js";
import { createBleMacMap } from "./bridges/ble-mac-map.js";
import { startEmbeddedBroker } from "./broker/embedded.js";
import { connectExternalBroker } from "./broker/external.js";
import { externalBrokerHealth } from "./broker/external-state.js";
import { createMosquittoProvisioner, type MosquittoProvisioner } from "./broker/mosquitto-dynsec.js";
import type { Config } from "./config.js";
import type { Context } from "./context.js";
import { openDatabase } from "./db/open.js";
import { createIngest } from "./ingest/ingest.js";
import { createForwarder } from "./journal/forwarder.js";
import { createJournal } from "./journal/journal.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import type { Reading } from "./reading.js";
import { createReadingsCache } from "./readings/cache.js";
import { createUnitHistory } from "./history/unit-history.js";
import { createUnitReadings } from "./readings/unit-readings.js";
import { createAudit } from "./registry/audit.js";
import { createBatches } from "./registry/batches.js";
import { createDeadLetters } from "./registry/deadletters.js";
import { createProbeLive } from "./registry/probe-live.js";
import { createProbes } from "./registry/probes.js";
import { createUnits } from "./registry/units.js";
import { PROFILE_IDS } from "./rules/index.js";
import { createInfluxReadingsStore } from "./stores/influx.js";
import { createSqliteReadingsStore, createSqliteReadingsUpsert } from "./stores/sqlite.js";
import type { ReadingsStore } from "./stores/types.js";
import { createBatchVerdicts } from "./verdicts/batch-verdict.js";
import { createVerdictRefresher } from "./verdicts/refresher.js";

export interface Coldtrail {
  ctx: Context;
  httpUrl: string;
  mqttUrl: string;
  adminToken: string;
  /** Runs the alert timers (offline, escalation, reminders) now rather than at the next tick. */
  tickAlerts(): void;
  /** Orderly stop: no new messages, journal committed, store given a moment to catch up. */
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  now?: () => number;
  /** Extra route plugins (batches, alerts, dashboard) wired by later modules. */
  routes?: Routes[];
  onStored?: (readings: readonly Reading[]) => void;
  /** A built dashboard to serve at / (see dashboard/build.ts). */
  dashboardDir?: string;
}

const LIVE_FLUSH_MS = 2000;
/** Readings kept in memory for verdicts (about 60 bytes each: 2 M ≈ 120 MB, four probe-years). */
const READINGS_CACHE_MAX = 2_000_000;
/** Stored verdicts follow new readings within a few seconds; bursts (a replayed buffer) share one refresh. */
const VERDICT_REFRESH_DEBOUNCE_MS = 2000;
/** Batches whose storage limit falls within a week are announced to staff (batch-storage-limit alerts). */
const DUE_BATCH_HORIZON_MS = 7 * 86_400_000;

export async function startColdtrail(config: Config, opts: StartOptions = {}): Promise<Coldtrail> {
  const log = opts.log ?? createLogger(config.logLevel);
  const now = opts.now ?? Date.now;
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(config.dataDir);
  const admin = resolveAdminToken(config.adminToken, config.dataDir);
  if (admin.generated) {
    process.stderr.write(
      `\ncoldtrail: generated the bootstrap admin token (shown once; also in ${config.dataDir}/admin-token):\n  ${admin.token}\n\n`,
    );
  }

  const backing: ReadingsStore =
    config.store.kind === "influx"
      ? createInfluxReadingsStore({
          url: config.store.url,
          database: config.store.database,
          token: config.store.token,
        })
      : createSqliteReadingsStore(db);
  const store = createReadingsCache(backing, { maxReadings: READINGS_CACHE_MAX });
  const audit = createAudit(db);
  const units = createUnits(db, audit, () => new Set(PROFILE_IDS));
  const probes = createProbes(db, audit);
  const batches = createBatches(db, audit);
  const live = createProbeLive(probes);
  const deadLetters = createDeadLetters(db);
  const unitReadings = createUnitReadings(probes, store, probes.calibrationOf);
  const history = createUnitHistory({ probes, unitReadings });
  const batchVerdicts = createBatchVerdicts({ batches, units, history, log });
  const refresher = createVerdictRefresher({
    db,
    batches,
    probes,
    batchVerdicts,
    log,
    now,
    debounceMs: VERDICT_REFRESH_DEBOUNCE_MS,
  });
  let publicHttpUrl = config.http.publicUrl ?? "";
  let publishRef: MqttPublish | null = null;
  const alerting = createAlerting({
    db,
    audit,
    units,
    probes,
    log,
    now,
    publicUrl: () => publicHttpUrl || null,
    smtpUrl: config.smtpUrl ?? null,
    mqttPublish: (t, p, o) =>
      publishRef ? publishRef(t, p, o) : Promise.reject(new Error("MQTT not ready yet")),
    batchesIn: (unitId, atMs) => batches.inUnit(unitId, atMs, atMs + 1),
    packedSince: (unitId, atMs) => batches.packedSince(unitId, atMs),
    listDueBatches: (nowMs) => refresher.dueBatches(nowMs, DUE_BATCH_HORIZON_MS),
  });
  // Gauges are read on scrape only, after start-up: they may name the journal and forwarder below.
  const metrics = createMetrics({
    journalDepth: () => journal.depth(),
    storeLagMs: () => forwarder.lagMs,
    storeBackoffMs: () => forwarder.backoffMs,
  });
  const storedHook = (rows: readonly Reading[]) => {
    store.observe(rows);
    alerting.onStored(rows);
    refresher.onStored(rows);
    metrics.stored.inc(rows.length);
    opts.onStored?.(rows);
  };
  const journal = createJournal(db, {
    maxWaitMs: config.journal.maxWaitMs,
    ...(config.store.kind === "sqlite" && { storeInTransaction: createSqliteReadingsUpsert(db) }),
    // Readings written in the commit itself are stored now; others once the forwarder confirms.
    onCommit: (rows) => {
      if (config.store.kind === "sqlite") storedHook(rows);
    },
  });

  const forwarder = createForwarder(journal, backing, log.child({ component: "forwarder" }), {
    batchSize: 5000,
    concurrency: 4,
    minBackoffMs: 250,
    maxBackoffMs: 15_000,
    onStored: (rows) => storedHook(rows),
    onError: () => metrics.storeErrors.inc(),
    onRefused: (rows, err) => {
      metrics.rejected.inc({ reason: "store_refused" }, rows.length);
      for (const r of rows) {
        deadLetters.add({
          atMs: now(),
          probeId: r.probeId,
          clientId: null,
          topic: "(journal)",
          reason: "store_refused",
          message: `the ${store.name} store refused this reading for good: ${err.message}`,
          payload: Buffer.from(JSON.stringify({ ts: r.tsMs, temp_c: r.tempC, seq: r.seq })),
        });
      }
    },
  });
  // Entries journaled before a crash are forwarded first.
  if (journal.depth() > 0) log.info({ depth: journal.depth() }, "journal.recovering");
  forwarder.poke();

  // Probe lookups happen per connection and per message; keep them in memory.
  const known = new Map<string, string>();
  const secretHashOf = (probeId: string): string | null => {
    const hit = known.get(probeId);
    if (hit) return hit;
    const auth = probes.auth(probeId);
    if (auth) known.set(probeId, auth.secretHash);
    return auth?.secretHash ?? null;
  };
  const ingest = createIngest({
    journal,
    deadLetters: {
      ...deadLetters,
      add(d) {
        deadLetters.add(d);
        alerting.onRejected(d.probeId, d.reason);
      },
    },
    metrics,
    log: log.child({ component: "ingest" }),
    isProbe: (id) => secretHashOf(id) !== null,
    updateProbe: (id, s) => {
      live.update(id, s);
      alerting.onProbeLive(id, s);
    },
    // With the SQLite store the commit itself stored the readings: nothing to forward.
    onJournaled: () => {
      if (journal.depth() > 0) forwarder.poke();
    },
    now,
  });

  let mqttUrl: string;
  let closeBroker: () => Promise<void>;
  let provisioner: MosquittoProvisioner | null = null;
  let ingestHealth: Context["ingestHealth"];
  if (config.mqtt.url && config.mqtt.admin) {
    provisioner = await createMosquittoProvisioner({
      url: config.mqtt.url,
      ...config.mqtt.admin,
      log: log.child({ component: "dynsec" }),
    });
    const own = await provisioner.ensureServerClient(
      config.mqtt.username as string,
      config.mqtt.password as string,
    );
    if (!own.ok) throw new Error(`cannot set up coldtrail's own Mosquitto login: ${own.message}`);
  }
  if (config.mqtt.url) {
    const ext = await connectExternalBroker({
      url: config.mqtt.url,
      username: config.mqtt.username,
      password: config.mqtt.password,
      log: log.child({ component: "mqtt" }),
      metrics,
      ingest: ingest.handle,
    });
    ingestHealth = () => externalBrokerHealth(ext.state());
    mqttUrl = config.mqtt.url;
    closeBroker = ext.close;
    publishRef = publishViaMqttClient(ext.client);
    if (provisioner) {
      // Secrets are stored hashed, so probes registered before provisioning cannot get a login
      // now; a new secret (POST /probes/{id}/secret) gives them one.
      const listed = await provisioner.listClients();
      if (listed.ok) {
        const have = new Set(listed.usernames);
        const missing = (db.prepare("SELECT id FROM probe").pluck().all() as string[]).filter(
          (id) => !have.has(id),
        );
        if (missing.length) {
          log.warn(
            { count: missing.length, probeIds: missing.slice(0, 20), fix: "POST /api/v1/probes/{id}/secret" },
            "mqtt.dynsec.probes_without_login",
          );
        }
      }
    }
  } else {
    const broker = await startEmbeddedBroker({
      port: config.mqtt.port,
      log: log.child({ component: "mqtt" }),
      secretHashOf,
      ingest: ingest.handle,
    });
    mqttUrl = `mqtt://127.0.0.1:${broker.port}`;
    closeBroker = broker.close;
    publishRef = publishViaAedes(broker.aedes);
  }

  const macs = createBleMacMap(db);
  const bleBridge = config.bleBridge
    ? startBleGatewayBridge({
        ...config.bleBridge,
        macToProbe: macs.macToProbe,
        bindkeyOf: macs.bindkeyOf,
        ingest,
        log: log.child({ component: "ble-bridge" }),
        now,
        registry: metrics.registry,
      })
    : null;

  const liveTimer = setInterval(() => live.flush(), LIVE_FLUSH_MS);
  liveTimer.unref();

  const ctx: Context = {
    config,
    log,
    db,
    audit,
    units,
    probes,
    deadLetters,
    store,
    batches,
    unitReadings,
    batchVerdicts,
    journal,
    forwarder,
    metrics,
    adminToken: admin.token,
    publicMqttUrl: config.mqtt.publicUrl ?? mqttUrl,
    publicHttpUrl: config.http.publicUrl ?? "",
    openAlertsOf: (unitId) => alerting.openCountOf(unitId),
    onUnitChanged: (unitId) => void alerting.publishDiscovery(unitId),
    async issueProbeCredentials(probeId, secret) {
      known.delete(probeId);
      return provisioner ? provisioner.ensureProbe(probeId, secret) : { ok: true };
    },
    liveOf: (p) => live.view(p),
    ingestHealth,
    now,
  };
  const api = await buildApi(ctx, [alerting.routes, ...(opts.routes ?? [])], opts.dashboardDir);
  await api.listen({ port: config.http.port, host: config.http.host });
  const addr = api.server.address();
  const httpPort = typeof addr === "object" && addr ? addr.port : config.http.port;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  ctx.publicHttpUrl = config.http.publicUrl ?? httpUrl;
  publicHttpUrl = ctx.publicHttpUrl;
  alerting.start();
  log.info({ httpUrl, mqttUrl, store: store.name, dataDir: config.dataDir }, "coldtrail.started");

  let stopped = false;
  return {
    ctx,
    httpUrl,
    mqttUrl,
    adminToken: admin.token,
    tickAlerts: () => alerting.tick(now()),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(liveTimer);
      await alerting.stop();
      await refresher.stop();
      // Before the broker and journal close: the bridge sends the readings of its open windows.
      await bleBridge?.close();
      await closeBroker();
      await provisioner?.close();
      await api.close();
      await journal.flush();
      // The journal is durable: a store that is down only delays forwarding to the next start.
      await forwarder
        .drain(5000)
        .catch((e: Error) => log.warn({ err: e.message }, "journal.left_for_next_start"));
      await forwarder.stop();
      live.flush();
      await store.close();
      db.close();
      log.info({}, "coldtrail.stopped");
    },
  };
}
