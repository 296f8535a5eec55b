/**
 * A detector's world for its unit tests: fixed units, probes and attachments behind the real
 * lookups interface, default settings, and the engine's own active set, so a test feeds one
 * handler real inputs and reads back the exact intents. Not used by the server.
 */
import { resolveProfile } from "../../rules/profiles/registry.js";
import type { RuleProfile } from "../../rules/profiles/types.js";
import { createUnitMonitor, type UnitMonitor } from "../../rules/unit-monitor.js";
import { type AlertSettingsInput, resolveAlertSettings } from "../settings.js";
import type { AlertIntent } from "../types.js";
import { alertWords } from "../wording.js";
import { createActiveSet } from "./active.js";
import type {
  AlertLookups,
  AttachmentInfo,
  Detector,
  DetectorContext,
  DueBatch,
  ProbeHealth,
  ProbeInfo,
  UnitInfo,
} from "./types.js";

/** 3 May 2026, 12:00 UTC. */
export const T0 = Date.UTC(2026, 4, 3, 12, 0, 0);
export const MIN = 60_000;

export function unitRecord(id: string, over: Partial<UnitInfo> = {}): UnitInfo {
  return {
    id,
    ownerId: "donor-1",
    name: `Unit ${id}`,
    kind: "freezer",
    site: "household",
    profile: "home-freezer",
    profileOverrides: null,
    createdMs: T0 - 60 * MIN,
    ...over,
  };
}

export function probeRecord(id: string, over: Partial<ProbeInfo> = {}): ProbeInfo {
  return {
    id,
    ownerId: "donor-1",
    calibrationOffsetC: 0,
    expectedIntervalMs: MIN,
    lastSeenMs: null,
    status: null,
    ...over,
  };
}

/** A real rule monitor for the unit's default profile (what the engine runs). */
export function monitorFor(u: UnitInfo): { monitor: UnitMonitor; profile: RuleProfile } {
  const r = resolveProfile({ kind: u.kind, site: u.site });
  if (!r.ok) throw new Error(r.reason);
  return { monitor: createUnitMonitor(r.profile, { expectedIntervalMs: MIN }), profile: r.profile };
}

export function createTestContext(
  opts: {
    units?: UnitInfo[];
    probes?: ProbeInfo[];
    attachments?: AttachmentInfo[];
    /** Batch ids per unit id (at any time). */
    batches?: Record<string, string[]>;
    dueBatches?: (nowMs: number) => DueBatch[];
    settings?: AlertSettingsInput;
    nowMs?: number;
    /** The zone alert words use (default UTC). */
    timeZone?: string;
  } = {},
) {
  const r = resolveAlertSettings(opts.settings);
  if (!r.ok) throw new Error(r.reason);
  const units = new Map((opts.units ?? []).map((u) => [u.id, u]));
  const probes = new Map((opts.probes ?? []).map((p) => [p.id, p]));
  const attachments = opts.attachments ?? [];
  const lookups: AlertLookups = {
    unit: (id) => units.get(id) ?? null,
    probe: (id) => probes.get(id) ?? null,
    calibrationOf: (id) => probes.get(id)?.calibrationOffsetC ?? 0,
    attachmentsOf: (probeId) => attachments.filter((a) => a.probeId === probeId),
    currentAttachments: () => attachments.filter((a) => a.toMs === null),
    batchesIn: (unitId) => opts.batches?.[unitId] ?? [],
    packedSince: () => 0,
    dueBatches: (nowMs) => opts.dueBatches?.(nowMs) ?? [],
  };
  const healths = new Map<string, ProbeHealth>();
  const active = createActiveSet();
  const ctx: DetectorContext = {
    settings: r.settings,
    lookups,
    words: alertWords(opts.timeZone),
    active,
    health(probeId) {
      let h = healths.get(probeId);
      if (!h) {
        const info = probes.get(probeId);
        h = {
          lastSeenMs: info?.lastSeenMs ?? null,
          status: info?.status ?? null,
          statusSinceMs: opts.nowMs ?? T0,
        };
        healths.set(probeId, h);
      }
      return h;
    },
  };
  /** Calls one handler as the engine does: the intents it returns update the active set. */
  function call<H extends Handler>(d: Detector, handler: H, input: InputOf<H>): AlertIntent[] {
    const fn = d[handler] as ((i: InputOf<H>, c: DetectorContext) => AlertIntent[]) | undefined;
    if (!fn) throw new Error(`detector "${d.kind}" has no ${handler} handler`);
    const intents = fn.call(d, input, ctx);
    active.apply(intents);
    return intents;
  }
  return { ctx, active, lookups, call };
}

type Handler = "onMonitorEvent" | "onReadings" | "onProbeLive" | "onRejected" | "onTick";
type InputOf<H extends Handler> = Parameters<NonNullable<Detector[H]>>[0];
