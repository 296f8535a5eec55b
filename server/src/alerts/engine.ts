/**
 * The live alert engine: turns what the server sees (stored readings, probe status and battery,
 * refused messages, the clock) into alert intents — raise or clear one (subject, kind). It holds
 * the per-unit rule monitors and per-probe health state, does no I/O of its own (lookups and the
 * monitor store are injected) and takes time only from its arguments or the injected clock, so
 * tests drive it with `tick(nowMs)` and need no waiting.
 */
import type { Reading } from "../reading.js";
import { resolveProfile } from "../rules/profiles/registry.js";
import type { RuleProfile } from "../rules/profiles/types.js";
import {
  createUnitMonitor,
  type MonitorEvent,
  type UnitMonitor,
  type UnitMonitorState,
} from "../rules/unit-monitor.js";
import type { AlertSettings } from "./settings.js";
import { type Alert, type AlertIntent, type AlertKind, type Severity, subjectOf } from "./types.js";
import * as words from "./wording.js";

export interface UnitInfo {
  id: string;
  ownerId: string;
  name: string;
  kind: "freezer" | "fridge" | "cool-bag";
  site: "household" | "milk-bank";
  profile: string;
  profileOverrides: Record<string, unknown> | null;
  createdMs: number;
}

export interface ProbeInfo {
  id: string;
  ownerId: string;
  calibrationOffsetC: number;
  expectedIntervalMs: number;
  lastSeenMs: number | null;
  status: string | null;
}

export interface AttachmentInfo {
  probeId: string;
  unitId: string;
  fromMs: number;
  toMs: number | null;
}

/** A batch whose storage budget is running out or has run out (supplied by the batches module). */
export interface DueBatch {
  batchId: string;
  /** The short public code printed on the label. */
  code: string;
  unitId: string | null;
  /** Which limit, in words: "frozen", "fresh", "thawed", "cool bag". */
  limit: string;
  /** The band reached at `untilMs`. */
  band: "check" | "do-not-use";
  untilMs: number;
}

export interface AlertLookups {
  unit(unitId: string): UnitInfo | null;
  probe(probeId: string): ProbeInfo | null;
  /** The probe's whole attachment history. */
  attachmentsOf(probeId: string): AttachmentInfo[];
  /** Attachments open now. */
  currentAttachments(): AttachmentInfo[];
  /** Batches in the unit at that time, for `batchIds`. */
  batchesIn(unitId: string, atMs: number): string[];
  /**
   * When the milk in a unit at `atMs` was put there (the earliest custody start among its
   * batches), or null when the unit held no batch then. Cool bags are watched only while packed.
   */
  packedSince(unitId: string, atMs: number): number | null;
  dueBatches(nowMs: number): DueBatch[];
}

/** Where monitor states are kept between ticks and restarts. */
export interface MonitorStore {
  load(unitId: string): { profileKey: string; state: UnitMonitorState } | null;
  loadAll(): { unitId: string; profileKey: string; state: UnitMonitorState }[];
  save(unitId: string, profileKey: string, state: UnitMonitorState, atMs: number): void;
}

/** A stored reading; `receivedMs` (arrival) is present on readings coming from the journal. */
export type StoredReading = Reading & { receivedMs?: number };

export interface ProbeLive {
  lastSeenMs?: number;
  batteryPct?: number;
  batteryMv?: number;
  status?: string;
}

interface UnitSlot {
  monitor: UnitMonitor;
  profileKey: string;
  lastTempC: number | null;
  dirty: boolean;
}

interface ProbeSlot {
  lastSeenMs: number | null;
  status: string | null;
  statusSinceMs: number;
  rejects: { atMs: number; reason: string }[];
  skewed: number;
  /** Arrival and newest event time of the probe's last live-sized message (clock-skew check). */
  lastClock?: { receivedMs: number; newestMs: number };
}

const key = (kind: AlertKind, subject: string) => `${kind}|${subject}`;
const iso = (ms: number) => new Date(ms).toISOString();

export function createAlertEngine(deps: {
  settings: AlertSettings;
  lookups: AlertLookups;
  monitors: MonitorStore;
  now: () => number;
  /** A unit's profile could not be resolved; the kind's default is used instead. */
  onProfileError?: (unitId: string, reason: string) => void;
}) {
  const { settings: s, lookups } = deps;
  const units = new Map<string, UnitSlot>();
  const probes = new Map<string, ProbeSlot>();
  /** (kind, subject) pairs whose condition is on, as far as this engine knows. */
  const active = new Set<string>();
  const lastFaultMs = new Map<string, number>();
  const batchBands = new Map<string, string>();
  let lastBatchCheckMs = Number.NEGATIVE_INFINITY;

  function probeSlot(probeId: string): ProbeSlot {
    let p = probes.get(probeId);
    if (!p) {
      const info = lookups.probe(probeId);
      p = {
        lastSeenMs: info?.lastSeenMs ?? null,
        status: info?.status ?? null,
        statusSinceMs: deps.now(),
        rejects: [],
        skewed: 0,
      };
      probes.set(probeId, p);
    }
    return p;
  }

  function profileOf(u: UnitInfo): { profile: RuleProfile; profileKey: string } {
    const spec = { kind: u.kind, site: u.site, profileId: u.profile, overrides: u.profileOverrides };
    const r = resolveProfile(spec);
    if (r.ok) return { profile: r.profile, profileKey: JSON.stringify([u.profile, u.profileOverrides]) };
    deps.onProfileError?.(u.id, r.reason);
    const d = resolveProfile({ kind: u.kind, site: u.site });
    if (!d.ok) throw new Error(`no default profile for unit kind "${u.kind}": ${d.reason}`);
    return { profile: d.profile, profileKey: JSON.stringify([null, null]) };
  }

  function unitSlot(u: UnitInfo, expectedIntervalMs: number): UnitSlot {
    let slot = units.get(u.id);
    if (slot) return slot;
    const { profile, profileKey } = profileOf(u);
    const saved = deps.monitors.load(u.id);
    const monitor =
      saved && saved.profileKey === profileKey
        ? createUnitMonitor(profile, saved.state)
        : createUnitMonitor(profile, { expectedIntervalMs });
    slot = { monitor, profileKey, lastTempC: null, dirty: false };
    units.set(u.id, slot);
    return slot;
  }

  function raise(
    kind: AlertKind,
    subject: string,
    severity: Severity,
    w: { title: string; message: string },
    at: { startedMs: number; atMs: number },
    about: {
      ownerId: string;
      unitId: string | null;
      unitName: string | null;
      probeId: string | null;
      batchIds?: string[];
    },
    details: Record<string, unknown>,
  ): AlertIntent {
    active.add(key(kind, subject));
    return {
      op: "raise",
      kind,
      subject,
      severity,
      title: w.title,
      message: w.message,
      ownerId: about.ownerId,
      unitId: about.unitId,
      unitName: about.unitName,
      probeId: about.probeId,
      batchIds: about.batchIds ?? (about.unitId ? lookups.batchesIn(about.unitId, at.atMs) : []),
      details,
      startedMs: at.startedMs,
      atMs: at.atMs,
    };
  }

  function clear(
    kind: AlertKind,
    subject: string,
    atMs: number,
    message: string,
    details: Record<string, unknown> = {},
  ): AlertIntent {
    active.delete(key(kind, subject));
    return { op: "clear", kind, subject, atMs, message, details };
  }

  function monitorIntents(
    u: UnitInfo,
    slot: UnitSlot,
    events: readonly MonitorEvent[],
    nowMs: number,
  ): AlertIntent[] {
    const out: AlertIntent[] = [];
    const subject = subjectOf("unit", u.id);
    const about = { ownerId: u.ownerId, unitId: u.id, unitName: u.name, probeId: null };
    const p = slot.monitor.profile;
    for (const e of events) {
      switch (e.kind) {
        case "excursion-started": {
          const rule = e.rule === "high" ? p.high : p.low;
          const limitC = e.rule === "high" ? p.high.aboveC : (p.low?.belowC ?? p.safe.minC ?? 0);
          const w = words.excursionStartedWords(u, {
            rule: e.rule,
            fromMs: e.fromMs,
            limitC,
            forMin: rule?.forMin ?? 0,
            nowC: slot.lastTempC,
          });
          out.push(
            raise("excursion", subject, "critical", w, { startedMs: e.fromMs, atMs: nowMs }, about, {
              rule: e.rule,
              profile: p.id,
              limitC,
              forMin: rule?.forMin ?? null,
              from: iso(e.fromMs),
              confirmedAt: iso(e.atMs),
              lastC: slot.lastTempC,
            }),
          );
          break;
        }
        case "excursion-ended":
          out.push(
            clear("excursion", subject, nowMs, words.excursionEndedWords(u, e).message, {
              to: iso(e.toMs),
              peakC: e.peakC,
              minutes: Math.round((e.toMs - e.fromMs) / 60_000),
            }),
          );
          break;
        case "probable-thaw":
          out.push(
            raise(
              "probable-thaw",
              subject,
              "critical",
              words.probableThawWords(u, e),
              { startedMs: e.atMs, atMs: nowMs },
              about,
              {
                by: e.by,
                at: iso(e.atMs),
                profile: p.id,
              },
            ),
          );
          break;
        case "refreeze":
          out.push(
            raise(
              "refreeze",
              subject,
              "critical",
              words.refreezeWords(u, e),
              { startedMs: e.atMs, atMs: nowMs },
              about,
              { at: iso(e.atMs) },
            ),
          );
          break;
        case "sensor-fault":
          lastFaultMs.set(u.id, nowMs);
          if (!active.has(key("sensor-fault", subject))) {
            out.push(
              raise(
                "sensor-fault",
                subject,
                "warning",
                words.sensorFaultWords(u, e),
                { startedMs: e.tsMs, atMs: nowMs },
                about,
                {
                  fault: e.fault,
                  tempC: Number.isFinite(e.tempC) ? e.tempC : String(e.tempC),
                  at: iso(e.tsMs),
                },
              ),
            );
          }
          break;
        // gap: silence is the probe-offline alert's job, per probe. late: for verdicts, not alerts.
        // thawing: the excursion alert is already open by then (the estimate lags the air).
        default:
          break;
      }
    }
    return out;
  }

  function currentUnitOf(probeId: string): UnitInfo | null {
    const att = lookups.attachmentsOf(probeId).find((a) => a.toMs === null);
    return att ? lookups.unit(att.unitId) : null;
  }

  function clockIntents(probeId: string, rows: readonly StoredReading[], nowMs: number): AlertIntent[] {
    // Readings stored in the journal's own commit (SQLite) come without receivedMs, at once: their
    // arrival is now, give or take the group-commit wait of a few ms.
    const received = rows[0]?.receivedMs ?? nowMs;
    // A device without a clock has nothing to be off; a replayed buffer is old by design, so only
    // small live messages count (a probe sends one reading a message while online).
    if (rows.length > 2 || rows.some((r) => r.serverTimed)) return [];
    const newest = Math.max(...rows.map((r) => r.tsMs));
    const offsetMs = newest - received;
    const subject = subjectOf("probe", probeId);
    const slot = probeSlot(probeId);
    // A live probe's clock runs with the server's: between two messages, its timestamps advance
    // about as much as the arrival times do. A buffer replayed one reading a message advances far
    // faster; that is a probe catching up, not a clock that is off.
    const prev = slot.lastClock;
    slot.lastClock = { receivedMs: received, newestMs: newest };
    const dWall = prev ? received - prev.receivedMs : 0;
    const dEvent = prev ? newest - prev.newestMs : 0;
    const live = prev !== undefined && Math.abs(dEvent - dWall) <= Math.max(60_000, dWall / 2);
    if (Math.abs(offsetMs) > s.clockSkewMaxMin * 60_000) {
      if (!live) {
        slot.skewed = 0;
        return [];
      }
      slot.skewed++;
      if (slot.skewed >= s.clockSkewMessages && !active.has(key("clock-skew", subject))) {
        return [
          probeRaise(
            "clock-skew",
            probeId,
            "warning",
            words.clockSkewWords({ probeId, offsetMs }),
            received,
            nowMs,
            { offsetMs },
          ),
        ];
      }
      return [];
    }
    slot.skewed = 0;
    if (active.has(key("clock-skew", subject))) {
      return [
        clear("clock-skew", subject, nowMs, words.clockSkewWords({ probeId, offsetMs }).clearMessage, {
          offsetMs,
        }),
      ];
    }
    return [];
  }

  function probeRaise(
    kind: AlertKind,
    probeId: string,
    severity: Severity,
    w: { title: string; message: string },
    startedMs: number,
    nowMs: number,
    details: Record<string, unknown>,
  ): AlertIntent {
    const unit = currentUnitOf(probeId);
    const info = lookups.probe(probeId);
    return raise(
      kind,
      subjectOf("probe", probeId),
      severity,
      w,
      { startedMs, atMs: nowMs },
      {
        ownerId: info?.ownerId ?? unit?.ownerId ?? "admin",
        unitId: unit?.id ?? null,
        unitName: unit?.name ?? null,
        probeId,
      },
      details,
    );
  }

  /** Live fields from ingest: last seen, battery, status (the retained last will). */
  function probeLive(probeId: string, live: ProbeLive): AlertIntent[] {
    const nowMs = deps.now();
    const slot = probeSlot(probeId);
    const out: AlertIntent[] = [];
    if (live.lastSeenMs !== undefined) slot.lastSeenMs = Math.max(slot.lastSeenMs ?? 0, live.lastSeenMs);
    if (live.status !== undefined && live.status !== slot.status) {
      slot.status = live.status;
      slot.statusSinceMs = nowMs;
    }
    const subject = subjectOf("probe", probeId);
    const offlineKey = key("probe-offline", subject);
    const heardSinceStatus = slot.status !== "offline" || (slot.lastSeenMs ?? 0) > slot.statusSinceMs;
    if (
      active.has(offlineKey) &&
      heardSinceStatus &&
      slot.lastSeenMs !== null &&
      nowMs - slot.lastSeenMs < s.offlineAfterMin * 60_000
    ) {
      out.push(
        clear(
          "probe-offline",
          subject,
          nowMs,
          words.backOnlineWords({ probeId, atMs: slot.lastSeenMs }).message,
          { backAt: iso(slot.lastSeenMs) },
        ),
      );
    }
    const pct = live.batteryPct;
    const mv = live.batteryMv;
    if (pct !== undefined || mv !== undefined) {
      const batteryKey = key("battery-low", subject);
      // battery_pct when the device sends it; battery_mv only otherwise (cells differ in voltage).
      const low = pct !== undefined ? pct < s.batteryLowPct : (mv as number) < s.batteryLowMv;
      const ok =
        pct !== undefined
          ? pct >= s.batteryLowPct + s.batteryClearMarginPct
          : (mv as number) >= s.batteryLowMv + s.batteryClearMarginMv;
      // Looked up only on a change: battery fields come with every message.
      const w = () =>
        words.batteryWords({
          probeId,
          unitName: currentUnitOf(probeId)?.name ?? null,
          pct: pct ?? null,
          mv: mv ?? null,
        });
      if (low && !active.has(batteryKey)) {
        out.push(
          probeRaise("battery-low", probeId, "warning", w(), nowMs, nowMs, {
            batteryPct: pct ?? null,
            batteryMv: mv ?? null,
          }),
        );
      } else if (ok && active.has(batteryKey)) {
        out.push(
          clear("battery-low", subject, nowMs, w().clearMessage, {
            batteryPct: pct ?? null,
            batteryMv: mv ?? null,
          }),
        );
      }
    }
    return out;
  }

  return {
    /** Marks what is already alerted (from the store), so a restart neither repeats nor forgets. */
    seed(alerts: readonly Alert[]): void {
      for (const a of alerts)
        if (a.state !== "resolved" && a.clearedMs === null) active.add(key(a.kind, a.subject));
      for (const m of deps.monitors.loadAll()) {
        const u = lookups.unit(m.unitId);
        if (!u) continue;
        const { profile, profileKey } = profileOf(u);
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
      for (const i of intents) {
        if (i.op === "raise") active.delete(key(i.kind, i.subject));
        else active.add(key(i.kind, i.subject));
      }
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
          out.push(...clockIntents(first.probeId, rows.slice(msgStart, i), nowMs));
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
        const slot = probeSlot(r.probeId);
        slot.lastSeenMs = Math.max(slot.lastSeenMs ?? 0, r.receivedMs ?? nowMs);
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
        group.samples.push({ tsMs: r.tsMs, tempC: r.tempC + p.calibrationOffsetC });
      }
      for (const { unit, interval, samples } of perUnit.values()) {
        if (samples.length === 0) continue;
        const slot = unitSlot(unit, interval);
        const newest = samples.reduce((a, b) => (b.tsMs >= a.tsMs ? b : a));
        slot.lastTempC = newest.tempC;
        slot.dirty = true;
        out.push(...monitorIntents(unit, slot, slot.monitor.push(samples), nowMs));
      }
      // Any message from a probe ends its offline alert.
      for (const probeId of attCache.keys()) out.push(...probeLive(probeId, {}));
      return out;
    },

    probeLive,

    /** A message from this probe was refused by ingest (reason as counted in metrics). */
    rejected(probeId: string | null, reason: string): AlertIntent[] {
      if (probeId === null || !lookups.probe(probeId)) return [];
      const nowMs = deps.now();
      const slot = probeSlot(probeId);
      const windowMs = s.rejectSurgeWindowMin * 60_000;
      slot.rejects = slot.rejects.filter((r) => r.atMs > nowMs - windowMs);
      slot.rejects.push({ atMs: nowMs, reason });
      const out: AlertIntent[] = [];
      const subject = subjectOf("probe", probeId);
      // Readings more than 10 min ahead are refused as future_ts: that is a clock off, too.
      if (reason === "future_ts" && !active.has(key("clock-skew", subject))) {
        out.push(
          probeRaise(
            "clock-skew",
            probeId,
            "warning",
            words.clockSkewWords({ probeId, offsetMs: 10 * 60_000 }),
            nowMs,
            nowMs,
            { reason },
          ),
        );
      }
      if (slot.rejects.length >= s.rejectSurgeCount && !active.has(key("rejected-surge", subject))) {
        const reasons: Record<string, number> = {};
        for (const r of slot.rejects) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
        const w = words.rejectSurgeWords({
          probeId,
          count: slot.rejects.length,
          windowMin: s.rejectSurgeWindowMin,
          reasons,
        });
        out.push(
          probeRaise("rejected-surge", probeId, "warning", w, slot.rejects[0]?.atMs ?? nowMs, nowMs, {
            count: slot.rejects.length,
            reasons,
          }),
        );
      }
      return out;
    },

    /** The clock reached nowMs: confirms excursions, notices silence, clears what has calmed down. */
    tick(nowMs: number): AlertIntent[] {
      const out: AlertIntent[] = [];
      for (const [unitId, slot] of units) {
        const events = slot.monitor.tick(nowMs);
        if (events.length > 0) {
          slot.dirty = true;
          const u = lookups.unit(unitId);
          if (u) out.push(...monitorIntents(u, slot, events, nowMs));
        }
        const fault = lastFaultMs.get(unitId);
        const subject = subjectOf("unit", unitId);
        if (
          fault !== undefined &&
          active.has(key("sensor-fault", subject)) &&
          nowMs - fault >= s.sensorFaultClearMin * 60_000
        ) {
          const u = lookups.unit(unitId);
          lastFaultMs.delete(unitId);
          out.push(
            clear(
              "sensor-fault",
              subject,
              nowMs,
              words.sensorFaultWords(u ?? { name: unitId, kind: "freezer" }, {
                tsMs: fault,
                tempC: 0,
                fault: "",
              }).clearMessage,
            ),
          );
        }
        if (slot.dirty) {
          deps.monitors.save(unitId, slot.profileKey, slot.monitor.state(), nowMs);
          slot.dirty = false;
        }
      }

      // Probe offline: silence longer than offlineAfterMin, or the last will held past its grace.
      const watched = new Set<string>();
      for (const att of lookups.currentAttachments()) {
        watched.add(att.probeId);
        const slot = probeSlot(att.probeId);
        const lastHeard = Math.max(slot.lastSeenMs ?? Number.NEGATIVE_INFINITY, att.fromMs);
        const silent = nowMs - lastHeard >= s.offlineAfterMin * 60_000;
        const byStatus =
          slot.status === "offline" &&
          nowMs - slot.statusSinceMs >= s.offlineStatusGraceMin * 60_000 &&
          (slot.lastSeenMs ?? 0) <= slot.statusSinceMs;
        const subject = subjectOf("probe", att.probeId);
        const isActive = active.has(key("probe-offline", subject));
        if ((silent || byStatus) && !isActive) {
          const u = lookups.unit(att.unitId);
          const info = lookups.probe(att.probeId);
          const w = words.offlineWords({
            probeId: att.probeId,
            unitName: u?.name ?? null,
            lastHeardMs: lastHeard,
            nowMs,
            byStatus: byStatus && !silent,
          });
          out.push(
            raise(
              "probe-offline",
              subject,
              "warning",
              w,
              { startedMs: lastHeard, atMs: nowMs },
              {
                ownerId: info?.ownerId ?? u?.ownerId ?? "admin",
                unitId: att.unitId,
                unitName: u?.name ?? null,
                probeId: att.probeId,
              },
              { lastHeard: iso(lastHeard), status: slot.status, byStatus },
            ),
          );
        } else if (!silent && !byStatus && isActive && slot.status !== "offline") {
          out.push(
            clear(
              "probe-offline",
              subject,
              nowMs,
              words.backOnlineWords({ probeId: att.probeId, atMs: lastHeard }).message,
            ),
          );
        }
      }
      for (const k of [...active]) {
        const [kind, subject] = k.split("|") as [AlertKind, string];
        if (kind === "probe-offline" && !watched.has(subject.slice("probe:".length))) {
          out.push(clear(kind, subject, nowMs, `Probe ${subject.slice(6)} is no longer attached to a unit.`));
        }
        if (kind === "rejected-surge") {
          const slot = probes.get(subject.slice(6));
          const windowMs = s.rejectSurgeWindowMin * 60_000;
          if (!slot || slot.rejects.every((r) => r.atMs <= nowMs - windowMs)) {
            out.push(
              clear(
                kind,
                subject,
                nowMs,
                words.rejectSurgeWords({
                  probeId: subject.slice(6),
                  count: 0,
                  windowMin: s.rejectSurgeWindowMin,
                  reasons: {},
                }).clearMessage,
              ),
            );
          }
        }
      }

      if (nowMs - lastBatchCheckMs >= s.batchCheckEveryMin * 60_000) {
        lastBatchCheckMs = nowMs;
        const due = lookups.dueBatches(nowMs);
        const seen = new Set<string>();
        for (const b of due) {
          const subject = subjectOf("batch", b.batchId);
          seen.add(subject);
          const past = b.untilMs <= nowMs;
          const band = `${b.band}|${past}`;
          if (batchBands.get(subject) === band && active.has(key("batch-storage-limit", subject))) continue;
          batchBands.set(subject, band);
          const u = b.unitId ? lookups.unit(b.unitId) : null;
          const w = words.batchLimitWords({
            code: b.code,
            unitName: u?.name ?? null,
            limit: b.limit,
            band: b.band,
            untilMs: b.untilMs,
            nowMs,
          });
          out.push(
            raise(
              "batch-storage-limit",
              subject,
              past ? "critical" : "warning",
              w,
              { startedMs: nowMs, atMs: nowMs },
              {
                ownerId: u?.ownerId ?? "admin",
                unitId: b.unitId,
                unitName: u?.name ?? null,
                probeId: null,
                batchIds: [b.batchId],
              },
              { code: b.code, limit: b.limit, band: b.band, until: iso(b.untilMs), past },
            ),
          );
        }
        for (const k of [...active]) {
          const [kind, subject] = k.split("|") as [AlertKind, string];
          if (kind === "batch-storage-limit" && !seen.has(subject)) {
            batchBands.delete(subject);
            out.push(
              clear(
                kind,
                subject,
                nowMs,
                "The batch is no longer near a storage limit (used, moved or its record changed).",
              ),
            );
          }
        }
      }
      return out;
    },
  };
}
export type AlertEngine = ReturnType<typeof createAlertEngine>;
