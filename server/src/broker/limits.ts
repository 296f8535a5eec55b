/**
 * Limits of the embedded MQTT broker (issue #14). Each is a named constant with the reason for
 * its size; the ones an operator may need to change are configuration (config.ts, "MQTT limits").
 * docs/protocol.md "Broker limits" lists them with the matching Mosquitto settings.
 */

/**
 * Largest MQTT packet accepted, announced size included: twice the protocol's 64 KiB payload
 * limit (firmware-bridge/src/protocol/limits.ts; 500 readings fit in 64 KiB), so a slightly
 * oversized message is still seen and dead-lettered. A packet announcing more is refused from its
 * fixed header, before its body is read, and the connection closed.
 */
export const MAX_PACKET_BYTES = 128 * 1024;

/** A socket that has not sent CONNECT by then is closed (aedes connectTimeout). */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Longest client id accepted at CONNECT: the probe id (at most 64 characters), a separator and a
 * suffix of up to 63 characters. Longer ones are refused (CONNACK 2, identifier rejected).
 */
export const MAX_CLIENT_ID_CHARS = 128;

/** Separator between the probe id and an optional suffix in a client id (not a probe id character). */
export const CLIENT_ID_SEPARATOR = ":";

/**
 * QoS 0 publish rate per probe: a token bucket of PUBLISH_BURST messages refilled at PUBLISH_PER_SECOND.
 * A probe sends a message a minute; one that was offline replays its buffer in messages of up to
 * 500 readings, so a week offline at one reading a minute is 21 messages: well inside the burst.
 */
export const PUBLISH_PER_SECOND = 20;
export const PUBLISH_BURST = 100;

/**
 * Persistent abuse: a probe whose QoS 0 messages over the rate exceed this many (refilled at
 * PUBLISH_PER_SECOND) is disconnected. Below it, QoS 0 messages over the rate are dropped and
 * counted. QoS 1 messages are not rate-limited: each waits for its PUBACK, so
 * MAX_INFLIGHT_PER_CONNECTION bounds them, and a replay of history goes at the journal's pace.
 */
export const ABUSE_DROPS = 500;

/**
 * QoS 1/2 messages of one connection handed to ingest at the same time; more wait their turn.
 * Keeps one connection from filling the journal's group commit; aedes reads no more from the
 * socket until those wait (TCP back-pressure). Also aedes' cap on inbound QoS 2 awaiting PUBREL.
 */
export const MAX_INFLIGHT_PER_CONNECTION = 16;

/** Messages queued for a connection that is still logging in (aedes queueLimit). */
export const QUEUE_LIMIT = 42;

/** Largest retained status message; retained messages elsewhere are refused. */
export const MAX_RETAINED_STATUS_BYTES = 1024;

/** Login failure throttle: failures allowed before a lock, and the lock's back-off. */
export const LOGIN_FAILURES_BEFORE_LOCK = 5;
export const LOGIN_LOCK_FIRST_MS = 1_000;
/** Locks double up to this; a probe's own login (its username) is locked at most this long. */
export const LOGIN_LOCK_MAX_MS = 60_000;
/** Failures older than this are forgotten (and a lock's back-off starts again). */
export const LOGIN_FAILURE_WINDOW_MS = 10 * 60_000;
/** Addresses and usernames tracked at once; the oldest are forgotten beyond it. */
export const LOGIN_TRACKED_KEYS = 50_000;

export interface MqttLimits {
  /** All MQTT connections of the process, logged in or not. */
  maxConnections: number;
  /** Connections of one probe at the same time. */
  maxConnectionsPerProbe: number;
}
