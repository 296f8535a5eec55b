import type { Alert, AlertEventType } from "./types.js";

const iso = (ms: number | null): string | undefined => (ms === null ? undefined : new Date(ms).toISOString());

/**
 * An alert as the API, webhooks, SSE and MQTT show it (DESIGN.md: `{id, kind, state, unitId,
 * batchIds, openedAt, acknowledgedAt?, comment?, …}`, times ISO 8601). Absent optional fields are
 * left out rather than null, as the contract marks them optional.
 */
export function alertView(a: Alert, publicUrl: string | null) {
  return {
    id: a.id,
    kind: a.kind,
    state: a.state,
    severity: a.severity,
    title: a.title,
    message: a.message,
    unitId: a.unitId,
    unitName: a.unitName,
    probeId: a.probeId,
    batchIds: a.batchIds,
    startedAt: iso(a.startedMs) as string,
    openedAt: iso(a.openedMs) as string,
    updatedAt: iso(a.updatedMs) as string,
    clearedAt: iso(a.clearedMs),
    acknowledgedAt: iso(a.acknowledgedMs),
    acknowledgedBy: a.acknowledgedBy ?? undefined,
    comment: a.comment ?? undefined,
    resolvedAt: iso(a.resolvedMs),
    resolvedBy: a.resolvedBy ?? undefined,
    resolveComment: a.resolveComment ?? undefined,
    lastNotifiedAt: iso(a.lastNotifiedMs),
    escalationLevel: a.escalationLevel,
    occurrences: a.occurrences,
    details: a.details,
    url:
      publicUrl && a.unitId
        ? `${publicUrl.replace(/\/+$/, "")}/units/${encodeURIComponent(a.unitId)}`
        : undefined,
  };
}
export type AlertView = ReturnType<typeof alertView>;

/** The body of one alert event: the alert itself, plus which event this is. */
export function alertPayload(
  a: Alert,
  event: { id: number; type: AlertEventType; atMs: number },
  publicUrl: string | null,
) {
  return {
    ...alertView(a, publicUrl),
    event: event.type,
    eventId: event.id,
    eventAt: new Date(event.atMs).toISOString(),
  };
}
export type AlertPayload = ReturnType<typeof alertPayload>;
