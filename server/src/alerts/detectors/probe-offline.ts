/**
 * Probe offline: an attached probe was silent for `offlineAfterMin` (or `offlineMissedIntervals`
 * of its own reporting intervals, if longer), or its retained last will ("offline" status) held
 * for `offlineStatusGraceMin` with nothing heard since. Cleared when the probe is heard again (any
 * reading or live field), or when it is no longer attached to a unit.
 *
 * Silence is counted only over time this detector watched (issue 11): from the attachment, the
 * last message, or the first tick after the server started, whichever is latest. A server that
 * was down could not hear its probes, so a restart does not page about every probe at once and
 * then report each "back" as it reconnects; a probe still silent a full grace later is raised.
 */
import type { AlertIntent, AlertKey } from "../types.js";
import { clearIntent, iso, raiseIntent } from "./intents.js";
import type { Detector } from "./types.js";

const KIND = "probe-offline";
const keyOf = (probeId: string): AlertKey => ({ kind: KIND, subject: { type: "probe", probeId } });

export function probeOfflineDetector(): Detector<typeof KIND> {
  /** The first tick this detector saw: since when this server has been listening. */
  let watchingSinceMs: number | null = null;
  return {
    kind: KIND,
    onProbeLive({ probeId, health: h, nowMs }, ctx) {
      const key = keyOf(probeId);
      const heardSinceStatus = h.status !== "offline" || (h.lastSeenMs ?? 0) > h.statusSinceMs;
      if (
        ctx.active.has(key) &&
        heardSinceStatus &&
        h.lastSeenMs !== null &&
        nowMs - h.lastSeenMs < ctx.settings.offlineAfterMin * 60_000
      ) {
        const back = ctx.words.backOnlineWords({ probeId, atMs: h.lastSeenMs });
        return [clearIntent(key, nowMs, back.message, { backAt: iso(h.lastSeenMs) })];
      }
      return [];
    },
    onTick({ nowMs }, ctx) {
      const s = ctx.settings;
      watchingSinceMs ??= nowMs;
      const out: AlertIntent[] = [];
      const watched = new Set<string>();
      const minGraceMs = s.offlineAfterMin * 60_000;
      for (const att of ctx.lookups.currentAttachments()) {
        watched.add(att.probeId);
        const h = ctx.health(att.probeId);
        const lastHeard = Math.max(h.lastSeenMs ?? Number.NEGATIVE_INFINITY, att.fromMs);
        const silentForMs = nowMs - Math.max(lastHeard, watchingSinceMs);
        // The grace is never shorter than offlineAfterMin: a probe heard within it is not silent,
        // whatever its interval, and the sweep reads no probe record for it (one per probe per
        // tick stalled the event loop for a tenth of a second with 10 000 probes).
        const silent =
          silentForMs >= minGraceMs &&
          silentForMs >= s.offlineMissedIntervals * (ctx.lookups.probe(att.probeId)?.expectedIntervalMs ?? 0);
        const byStatus =
          h.status === "offline" &&
          nowMs - h.statusSinceMs >= s.offlineStatusGraceMin * 60_000 &&
          (h.lastSeenMs ?? 0) <= h.statusSinceMs;
        const key = keyOf(att.probeId);
        const isActive = ctx.active.has(key);
        if ((silent || byStatus) && !isActive) {
          const u = ctx.lookups.unit(att.unitId);
          const info = ctx.lookups.probe(att.probeId);
          out.push(
            raiseIntent(key, {
              severity: "warning",
              words: ctx.words.offlineWords({
                probeId: att.probeId,
                unitName: u?.name ?? null,
                lastHeardMs: lastHeard,
                nowMs,
                byStatus: byStatus && !silent,
              }),
              startedMs: lastHeard,
              atMs: nowMs,
              about: {
                ownerId: info?.ownerId ?? u?.ownerId ?? "admin",
                unitId: att.unitId,
                unitName: u?.name ?? null,
                probeId: att.probeId,
                batchIds: ctx.lookups.batchesIn(att.unitId, nowMs),
              },
              details: { lastHeard: iso(lastHeard), status: h.status, byStatus },
            }),
          );
        } else if (!silent && !byStatus && isActive && h.status !== "offline") {
          const back = ctx.words.backOnlineWords({ probeId: att.probeId, atMs: lastHeard });
          out.push(clearIntent(key, nowMs, back.message));
        }
      }
      for (const subject of ctx.active.subjects(KIND)) {
        if (subject.type !== "probe" || watched.has(subject.probeId)) continue;
        out.push(
          clearIntent(
            keyOf(subject.probeId),
            nowMs,
            `Probe ${subject.probeId} is no longer attached to a unit.`,
          ),
        );
      }
      return out;
    },
  };
}
