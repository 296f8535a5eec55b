/**
 * MQTT 5 shared subscriptions (MQTT 5.0, 4.8.2): `$share/<group>/<filter>`. The broker gives each
 * matching message to one subscriber of the group, so several ingest connections, and several
 * coldtrail instances with the same group, share the readings instead of each getting all.
 */
export function sharedFilter(group: string, filter: string): string {
  return `$share/${group}/${filter}`;
}

/** How the first ingest connection failed: at CONNECT, or at SUBSCRIBE. */
export type FirstConnectStage = "connect" | "subscribe";

/**
 * Does this first-connection failure mean "no MQTT 5 / no shared subscriptions here" (so one
 * plain MQTT 3.1.1 subscription should be used) rather than a wrong URL or password (which must
 * stop the start)? CONNACK 1 is 3.1.1's "unacceptable protocol version", 0x84 MQTT 5's
 * "unsupported protocol version"; a broker that closes the connection without a CONNACK does not
 * speak MQTT 5 either. Any refused SUBACK of the shared filters counts (0x9E "shared subscriptions
 * not supported", 0x80 from a 3.1.1-style broker, 0x87 from an ACL that allows only plain filters).
 */
export function meansNoSharedSubscriptions(
  stage: FirstConnectStage,
  err: { code?: unknown; message: string },
): boolean {
  if (stage === "subscribe") return true;
  if (err.code === 1 || err.code === 0x84) return true;
  return err.code === undefined && /before its CONNACK/.test(err.message);
}
