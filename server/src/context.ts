import type { ComponentHealth } from "./broker/external-state.js";
import type { Config } from "./config.js";
import type { Db } from "./db/open.js";
import type { Forwarder } from "./journal/forwarder.js";
import type { Journal } from "./journal/journal.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { UnitReadings } from "./readings/unit-readings.js";
import type { Audit } from "./registry/audit.js";
import type { Batches } from "./registry/batches.js";
import type { DeadLetters } from "./registry/deadletters.js";
import type { Probe, Probes } from "./registry/probes.js";
import type { Units } from "./registry/units.js";
import type { ReadingsStore } from "./stores/types.js";
import type { BatchVerdicts } from "./verdicts/batch-verdict.js";

/** Everything the HTTP routes and the ingest share, built once in `app.ts`. */
export interface Context {
  config: Config;
  log: Logger;
  db: Db;
  audit: Audit;
  units: Units;
  probes: Probes;
  batches: Batches;
  batchVerdicts: BatchVerdicts;
  deadLetters: DeadLetters;
  store: ReadingsStore;
  unitReadings: UnitReadings;
  journal: Journal;
  forwarder: Forwarder;
  metrics: Metrics;
  adminToken: string;
  /** The MQTT URL devices are told to use. */
  publicMqttUrl: string;
  /** Base URL for links people open (passports, unit pages). */
  publicHttpUrl: string;
  /** Open (unresolved) alerts of a unit. */
  openAlertsOf(unitId: string): number;
  /** A unit was created or its probes changed (e.g. to announce it to Home Assistant). */
  onUnitChanged(unitId: string): void;
  /** Gives a probe's (new) secret to the broker: a no-op for the embedded one, a login in Mosquitto. */
  issueProbeCredentials(
    probeId: string,
    secret: string,
  ): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Live fields of a probe (battery, last seen, status), newer in memory than in the registry. */
  liveOf(probe: Probe): LiveView;
  /** The external broker's ingest, for /healthz; undefined with the embedded broker. */
  ingestHealth?: (() => ComponentHealth) | undefined;
  now(): number;
}

export interface LiveView {
  batteryPct: number | null;
  batteryMv: number | null;
  rssi: number | null;
  status: string | null;
  fw: string | null;
  lastSeen: string | null;
}
