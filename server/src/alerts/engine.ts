/**
 * The live alert engine: turns what the server sees (stored readings, probe status and battery,
 * refused messages, the clock) into alert intents — raise or clear one (kind, subject). It holds
 * the per-unit rule monitors and each probe's health, and hands what happens to the detectors of
 * detectors/registry.ts, one per alert kind, which decide. It does no I/O of its own (lookups and
 * the monitor store are injected) and takes time only from its arguments or the injected clock,
 * so tests drive it with `tick(nowMs)` and need no waiting.
 */
import { profileOf } from "../history/profile-of.js";
import type { RuleProfile } from "../rules/profiles/types.js";
import { createUnitMonitor, type UnitMonitor, type UnitMonitorState } from "../rules/unit-monitor.js";
import { createActiveSet } from "./detectors/active.js";
import { createDetectors } from "./detectors/registry.js";
import type {
  AlertLookups,
  AttachmentInfo,
  Detector,
  DetectorContext,
  ProbeHealth,
  ProbeInfo,
  ProbeLive,
  StoredReading,
  UnitInfo,
} from "./detectors/types.js";
import type { AlertSettings } from "./settings.js";
import { type Alert, type AlertIntent, alertKeyOf } from "./types.js";
import { alertWords } from "./wording.js";

export type {
  AlertLookups,
  AttachmentInfo,
  DueBatch,
  ProbeInfo,
  ProbeLive,
  StoredReading,
  UnitInfo,
} from "./detectors/types.js";

/** Where monitor states are kept between ticks and restarts (the `alert_monitor` table). */
export interface MonitorStore {
  load(unitId: string): { profileKey: string; state: UnitMonitorState } | null;
  loadAll(): { unitId: string; profileKey: string; state: UnitMonitorState }[];
  /**
   * Every monitor that changed since the last tick, at once: one transaction (one fsync), not one
   * per unit (10 000 units heard since the last tick were 10 000 commits on the event loop). May
   * resolve later: a rejection (or a throw) marks those monitors changed again, so the next tick
   * saves them.
   */
  saveAll(monitors: readonly SavedMonitor[], atMs: number): void | Promise<void>;
}

export interface SavedMonitor {
  unitId: string;
  profileKey: string;
  state: UnitMonitorState;
}

interface UnitSlot {
  monitor: UnitMonitor;
  profileKey: string;
  lastTempC: number | null;
  dirty: boolean;
}

type Handler = "onReadings" | "onProbeLive" | "onRejected" | "onTick" | "onMonitorEvent";
type InputOf<H extends Handler> = Parameters<NonNullable<Detector[H]>>[0];

export function createAlertEngine(deps: {
  settings: AlertSettings;
  lookups: AlertLookups;
  monitors: MonitorStore;
  now: () => number;
  /** A unit's profile could not be resolved; the kind's default is used instead. */
  onProfileError?: (unitId: string, reason: string) => void;
  /** The monitors that changed could not be saved this tick (they are tried again at the next). */
  onMonitorSaveError?: (monitors: number, reason: string) => void;
  /** The detectors to run; default: one of each kind in detectors/registry.ts. */
  detectors?: Detector[];
  /** The zone alert words give times in (COLDTRAIL_TIME_ZONE); default UTC. */
  timeZone?: string;
}) {
  const { settings: s, lookups } = deps;
  const detectors = deps.detectors ?? createDetectors();
  const units = new Map<string, UnitSlot>();
  const probes = new Map<string, ProbeHealth>();
  const active = createActiveSet();

  function health(probeId: string): ProbeHealth {
    let h = probes.get(probeId);
    if (!h) {
      const info = lookups.probe(probeId);
      h = { lastSeenMs: info?.lastSeenMs ?? null, status: info?.status ?? null, statusSinceMs: deps.now() };
      probes.set(probeId, h);
    }
    return h;
  }

  const ctx: DetectorContext = { settings: s, lookups, words: alertWords(deps.timeZone), active, health };

  /**
   * Per handler, the detectors that have it, in registry order: `onProbeLive` and `onReadings` run
   * for every message, and most detectors have neither.
   */
  const withHandler = new Map<Handler, Detector[]>();
  const detectorsWith = (handler: Handler): Detector[] => {
    let ds = withHandler.get(handler);
    if (!ds) {
      ds = detectors.filter((d) => d[handler] !== undefined);
      withHandler.set(handler, ds);
    }
    return ds;
  };

  /** Runs one handler of every detector, in registry order, keeping the active set current. */
  function run<H extends Handler>(handler: H, input: InputOf<H>): AlertIntent[] {
    const out: AlertIntent[] = [];
    for (const d of detectorsWith(handler)) {
      const fn = d[handler] as (i: InputOf<H>, c: DetectorContext) => AlertIntent[];
      const intents = fn.call(d, input, ctx);
      if (intents.length === 0) continue;
      active.apply(intents);
      for (const i of intents) out.push(i);
    }
    return out;
  }

  /**
   * The unit's profile as verdicts resolve it (history/profile-of.ts); its `key` is what a saved
   * monitor was built for.
   */
  function profileFor(u: UnitInfo): { profile: RuleProfile; profileKey: string } {
    const p = profileOf(u);
    if (p.error) deps.onProfileError?.(u.id, p.error);
    return { profile: p.profile, profileKey: p.key };
  }

  function unitSlot(u: UnitInfo, expectedIntervalMs: number): UnitSlot {
    let slot = units.get(u.id);
    if (slot) return slot;
    const { profile, profileKey } = profileFor(u);
    const saved = deps.monitors.load(u.id);
    const monitor =
      saved && saved.profileKey === profileKey
        ? createUnitMonitor(profile, saved.state)
        : createUnitMonitor(profile, { expectedIntervalMs });
    slot = { monitor, profileKey, lastTempC: null, dirty: false };
    units.set(u.id, slot);
    return slot;
  }

  /**
   * The monitor's events, one at a time through every detector (so each sees the last's effect).
   * No detector takes `gap` (silence is probe-offline's job, per probe), `late` (for verdicts, not
   * alerts) or `thawing` (the excursion alert is already open by then: the estimate lags the air).
   */
  function monitorEvents(
    unit: UnitInfo,
    slot: UnitSlot,
    events: ReturnType<UnitMonitor["push"]>,
    nowMs: number,
  ): AlertIntent[] {
    const out: AlertIntent[] = [];
    for (const event of events) {
      out.push(
        ...run("onMonitorEvent", {
          unit,
          profile: slot.monitor.profile,
          lastTempC: slot.lastTempC,
          event,
          nowMs,
        }),
      );
    }
    return out;
  }

  /** Live fields from ingest: last seen, battery, status (the retained last will). */
  function probeLive(probeId: string, live: ProbeLive): AlertIntent[] {
    const nowMs = deps.now();
    const h = health(probeId);
    if (live.lastSeenMs !== undefined) h.lastSeenMs = Math.max(h.lastSeenMs ?? 0, live.lastSeenMs);
    if (live.status !== undefined && live.status !== h.status) {
      h.status = live.status;
      h.statusSinceMs = nowMs;
    }
    return run("onProbeLive", { probeId, live, health: h, nowMs });
  }

  return {
    /** Marks what is already alerted (from the store), so a restart neither repeats nor forgets. */
    seed(alerts: readonly Alert[]): void {
      for (const a of alerts) {
        if (a.state === "resolved" || a.clearedMs !== null) continue;
        // Every alert the engine raised names its subject's id (unit, probe or batch). One that
        // does not is left out: raised again, the store merges it into the same alert.
        const key = alertKeyOf(a);
        if (key) active.mark(key);
      }
      for (const m of deps.monitors.loadAll()) {
        const u = lookups.unit(m.unitId);
        if (!u) continue;
        const { profile, profileKey } = profileFor(u);
        if (profileKey === m.profileKey)
          units.set(u.id, {
            monitor: createUnitMonitor(profile, m.state),
            profileKey,
            lastTempC: null,
            dirty: false,
          });
      }
    },

    /** The store could not commit these intents: forget them, so the next chance tries again. */
    rollback(intents: readonly AlertIntent[]): void {
      active.undo(intents);
    },

    /** Intents applied again (a unit's lease was gained, ha/alert-leases.ts): on in the active set as decided. */
    reapplied(intents: readonly AlertIntent[]): void {
      active.apply(intents);
    },

    /** Readings confirmed by the store, in journal order. */
    readings(rows: readonly StoredReading[]): AlertIntent[] {
      const nowMs = deps.now();
      const out: AlertIntent[] = [];
      const perUnit = new Map<
        string,
        { unit: UnitInfo; interval: number; samples: { tsMs: number; tempC: number }[] }
      >();
      const attCache = new Map<string, AttachmentInfo[]>();
      const probeCache = new Map<string, ProbeInfo | null>();
      let msgStart = 0;
      for (let i = 0; i <= rows.length; i++) {
        const r = rows[i];
        const first = rows[msgStart];
        // One message = consecutive rows of one probe with one arrival time.
        if (first && (!r || r.probeId !== first.probeId || r.receivedMs !== first.receivedMs)) {
          out.push(...run("onReadings", { probeId: first.probeId, rows: rows.slice(msgStart, i), nowMs }));
          msgStart = i;
        }
        if (!r) break;
        let atts = attCache.get(r.probeId);
        if (!atts) {
          atts = lookups.attachmentsOf(r.probeId);
          attCache.set(r.probeId, atts);
          probeCache.set(r.probeId, lookups.probe(r.probeId));
        }
        const p = probeCache.get(r.probeId);
        if (!p) continue;
        const h = health(r.probeId);
        h.lastSeenMs = Math.max(h.lastSeenMs ?? 0, r.receivedMs ?? nowMs);
        const att = atts.find((a) => a.fromMs <= r.tsMs && (a.toMs === null || r.tsMs < a.toMs));
        if (!att) continue;
        let group = perUnit.get(att.unitId);
        if (!group) {
          const unit = lookups.unit(att.unitId);
          if (!unit) continue;
          group = { unit, interval: p.expectedIntervalMs, samples: [] };
          perUnit.set(att.unitId, group);
        }
        // Settling: a probe just attached (in event time: back-dated attachments and replayed
        // history settle from the attachment, not from when someone clicked) is still cooling down.
        if (r.tsMs < att.fromMs + s.settleMin * 60_000) continue;
        // A cool bag matters only while it holds milk, and it needs its own settling once packed:
        // an empty bag on the kitchen table is at room temperature, and that is no excursion.
        if (group.unit.kind === "cool-bag") {
          const packed = lookups.packedSince(att.unitId, r.tsMs);
          if (packed === null || r.tsMs < packed + s.settleMin * 60_000) continue;
        }
        // The registry's offset now, as verdicts read it: a correction applies from the next reading.
        group.samples.push({ tsMs: r.tsMs, tempC: r.tempC + lookups.calibrationOf(r.probeId) });
      }
      for (const { unit, interval, samples } of perUnit.values()) {
        if (samples.length === 0) continue;
        const slot = unitSlot(unit, interval);
        const newest = samples.reduce((a, b) => (b.tsMs >= a.tsMs ? b : a));
        slot.lastTempC = newest.tempC;
        slot.dirty = true;
        out.push(...monitorEvents(unit, slot, slot.monitor.push(samples), nowMs));
      }
      // Any message from a probe is news of it (it ends its offline alert).
      for (const probeId of attCache.keys()) out.push(...probeLive(probeId, {}));
      return out;
    },

    probeLive,

    /** A message from this probe was refused by ingest (reason as counted in metrics). */
    rejected(probeId: string | null, reason: string): AlertIntent[] {
      if (probeId === null || !lookups.probe(probeId)) return [];
      return run("onRejected", { probeId, reason, nowMs: deps.now() });
    },

    /** The clock reached nowMs: confirms excursions, notices silence, clears what has calmed down. */
    tick(nowMs: number): AlertIntent[] {
      const out: AlertIntent[] = [];
      const dirty: UnitSlot[] = [];
      const changed: SavedMonitor[] = [];
      for (const [unitId, slot] of units) {
        const events = slot.monitor.tick(nowMs);
        if (events.length > 0) {
          slot.dirty = true;
          const u = lookups.unit(unitId);
          if (u) out.push(...monitorEvents(u, slot, events, nowMs));
        }
        if (slot.dirty) {
          dirty.push(slot);
          changed.push({ unitId, profileKey: slot.profileKey, state: slot.monitor.state() });
        }
      }
      out.push(...run("onTick", { nowMs }));
      // Last, and never at the cost of the intents already applied to the active set: a monitor
      // that could not be saved stays dirty and is saved at the next tick.
      if (changed.length > 0) {
        for (const slot of dirty) slot.dirty = false;
        const failed = (e: unknown) => {
          for (const slot of dirty) slot.dirty = true;
          deps.onMonitorSaveError?.(changed.length, (e as Error).message);
        };
        try {
          const saving = deps.monitors.saveAll(changed, nowMs);
          if (saving) saving.catch(failed);
        } catch (e) {
          failed(e);
        }
      }
      return out;
    },
  };
}
export type AlertEngine = ReturnType<typeof createAlertEngine>;
