/**
 * The state of the external-broker ingest, and what `/healthz` says about it (pure).
 *
 * - `connecting`: the first connection is not made yet (start-up);
 * - `connected`: subscribed, messages flow;
 * - `reconnecting`: the connection is gone (broker away, or dropped after a journal failure);
 *   readings wait at the broker in coldtrail's persistent session;
 * - `journal-failing`: the last message could not be journaled; it was not acknowledged, so the
 *   broker delivers it again after the reconnect. Cleared by the next message journaled.
 */
export type ExternalBrokerState =
  | { state: "connecting"; sinceMs: number }
  | { state: "connected"; sinceMs: number }
  | { state: "reconnecting"; sinceMs: number; lastError: string; attempts: number }
  | { state: "journal-failing"; sinceMs: number; lastError: string; connected: boolean };

/** One component's line in `/healthz`. */
export interface ComponentHealth {
  component: string;
  ok: boolean;
  state: ExternalBrokerState["state"];
  since: string;
  /** Why it is not ok, and what happens meanwhile (only when not ok). */
  reason?: string;
}

export const EXTERNAL_BROKER_COMPONENT = "mqtt-external";

export function externalBrokerHealth(s: ExternalBrokerState): ComponentHealth {
  const since = new Date(s.sinceMs).toISOString();
  const base = { component: EXTERNAL_BROKER_COMPONENT, state: s.state, since };
  switch (s.state) {
    case "connected":
      return { ...base, ok: true };
    case "connecting":
      return { ...base, ok: false, reason: `not connected to the MQTT broker yet (since ${since})` };
    case "reconnecting":
      return {
        ...base,
        ok: false,
        reason: `lost the MQTT broker at ${since} (${s.attempts} reconnect attempt(s) so far; last error: ${s.lastError}); readings wait at the broker until ingest reconnects`,
      };
    case "journal-failing":
      return {
        ...base,
        ok: false,
        reason: `the journal failed to commit a message since ${since} (${s.lastError}); it was not acknowledged and the broker delivers it again after the reconnect: check the data directory's disk`,
      };
  }
}
