/**
 * MQTT topics of the coldtrail wire protocol (DESIGN.md, "Wire protocol").
 * Builders and one parser; the parser never throws.
 */
export const TOPIC_ROOT = "coldtrail/v1";

/** A probe id is 3–64 characters of `[A-Za-z0-9_-]`, so it is safe in a topic, a URL and a tag. */
export const PROBE_ID_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;

export type ProbeTopicKind = "readings" | "temp_c" | "status";

export const readingsTopic = (probeId: string): string => `${TOPIC_ROOT}/probes/${probeId}/readings`;
export const plainValueTopic = (probeId: string): string => `${TOPIC_ROOT}/probes/${probeId}/temp_c`;
export const statusTopic = (probeId: string): string => `${TOPIC_ROOT}/probes/${probeId}/status`;
export const alertTopic = (unitId: string): string => `${TOPIC_ROOT}/alerts/${unitId}`;

/** Subscription filters the server uses. */
export const PROBE_TOPIC_FILTERS = [
  `${TOPIC_ROOT}/probes/+/readings`,
  `${TOPIC_ROOT}/probes/+/temp_c`,
  `${TOPIC_ROOT}/probes/+/status`,
] as const;

export type ParsedTopic =
  | { ok: true; probeId: string; kind: ProbeTopicKind }
  | { ok: false; reason: "bad_topic"; message: string };

const KINDS: ReadonlySet<string> = new Set<ProbeTopicKind>(["readings", "temp_c", "status"]);

export function isProbeId(value: string): boolean {
  return PROBE_ID_PATTERN.test(value);
}

const PROBES_PREFIX = `${TOPIC_ROOT}/probes/`;

/**
 * Runs once per message on the ingest path, so it scans the topic instead of splitting it; the
 * results (and messages) are those of splitting on "/" and checking the five parts in order.
 */
export function parseProbeTopic(topic: string): ParsedTopic {
  const at = PROBES_PREFIX.length;
  const slash = topic.indexOf("/", at);
  if (!topic.startsWith(PROBES_PREFIX) || slash < 0 || topic.indexOf("/", slash + 1) >= 0) {
    return {
      ok: false,
      reason: "bad_topic",
      message: `topic must be ${TOPIC_ROOT}/probes/{probeId}/{readings|temp_c|status}, got "${topic.slice(0, 120)}"`,
    };
  }
  const probeId = topic.slice(at, slash);
  const kind = topic.slice(slash + 1);
  if (!isProbeId(probeId)) {
    return {
      ok: false,
      reason: "bad_topic",
      message: `probe id must be 3-64 characters of [A-Za-z0-9_-], got "${probeId.slice(0, 80)}"`,
    };
  }
  if (!KINDS.has(kind)) {
    return {
      ok: false,
      reason: "bad_topic",
      message: `topic kind must be readings, temp_c or status, got "${kind.slice(0, 40)}"`,
    };
  }
  return { ok: true, probeId, kind: kind as ProbeTopicKind };
}
