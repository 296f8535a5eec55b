/**
 * Every module's route plugin registered on the API, each given only the dependencies it declares.
 * The composition root (server/src/app.ts) and the route-test harness (test-api.ts) both use this,
 * so the routes under test are wired exactly as the server wires them.
 */
import type { Accounts } from "../accounts/index.js";
import type { Alerting } from "../alerts/alerting.js";
import { notifyPlugin } from "../alerts/notify-routes.js";
import { alertsPlugin, channelsPlugin } from "../alerts/routes.js";
import type { ComponentHealth } from "../broker/external-state.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { ReadingsPipeline } from "../readings/pipeline.js";
import type { UnitReadings } from "../readings/unit-readings.js";
import type { Registry } from "../registry/registry.js";
import type { BatchVerdicts } from "../verdicts/batch-verdict.js";
import type { App } from "./app.js";
import { dashboardPlugin } from "./dashboard.js";
import { ownerLookup } from "./owner-lookup.js";
import { accountsPlugin } from "./routes/accounts.js";
import { batchExportsPlugin } from "./routes/batch-exports.js";
import { batchesPlugin } from "./routes/batches.js";
import { deadLettersPlugin } from "./routes/deadletters.js";
import { labelsPlugin } from "./routes/labels.js";
import { passportsPlugin } from "./routes/passports.js";
import { type ProbesDeps, probesPlugin } from "./routes/probes.js";
import { systemPlugin } from "./routes/system.js";
import { unitsPlugin } from "./routes/units.js";

export interface RouteDeps {
  registry: Pick<Registry, "audit" | "units" | "probes" | "batches" | "deadLetters" | "live">;
  accounts: Accounts;
  pipeline: Pick<ReadingsPipeline, "store" | "journal" | "forwarder">;
  metrics: Metrics;
  unitReadings: UnitReadings;
  batchVerdicts: BatchVerdicts;
  alerting: Pick<Alerting, "http" | "openCountOf" | "alertCountsOf" | "offlineAfterMs">;
  log: Logger;
  now(): number;
  /** Base URL for links people open (passports, invitations). */
  publicHttpUrl: () => string;
  /** The MQTT URL devices are told to use. */
  publicMqttUrl: () => string;
  issueProbeCredentials: ProbesDeps["issueProbeCredentials"];
  onUnitChanged(unitId: string): void;
  /** The external broker's ingest health; absent with the embedded broker. */
  ingestHealth?: (() => ComponentHealth) | undefined;
  /** COLDTRAIL_TIME_ZONE, for passports asked without `?tz=`. */
  timeZone?: string;
  /** A built dashboard to serve at /. */
  dashboardDir?: string | undefined;
}

export async function registerRoutes(api: App, d: RouteDeps): Promise<void> {
  const { units, probes, batches, deadLetters, live } = d.registry;
  const { store } = d.pipeline;
  const { log, now, publicHttpUrl, unitReadings, batchVerdicts, onUnitChanged } = d;
  await api.register(accountsPlugin, { accounts: d.accounts, publicHttpUrl, log });
  await api.register(systemPlugin, {
    store,
    journal: d.pipeline.journal,
    forwarder: d.pipeline.forwarder,
    metrics: d.metrics,
    ingestHealth: d.ingestHealth,
  });
  await api.register(unitsPlugin, {
    units,
    probes,
    unitReadings,
    openAlertsOf: d.alerting.openCountOf,
    alertCountsOf: d.alerting.alertCountsOf,
    probeOnline: (probeId, nowMs) => {
      const p = probes.byId(probeId);
      if (!p) return false;
      const v = live.view(p);
      const seenMs = v.lastSeen ? Date.parse(v.lastSeen) : null;
      return seenMs !== null && nowMs - seenMs < d.alerting.offlineAfterMs && v.status !== "offline";
    },
    ownersFor: (caller) => ownerLookup(d.accounts, caller),
    onUnitChanged,
    now,
  });
  await api.register(probesPlugin, {
    probes,
    store,
    log,
    publicMqttUrl: d.publicMqttUrl,
    issueProbeCredentials: d.issueProbeCredentials,
    liveOf: live.view,
    onUnitChanged,
    now,
  });
  await api.register(batchesPlugin, { batches, batchVerdicts, publicHttpUrl, log, now });
  await api.register(batchExportsPlugin, {
    batches,
    batchVerdicts,
    units,
    unitReadings,
    ...(d.timeZone !== undefined && { timeZone: d.timeZone }),
    now,
  });
  await api.register(passportsPlugin, {
    batches,
    batchVerdicts,
    unitReadings,
    ...(d.timeZone !== undefined && { timeZone: d.timeZone }),
    now,
  });
  await api.register(labelsPlugin, { batches, publicHttpUrl });
  await api.register(deadLettersPlugin, { deadLetters });
  await api.register(alertsPlugin, d.alerting.http.alerts);
  await api.register(channelsPlugin, d.alerting.http.channels);
  await api.register(notifyPlugin, d.alerting.http.notify);
  if (d.dashboardDir) await api.register(dashboardPlugin, { dir: d.dashboardDir, log });
}
