import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type LabelValues,
  Registry,
} from "prom-client";

/** Counts added on the hot path, once a message: a plain addition. */
export interface Tally {
  add(n?: number): void;
}

/**
 * A counter for the hot path: `tally(labels)` gives a Tally whose additions the counter takes in
 * when it is read (scrape or `get()`), through its `collect`. prom-client's own `inc` hashes and
 * validates the labels and allocates on every call (issue #12).
 */
function hotCounter<L extends string>(config: CounterConfiguration<L>) {
  const pending: { labels: LabelValues<L> | null; n: number }[] = [];
  const counter = new Counter<L>({
    ...config,
    collect() {
      for (const t of pending) {
        if (t.n === 0) continue;
        if (t.labels) this.inc(t.labels, t.n);
        else this.inc(t.n);
        t.n = 0;
      }
    },
  });
  return Object.assign(counter, {
    tally(labels?: LabelValues<L>): Tally {
      const t = { labels: labels ?? null, n: 0 };
      pending.push(t);
      return {
        add(n = 1) {
          t.n += n;
        },
      };
    },
  });
}

/** Prometheus metrics; every name starts with `coldtrail_` (DESIGN.md). */
export function createMetrics(gauges: {
  journalDepth: () => number;
  storeLagMs: () => number;
  storeBackoffMs: () => number;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "coldtrail_process_" });
  const metrics = {
    registry,
    messages: hotCounter({
      name: "coldtrail_ingest_messages_total",
      help: "MQTT messages received from probes, by topic kind",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    readings: hotCounter({
      name: "coldtrail_ingest_readings_total",
      help: "Readings accepted and journaled",
      registers: [registry],
    }),
    rejected: new Counter({
      name: "coldtrail_ingest_rejected_total",
      help: "Messages refused whole, by reason",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    readingsDropped: new Counter({
      name: "coldtrail_ingest_readings_dropped_total",
      help: "Readings of accepted messages not stored, by reason: identical_duplicate (stored once) or a refusal kept in the message's dead letter",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    faultReadings: new Counter({
      name: "coldtrail_ingest_fault_readings_total",
      help: "Readings outside the plausible range (e.g. -127 disconnected), stored raw as sensor-fault markers",
      registers: [registry],
    }),
    fieldsDropped: new Counter({
      name: "coldtrail_ingest_fields_dropped_total",
      help: "Optional message fields dropped (the readings were kept), by field (battery_pct, battery_mv, rssi, unknown) and reason",
      labelNames: ["field", "reason"] as const,
      registers: [registry],
    }),
    ignored: new Counter({
      name: "coldtrail_ingest_ignored_total",
      help: "Messages accepted and ignored: a device's own telemetry under its prefix, stale retained plain values",
      registers: [registry],
    }),
    stored: new Counter({
      name: "coldtrail_store_readings_written_total",
      help: "Readings the store confirmed",
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: "coldtrail_store_write_errors_total",
      help: "Failed store writes (each retried)",
      registers: [registry],
    }),
    journalFailures: new Counter({
      name: "coldtrail_ingest_journal_failures_total",
      help: "Messages the journal failed to commit (not acknowledged; the broker delivers them again)",
      registers: [registry],
    }),
    mqttExternalConnected: new Gauge({
      name: "coldtrail_mqtt_external_connected",
      help: "1 while the ingest is connected and subscribed at the external broker (COLDTRAIL_MQTT_URL), else 0; always 0 with the embedded broker",
      registers: [registry],
    }),
    mqttExternalReconnects: new Counter({
      name: "coldtrail_mqtt_external_reconnects_total",
      help: "Attempts to reconnect to the external broker, after it went away or after a journal failure",
      registers: [registry],
    }),
  };
  new Gauge({
    name: "coldtrail_journal_depth",
    help: "Readings journaled and not yet confirmed by the store",
    registers: [registry],
    collect() {
      this.set(gauges.journalDepth());
    },
  });
  new Gauge({
    name: "coldtrail_store_lag_seconds",
    help: "Age of the newest reading the store confirmed, when it was confirmed",
    registers: [registry],
    collect() {
      this.set(gauges.storeLagMs() / 1000);
    },
  });
  new Gauge({
    name: "coldtrail_store_backoff_seconds",
    help: "Current retry back-off of the store forwarder (0 = healthy)",
    registers: [registry],
    collect() {
      this.set(gauges.storeBackoffMs() / 1000);
    },
  });
  return metrics;
}
export type Metrics = ReturnType<typeof createMetrics>;
