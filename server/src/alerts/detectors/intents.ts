/**
 * Builds the intents detectors return: one raise or clear of an alert key, with the stored
 * `kind`/`subject` filled from the key, and who the alert is about (owner, unit, probe, batches).
 */
import { type AlertIntent, type AlertKey, type Severity, subjectText } from "../types.js";
import type { DetectorContext, UnitInfo } from "./types.js";

export const iso = (ms: number) => new Date(ms).toISOString();

/** Who an alert is about and who owns it. */
export interface About {
  ownerId: string;
  unitId: string | null;
  unitName: string | null;
  probeId: string | null;
  batchIds: string[];
}

export function raiseIntent(
  key: AlertKey,
  r: {
    severity: Severity;
    words: { title: string; message: string };
    startedMs: number;
    atMs: number;
    about: About;
    details: Record<string, unknown>;
  },
): AlertIntent {
  return {
    op: "raise",
    key,
    kind: key.kind,
    subject: subjectText(key.subject),
    severity: r.severity,
    title: r.words.title,
    message: r.words.message,
    ownerId: r.about.ownerId,
    unitId: r.about.unitId,
    unitName: r.about.unitName,
    probeId: r.about.probeId,
    batchIds: r.about.batchIds,
    details: r.details,
    startedMs: r.startedMs,
    atMs: r.atMs,
  };
}

export function clearIntent(
  key: AlertKey,
  atMs: number,
  message: string,
  details: Record<string, unknown> = {},
): AlertIntent {
  return { op: "clear", key, kind: key.kind, subject: subjectText(key.subject), atMs, message, details };
}

/** An alert about a unit: its owner, and the batches in it at `atMs`. */
export function aboutUnit(ctx: DetectorContext, u: UnitInfo, atMs: number): About {
  return {
    ownerId: u.ownerId,
    unitId: u.id,
    unitName: u.name,
    probeId: null,
    batchIds: ctx.lookups.batchesIn(u.id, atMs),
  };
}

/** The unit a probe is attached to now, or null. */
export function currentUnitOf(ctx: DetectorContext, probeId: string): UnitInfo | null {
  const att = ctx.lookups.attachmentsOf(probeId).find((a) => a.toMs === null);
  return att ? ctx.lookups.unit(att.unitId) : null;
}

/**
 * An alert about a probe: the probe's owner (else its unit's, else the admin's), the unit it is
 * attached to now and that unit's batches at `atMs`.
 */
export function aboutProbe(ctx: DetectorContext, probeId: string, atMs: number): About {
  const unit = currentUnitOf(ctx, probeId);
  const info = ctx.lookups.probe(probeId);
  return {
    ownerId: info?.ownerId ?? unit?.ownerId ?? "admin",
    unitId: unit?.id ?? null,
    unitName: unit?.name ?? null,
    probeId,
    batchIds: unit ? ctx.lookups.batchesIn(unit.id, atMs) : [],
  };
}
