import { accountsBesideRegistry } from "./accounts/beside-registry.js";
import { issueFirstAdminInvitation } from "./accounts/first-admin.js";
import { resolveAdminToken } from "./admin-token.js";
import { followAlertEvents } from "./alerts/alert-notify.js";
import { createAlerting } from "./alerts/alerting.js";
import type { MqttPublish } from "./alerts/channels/mqtt.js";
import { resolveVapidKeys } from "./alerts/push/vapid.js";
import { sealChannelSecrets } from "./alerts/seal-secrets.js";
import { createSecretBox } from "./alerts/secret-box.js";
import { createApi } from "./api/app.js";
import { registerRoutes } from "./api/routes.js";
import { startBleGatewayBridge } from "./bridges/ble-gateway.js";
import { createBleMacMap } from "./bridges/ble-mac-map.js";
import { startBroker } from "./broker/start.js";
import { type Config, ConfigError } from "./config.js";
import { secureDataDir, secureDataFiles } from "./data-dir-mode.js";
import { type Db, openDatabase } from "./db/open.js";
import { DatabaseUnavailableError, openSqlClient } from "./db/sql/open-client.js";
import { startWalCheckpointer } from "./db/wal-checkpointer.js";
import { createAlertLeases } from "./ha/alert-leases.js";
import { createIngest } from "./ingest/ingest.js";
import { readingsForJudging } from "./ingest/judging-copy.js";
import type { Forwarder } from "./journal/forwarder.js";
import type { Journal } from "./journal/journal.js";
import { createLogger, type Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { Reading } from "./reading.js";
import { createMeteredPipeline } from "./readings/pipeline.js";
import type { Audit } from "./registry/audit.js";
import type { Batches } from "./registry/batches.js";
import type { DeadLetters } from "./registry/deadletters.js";
import type { Probes } from "./registry/probes.js";
import { createRegistry } from "./registry/registry.js";
import type { Units } from "./registry/units.js";
import { resolveSecretKey } from "./secret-key.js";
import type { ReadingsStore } from "./stores/types.js";
import { createJudging } from "./verdicts/judging.js";
import { createVerdictRefresher } from "./verdicts/refresher.js";

export interface Coldtrail {
  /** The parts tests and benches reach past the API: registry modules, the readings pipeline. */
  parts: ColdtrailParts;
  httpUrl: string;
  mqttUrl: string;
  adminToken: string;
  /** Runs the alert timers (offline, escalation, reminders) now rather than at the next tick. */
  tickAlerts(): void;
  /** Orderly stop: no new messages, journal committed, store given a moment to catch up. */
  stop(): Promise<void>;
}

export interface ColdtrailParts {
  db: Db;
  audit: Audit;
  units: Units;
  probes: Probes;
  batches: Batches;
  deadLetters: DeadLetters;
  store: ReadingsStore;
  journal: Journal;
  forwarder: Forwarder;
  metrics: Metrics;
  log: Logger;
}

export interface StartOptions {
  log?: Logger;
  now?: () => number;
  onStored?: (readings: readonly Reading[]) => void;
  /** A built dashboard to serve at / (see dashboard/build.ts). */
  dashboardDir?: string;
  /** How often the alert timers run (default 15 s); 0: only on `tickAlerts()` (tests replaying history). */
  alertTickEveryMs?: number;
}

const LIVE_FLUSH_MS = 2000;
/** Probes whose live fields are written in one transaction; the rest follow on the next turns. */
const LIVE_FLUSH_PROBES_AT_ONCE = 500;
/** Stored verdicts follow new readings within a few seconds; bursts (a replayed buffer) share one refresh. */
const VERDICT_REFRESH_DEBOUNCE_MS = 2000;
/** Batches whose storage limit falls within a week are announced to staff (batch-storage-limit alerts). */
const DUE_BATCH_HORIZON_MS = 7 * 86_400_000;
/** Ended sessions are deleted hourly (they stop working at once; this only tidies the table). */
const SESSION_PURGE_MS = 60 * 60_000;

/** The HTTP port could not be opened: a message for the operator, not a stack trace. */
export class HttpListenError extends Error {
  override readonly name = "HttpListenError";
  constructor(host: string, port: number, code: string) {
    super(
      code === "EADDRINUSE"
        ? `port ${port} on ${host} is already in use (another coldtrail?); stop it or set COLDTRAIL_HTTP_PORT to a free port`
        : code === "EACCES"
          ? `not allowed to listen on port ${port}; set COLDTRAIL_HTTP_PORT to a port above 1023`
          : `cannot listen on ${host}: no such address here; set COLDTRAIL_HTTP_HOST to 127.0.0.1, 0.0.0.0 or an address of this machine`,
    );
  }
}

/**
 * For process entry points: start, or print why the HTTP port could not be opened, the database
 * (COLDTRAIL_DATABASE_URL) cannot be used or a key does not fit what is stored, and exit 2.
 */
export async function startColdtrailOrExit(config: Config, opts: StartOptions): Promise<Coldtrail> {
  try {
    return await startColdtrail(config, opts);
  } catch (e) {
    const known =
      e instanceof HttpListenError || e instanceof DatabaseUnavailableError || e instanceof ConfigError;
    if (!known) throw e;
    process.stderr.write(`coldtrail: ${e.message}\n`);
    process.exit(2);
  }
}

/** The composition root: builds the parts, then registers each module's route plugin. */
export async function startColdtrail(config: Config, opts: StartOptions = {}): Promise<Coldtrail> {
  const log = opts.log ?? createLogger(config.logLevel);
  const now = opts.now ?? Date.now;
  secureDataDir(config.dataDir);
  const db = openDatabase(config.dataDir);
  const checkpointer = startWalCheckpointer(db, log);
  const admin = resolveAdminToken(config.adminToken, config.dataDir);
  secureDataFiles(config.dataDir);
  if (admin.generated) {
    process.stderr.write(
      `\ncoldtrail: generated the bootstrap admin token (shown once; also in ${config.dataDir}/admin-token):\n  ${admin.token}\n\n`,
    );
  }

  // Accounts, and the registry modules as they move onto it (issue #13), run on the SQL client:
  // COLDTRAIL_DATABASE_URL's PostgreSQL, or else a connection of its own to the same SQLite file
  // (db/sql/sqlite.ts), so its transactions never take the journal's writes with them. Migrated
  // before anything uses it (db/sql/open-client.ts).
  const opened = await openSqlClient({
    database: config.database,
    db,
    applicationName: `coldtrail ${config.ha.instanceId}`,
    onIdleError: (error) => log.warn({ err: error.message }, "database.idle_connection_failed"),
  });
  if (!opened.ok) {
    await checkpointer.stop();
    db.close();
    throw new DatabaseUnavailableError(opened.reason);
  }
  const sql = opened.sql;
  // Alert channel secrets are sealed at rest (alerts/secret-box.ts): the key, and any secret an
  // older version stored in plain text sealed now; a key that does not open them stops start-up.
  const secretKey = resolveSecretKey(config.secretKey, config.dataDir);
  const sealing = secretKey.ok ? await sealChannelSecrets(sql, createSecretBox(secretKey.key)) : secretKey;
  if (!secretKey.ok || !sealing.ok) {
    await sql.close();
    await checkpointer.stop();
    db.close();
    throw new ConfigError(`invalid configuration:\n  ${sealing.ok ? "" : sealing.reason}`);
  }
  const secretBox = createSecretBox(secretKey.key);
  if (sealing.sealed > 0) log.info({ sealed: sealing.sealed }, "secrets.channel_secrets_sealed");
  if (sql.backend === "postgres" && secretKey.source !== "env") {
    log.warn(
      { fix: "set the same COLDTRAIL_SECRET_KEY on every instance" },
      "secrets.key_from_data_folder_on_shared_database",
    );
  }
  const registry = await createRegistry(db, sql, {
    onDeadLetterWriteFailed: (error) => log.warn({ err: error }, "deadletter.write_failed"),
  });
  const { audit, units, probes, batches, deadLetters, live, lookups } = registry;
  // Several instances on one PostgreSQL: the others' registry writes reach this one's index.
  const registryFollower =
    config.database.kind === "postgres"
      ? await registry.followOtherInstances(config.database.url, (error) =>
          log.warn({ err: error.message }, "registry.follow_failed"),
        )
      : null;
  // The alert detectors ask which batches are in a unit per reading, from memory (custody-index.ts);
  // on PostgreSQL the follower above reloads each batch another instance announces.
  await batches.loadIndex();
  const { metrics, pipeline } = createMeteredPipeline({ config, db, log, deadLetters, now });
  const { store } = pipeline;
  const { unitReadings, batchVerdicts, checkpoints } = createJudging({
    probes,
    units,
    batches,
    store,
    db,
    log,
    timeZone: config.timeZone,
    previousStopClean: pipeline.previousStopClean,
  });
  const refresher = createVerdictRefresher({
    batches,
    probes,
    batchVerdicts,
    log,
    now,
    debounceMs: VERDICT_REFRESH_DEBOUNCE_MS,
  });
  // The broker needs ingest, ingest feeds alerting, alerting publishes on the broker: bound late.
  let publish: MqttPublish | null = null;
  let publicHttpUrl = config.http.publicUrl ?? "";
  // Webhooks never target this server's own ports; the real ones are known once it listens.
  let ownPorts: number[] = [config.http.port, config.mqtt.port];
  const vapid = resolveVapidKeys({
    ...config.vapid,
    dataDir: config.dataDir,
    publicUrl: config.http.publicUrl,
  });
  if (!vapid.ok) throw new ConfigError(`invalid configuration:\n  ${vapid.reason}`);
  secureDataFiles(config.dataDir);
  // Several instances on one PostgreSQL: each judges every unit, only a unit's lease holder writes
  // its alerts (ha/alert-leases.ts). On SQLite (one instance) nothing is guarded.
  const alertLeases =
    sql.backend === "postgres"
      ? createAlertLeases({
          sql,
          instanceId: config.ha.instanceId,
          ttlMs: config.ha.leaseTtlMs,
          unitIds: () => registry.index.unitIds(),
          log: log.child({ component: "ha" }),
          // What the previous holder decided and did not commit is written now (item 4).
          onGained: (unitId) => void alerting.reapply(unitId),
        })
      : null;
  const alerting = createAlerting({
    sql,
    units,
    probes,
    log,
    now,
    publicUrl: () => publicHttpUrl || null,
    smtpUrl: config.smtpUrl ?? null,
    timeZone: config.timeZone,
    mqttPublish: (t, p, o) => (publish ? publish(t, p, o) : Promise.reject(new Error("MQTT not ready yet"))),
    batchesIn: (unitId, atMs) => batches.index.batchesIn(unitId, atMs, atMs + 1),
    packedSince: (unitId, atMs) => batches.index.packedSince(unitId, atMs),
    listDueBatches: (nowMs) => refresher.dueBatches(nowMs, DUE_BATCH_HORIZON_MS),
    webhookPolicy: { allowPrivate: config.webhooks.allowPrivate, ownPorts: () => ownPorts },
    vapid: vapid.keys,
    secretBox,
    ...(alertLeases && { changeGuard: alertLeases.changeGuard }),
    ...(opts.alertTickEveryMs !== undefined && { tickEveryMs: opts.alertTickEveryMs }),
    instanceId: config.ha.instanceId,
  });
  // Several instances on one PostgreSQL: the others' alert events reach this one's SSE streams.
  const alertFollower =
    config.database.kind === "postgres"
      ? await followAlertEvents({
          connectionString: config.database.url,
          hub: alerting.hub,
          onError: (error) => log.warn({ err: error.message }, "alerts.follow_failed"),
        })
      : null;
  pipeline.onStored(checkpoints.observe);
  // Behind a shared subscription this instance stores only its share of the readings: alerting is
  // then fed every reading from the broker's judging connection instead. Decided from the
  // configuration before the broker connects (its first messages are not judged twice), and
  // corrected once it has (a broker that refuses shared subscriptions gets one plain one).
  let judgingFromBroker =
    Boolean(config.mqtt.url) &&
    config.mqtt.ingest.shareGroup !== undefined &&
    config.mqtt.ingest.protocol === "5";
  pipeline.onStored((readings) => {
    if (!judgingFromBroker) alerting.onStored(readings);
  });
  pipeline.onStored(refresher.onStored);
  if (opts.onStored) pipeline.onStored(opts.onStored);
  pipeline.start();

  const isProbe = (probeId: string) => lookups.secretHashOf(probeId) !== null;
  const ingest = createIngest({
    journal: pipeline.journal,
    deadLetters: {
      ...deadLetters,
      add(d) {
        deadLetters.add(d);
        alerting.onRejected(d.probeId, d.reason);
      },
    },
    metrics,
    log: log.child({ component: "ingest" }),
    isProbe,
    updateProbe: (id, s) => {
      live.update(id, s);
      alerting.onProbeLive(id, s);
    },
    onJournaled: pipeline.journaled,
    now,
  });
  const broker = await startBroker({
    mqtt: config.mqtt,
    log,
    ingest: ingest.handle,
    ingestThen: ingest.handleThen,
    judge: (msg) => {
      const receivedMs = now();
      const readings = readingsForJudging(msg, isProbe, receivedMs);
      const first = readings[0];
      if (first === undefined) return;
      alerting.onStored(readings);
      // Silence is judged from every message too, not only this instance's share (probe-offline).
      alerting.onProbeLive(first.probeId, { lastSeenMs: receivedMs });
    },
    secretHashOf: lookups.secretHashOf,
    probeIds: probes.ids,
    metrics,
  });
  publish = broker.publish;
  judgingFromBroker = broker.judging === true;

  const macs = createBleMacMap(registry.index);
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

  // Declared before the first timer that reads it: start-up awaits (PostgreSQL, listening) can
  // outlast LIVE_FLUSH_MS, and a flush then met `stopped` before its declaration (a ReferenceError).
  let stopped = false;
  let liveFlushing = false;
  const flushLive = (): void => {
    liveFlushing = true;
    live.flushSome(LIVE_FLUSH_PROBES_AT_ONCE).then(
      (more) => {
        liveFlushing = !stopped && more;
        if (liveFlushing) setImmediate(flushLive);
      },
      (error: unknown) => {
        liveFlushing = false;
        log.warn({ err: error }, "probes.live_flush_failed");
      },
    );
  };
  const liveTimer = setInterval(() => {
    if (!liveFlushing) flushLive();
  }, LIVE_FLUSH_MS);
  liveTimer.unref();

  const onUnitChanged = (unitId: string) => void alerting.publishDiscovery(unitId);
  const accounts = accountsBesideRegistry(registry, db, { now });
  const sessionPurge = setInterval(() => {
    accounts.purgeExpiredSessions().catch((error: unknown) => {
      log.warn({ err: error }, "accounts.session_purge_failed");
    });
  }, SESSION_PURGE_MS);
  sessionPurge.unref();
  const api = await createApi({
    log,
    adminToken: admin.token,
    accounts,
    corsOrigins: config.http.corsOrigins,
    trustProxy: config.http.trustProxy,
  });
  await registerRoutes(api, {
    registry,
    accounts,
    pipeline,
    metrics,
    unitReadings,
    batchVerdicts,
    alerting,
    log,
    now,
    publicHttpUrl: () => publicHttpUrl,
    publicMqttUrl: () => config.mqtt.publicUrl ?? broker.url,
    issueProbeCredentials: (probeId, secret) => broker.issueProbeCredentials(probeId, secret),
    onUnitChanged,
    ingestHealth: broker.health,
    timeZone: config.timeZone,
    dashboardDir: opts.dashboardDir,
  });

  try {
    await api.listen({ port: config.http.port, host: config.http.host });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE" && code !== "EACCES" && code !== "EADDRNOTAVAIL") throw e;
    clearInterval(liveTimer);
    await refresher.stop();
    await bleBridge?.close();
    await broker.close();
    await api.close();
    await pipeline.stop();
    await store.close();
    await checkpointer.stop();
    await deadLetters.settled();
    await alertFollower?.close();
    await registryFollower?.close();
    await sql.close();
    db.close();
    throw new HttpListenError(config.http.host, config.http.port, code);
  }
  const addr = api.server.address();
  const httpPort = typeof addr === "object" && addr ? addr.port : config.http.port;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const mqttPort = Number(new URL(broker.url).port);
  ownPorts = [httpPort, ...(config.mqtt.url ? [] : [mqttPort])];
  publicHttpUrl = config.http.publicUrl ?? httpUrl;
  const setup = await issueFirstAdminInvitation(accounts, {
    email: config.adminEmail,
    publicHttpUrl,
    once: sql.backend === "postgres",
  });
  if (setup?.kind === "issued") {
    // The operator's terminal only, never the log: the link is a credential until it is used.
    const again =
      sql.backend === "postgres"
        ? "other instances will not print another while it is open"
        : "a new one is printed at each start until it is used";
    process.stderr.write(
      `\ncoldtrail: no one can sign in as an admin yet. Open this link to set the password of ${setup.email} (COLDTRAIL_ADMIN_EMAIL); it works once, for 7 days, and ${again}:\n  ${setup.inviteUrl}\n\n`,
    );
  } else if (setup?.kind === "pending") {
    log.info(
      {
        email: setup.email,
        accountId: setup.accountId,
        expiresAt: new Date(setup.expiresAtMs).toISOString(),
        hint: "the instance that issued it printed the link on its terminal; if it is lost, wait until it expires, or delete this account with the admin token (DELETE /api/v1/accounts/{id}) and restart one instance",
      },
      "accounts.first_admin_invitation_pending",
    );
  }
  // Leases are asked for once the monitors are loaded from alert_monitor (and the judging
  // connection, if any, subscribed: startBroker resolved above), docs/high-availability.md item 6.
  const alertingStarted = alerting.start();
  alertLeases?.keeper.start(alertingStarted);
  await alertingStarted;
  log.info(
    {
      httpUrl,
      mqttUrl: broker.url,
      store: store.name,
      dataDir: config.dataDir,
      database: opened.where,
      instanceId: config.ha.instanceId,
    },
    "coldtrail.started",
  );

  return {
    parts: {
      db,
      audit,
      units,
      probes,
      batches,
      deadLetters,
      store,
      journal: pipeline.journal,
      forwarder: pipeline.forwarder,
      metrics,
      log,
    },
    httpUrl,
    mqttUrl: broker.url,
    adminToken: admin.token,
    tickAlerts: () => alerting.tick(now()),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(liveTimer);
      clearInterval(sessionPurge);
      // Leases go before alerting stops: another instance takes the units at once.
      await alertLeases?.keeper.stop();
      await alerting.stop();
      await refresher.stop();
      // Before the broker and journal close: the bridge sends the readings of its open windows.
      await bleBridge?.close();
      await broker.close();
      await api.close();
      await pipeline.stop();
      await live.flush();
      await store.close();
      await checkpointer.stop();
      await deadLetters.settled();
      await alertFollower?.close();
      await registryFollower?.close();
      await sql.close();
      db.close();
      log.info({}, "coldtrail.stopped");
    },
  };
}
