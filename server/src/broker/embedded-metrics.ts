import { Counter, type Registry } from "prom-client";

/** Counters of what the embedded broker refused or dropped (issue #14). */
export function createEmbeddedBrokerMetrics(registry: Registry) {
  return {
    refused: new Counter({
      name: "coldtrail_mqtt_refused_total",
      help: "MQTT connections the embedded broker refused or closed, by reason: connection_limit, probe_connection_limit, client_id_too_long, client_id_not_own, bad_login, login_locked, packet_too_large, publish_abuse, secret_rotated",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    dropped: new Counter({
      name: "coldtrail_mqtt_dropped_total",
      help: "MQTT messages the embedded broker dropped (rate_limit: QoS 0 over the probe's rate) or did not retain (retain_not_allowed)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
  };
}
export type EmbeddedBrokerMetrics = ReturnType<typeof createEmbeddedBrokerMetrics>;
