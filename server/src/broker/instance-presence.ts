import { TOPIC_ROOT } from "@coldtrail/firmware-bridge/protocol";

/**
 * Instance presence for ingest behind an external broker with a share group (pure). Each
 * instance keeps a retained `coldtrail/v1/instances/{ingestClientId}` "online" message, with a
 * Last Will "offline" the broker publishes when the instance's presence connection dies. Every
 * instance watches the topic; when one stays offline past the grace, exactly one survivor (the
 * next online id after it, in sorted order) adopts its persistent sessions and drains what the
 * broker queued for them (session-adoption.ts), then clears the retained message.
 */
export const INSTANCES_TOPIC_PREFIX = `${TOPIC_ROOT}/instances/`;
/** What each instance subscribes to: one level, so drain markers (`…/{id}/drain`) stay apart. */
export const INSTANCES_FILTER = `${INSTANCES_TOPIC_PREFIX}+`;

export const instanceTopic = (ingestClientId: string): string => `${INSTANCES_TOPIC_PREFIX}${ingestClientId}`;
/** The topic an adopter sends its end-of-queue marker on, through the adopted session itself. */
export const drainTopic = (sessionClientId: string): string =>
  `${INSTANCES_TOPIC_PREFIX}${sessionClientId}/drain`;

export interface PresencePayload {
  state: "online" | "offline";
  /** The share group the instance reads in: only instances of one group adopt each other. */
  group: string;
  /** Every persistent ingest session the instance holds (its ingest client ids). */
  clientIds: string[];
  /** When the instance connected (ISO 8601); the Will carries the same value. */
  since: string;
  /** Instances whose sessions it is draining now (so that no other survivor steps in). */
  adopting?: string[];
}

export function presencePayload(p: PresencePayload): string {
  return JSON.stringify(p);
}

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export type ParsedPresence =
  | { ok: true; id: string; presence: PresencePayload | null }
  | { ok: false; reason: string };

/**
 * Reads one presence message. An empty payload is a cleared topic (`presence: null`): the
 * instance's sessions were drained and ended.
 */
export function parsePresence(topic: string, payload: Buffer): ParsedPresence {
  if (!topic.startsWith(INSTANCES_TOPIC_PREFIX)) {
    return { ok: false, reason: `topic "${topic.slice(0, 120)}" is not under ${INSTANCES_TOPIC_PREFIX}` };
  }
  const id = topic.slice(INSTANCES_TOPIC_PREFIX.length);
  if (!CLIENT_ID.test(id)) {
    return { ok: false, reason: `instance id "${id.slice(0, 80)}" is not 1-64 characters of [A-Za-z0-9_-]` };
  }
  if (payload.length === 0) return { ok: true, id, presence: null };
  let v: unknown;
  try {
    v = JSON.parse(payload.toString("utf8"));
  } catch {
    return {
      ok: false,
      reason: `presence of "${id}" is not JSON: ${payload.subarray(0, 80).toString("utf8")}`,
    };
  }
  const o = v as Partial<PresencePayload>;
  if (o === null || typeof o !== "object" || (o.state !== "online" && o.state !== "offline")) {
    return { ok: false, reason: `presence of "${id}" has no state "online"|"offline"` };
  }
  if (typeof o.group !== "string" || typeof o.since !== "string") {
    return { ok: false, reason: `presence of "${id}" lacks its group or since` };
  }
  if (!Array.isArray(o.clientIds) || !o.clientIds.every((c) => typeof c === "string" && CLIENT_ID.test(c))) {
    return { ok: false, reason: `presence of "${id}" lacks a list of client ids of [A-Za-z0-9_-]` };
  }
  const adopting = Array.isArray(o.adopting) ? o.adopting.filter((a) => typeof a === "string") : [];
  return {
    ok: true,
    id,
    presence: {
      state: o.state,
      group: o.group,
      clientIds: [...o.clientIds],
      since: o.since,
      ...(adopting.length > 0 && { adopting }),
    },
  };
}

/**
 * The order in which online instances step in for `deadId`: the first online id after it in
 * sorted order, wrapping around, then the next, and so on. Every instance with the same view
 * computes the same order, and the sessions of several dead instances spread over the survivors.
 */
export function adoptionOrder(online: readonly string[], deadId: string): string[] {
  const sorted = [...new Set(online)].filter((id) => id !== deadId).sort();
  const first = sorted.findIndex((id) => id > deadId);
  const k = first === -1 ? 0 : first;
  return [...sorted.slice(k), ...sorted.slice(0, k)];
}

/** Which online instance adopts `deadId`'s sessions first; null when nobody is online. */
export function adopterFor(online: readonly string[], deadId: string): string | null {
  return adoptionOrder(online, deadId)[0] ?? null;
}

/** What one instance knows of its group: the last presence of each instance, and since when it was offline. */
export interface InstanceView {
  presence: PresencePayload;
  /** Local time (ms) this instance first saw it offline; null while online. */
  offlineSinceMs: number | null;
}

/** Applies one presence message to the view (returns a new map). */
export function applyPresence(
  view: ReadonlyMap<string, InstanceView>,
  id: string,
  presence: PresencePayload | null,
  nowMs: number,
): Map<string, InstanceView> {
  const next = new Map(view);
  if (presence === null) {
    next.delete(id);
    return next;
  }
  const before = view.get(id);
  const offlineSinceMs = presence.state === "online" ? null : (before?.offlineSinceMs ?? nowMs);
  next.set(id, { presence, offlineSinceMs });
  return next;
}

/**
 * When `self` may adopt `deadId` (ms after it went offline): the grace for the first in
 * `adoptionOrder`, one more grace for each place further down, so that a survivor steps in when
 * the one before it does nothing (it died too, or its "online" is stale). Null: never (`self` is
 * not online in the group's view).
 */
function delayFor(online: readonly string[], deadId: string, self: string, graceMs: number): number | null {
  const rank = adoptionOrder(online, deadId).indexOf(self);
  return rank === -1 ? null : graceMs * (rank + 1);
}

function groupState(view: ReadonlyMap<string, InstanceView>, self: string, group: string) {
  const inGroup = [...view.entries()].filter(([, v]) => v.presence.group === group);
  const online = inGroup.filter(([, v]) => v.offlineSinceMs === null).map(([id]) => id);
  if (!online.includes(self)) online.push(self);
  /** Instances another online instance says it is draining now. */
  const taken = new Set(
    inGroup
      .filter(([id, v]) => id !== self && v.offlineSinceMs === null)
      .flatMap(([, v]) => v.presence.adopting ?? []),
  );
  const offline = inGroup.filter(([id, v]) => id !== self && v.offlineSinceMs !== null && !taken.has(id)) as [
    string,
    InstanceView & { offlineSinceMs: number },
  ][];
  return { online, offline };
}

/**
 * The instances `self` must adopt now: in `group`, offline for at least its delay (`delayFor`),
 * and not being drained by another online instance.
 */
export function adoptionsDue(
  view: ReadonlyMap<string, InstanceView>,
  self: string,
  group: string,
  graceMs: number,
  nowMs: number,
): string[] {
  const { online, offline } = groupState(view, self, group);
  return offline
    .filter(([id, v]) => {
      const d = delayFor(online, id, self, graceMs);
      return d !== null && nowMs - v.offlineSinceMs >= d;
    })
    .map(([id]) => id)
    .sort();
}

/** When the next offline instance becomes due for `self` (ms from now), for a timer; null when none waits. */
export function nextGraceEndMs(
  view: ReadonlyMap<string, InstanceView>,
  self: string,
  group: string,
  graceMs: number,
  nowMs: number,
): number | null {
  const { online, offline } = groupState(view, self, group);
  let next: number | null = null;
  for (const [id, v] of offline) {
    const d = delayFor(online, id, self, graceMs);
    if (d === null) continue;
    const left = v.offlineSinceMs + d - nowMs;
    if (left > 0 && (next === null || left < next)) next = left;
  }
  return next;
}
