/**
 * Refused-message surge: ingest refused `rejectSurgeCount` messages from one registered probe
 * within `rejectSurgeWindowMin` (bad firmware or settings; the readings are lost). Cleared once a
 * whole window passed without a refused message.
 */
import type { AlertIntent, AlertKey } from "../types.js";
import { aboutProbe, clearIntent, raiseIntent } from "./intents.js";
import type { Detector } from "./types.js";

const KIND = "rejected-surge";
const keyOf = (probeId: string): AlertKey => ({ kind: KIND, subject: { type: "probe", probeId } });

export function rejectedSurgeDetector(): Detector<typeof KIND> {
  /** Refused messages of each probe within the window (older ones are dropped on the next). */
  const rejects = new Map<string, { atMs: number; reason: string }[]>();
  return {
    kind: KIND,
    onRejected({ probeId, reason, nowMs }, ctx) {
      const s = ctx.settings;
      const windowMs = s.rejectSurgeWindowMin * 60_000;
      const recent = (rejects.get(probeId) ?? []).filter((r) => r.atMs > nowMs - windowMs);
      recent.push({ atMs: nowMs, reason });
      rejects.set(probeId, recent);
      const key = keyOf(probeId);
      if (recent.length < s.rejectSurgeCount || ctx.active.has(key)) return [];
      const reasons: Record<string, number> = {};
      for (const r of recent) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
      return [
        raiseIntent(key, {
          severity: "warning",
          words: ctx.words.rejectSurgeWords({
            probeId,
            count: recent.length,
            windowMin: s.rejectSurgeWindowMin,
            reasons,
          }),
          startedMs: recent[0]?.atMs ?? nowMs,
          atMs: nowMs,
          about: aboutProbe(ctx, probeId, nowMs),
          details: { count: recent.length, reasons },
        }),
      ];
    },
    onTick({ nowMs }, ctx) {
      const windowMin = ctx.settings.rejectSurgeWindowMin;
      const out: AlertIntent[] = [];
      for (const subject of ctx.active.subjects(KIND)) {
        if (subject.type !== "probe") continue;
        const recent = rejects.get(subject.probeId);
        if (recent?.some((r) => r.atMs > nowMs - windowMin * 60_000)) continue;
        const w = ctx.words.rejectSurgeWords({ probeId: subject.probeId, count: 0, windowMin, reasons: {} });
        out.push(clearIntent(keyOf(subject.probeId), nowMs, w.clearMessage));
      }
      return out;
    },
  };
}
