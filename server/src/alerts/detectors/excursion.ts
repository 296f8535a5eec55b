/**
 * Excursion: the unit's monitor confirmed a run outside the profile's range (too warm for longer
 * than `high.forMin`, or too cold for longer than `low.forMin`; RULES.md rows cited in the
 * profiles). Raised when the run is confirmed, cleared when the monitor ends the run.
 */
import type { AlertKey } from "../types.js";
import { aboutUnit, clearIntent, iso, raiseIntent } from "./intents.js";
import type { Detector } from "./types.js";

const KIND = "excursion";

export function excursionDetector(): Detector<typeof KIND> {
  return {
    kind: KIND,
    onMonitorEvent({ unit, profile: p, lastTempC, event: e, nowMs }, ctx) {
      const key: AlertKey = { kind: KIND, subject: { type: "unit", unitId: unit.id } };
      if (e.kind === "excursion-started") {
        const rule = e.rule === "high" ? p.high : p.low;
        const limitC = e.rule === "high" ? p.high.aboveC : (p.low?.belowC ?? p.safe.minC ?? 0);
        const forMin = rule?.forMin ?? 0;
        return [
          raiseIntent(key, {
            severity: "critical",
            words: ctx.words.excursionStartedWords(unit, {
              rule: e.rule,
              fromMs: e.fromMs,
              limitC,
              forMin,
              nowC: lastTempC,
            }),
            startedMs: e.fromMs,
            atMs: nowMs,
            about: aboutUnit(ctx, unit, nowMs),
            details: {
              rule: e.rule,
              profile: p.id,
              limitC,
              forMin: rule?.forMin ?? null,
              from: iso(e.fromMs),
              confirmedAt: iso(e.atMs),
              lastC: lastTempC,
            },
          }),
        ];
      }
      if (e.kind === "excursion-ended") {
        return [
          clearIntent(key, nowMs, ctx.words.excursionEndedWords(unit, e).message, {
            to: iso(e.toMs),
            peakC: e.peakC,
            minutes: Math.round((e.toMs - e.fromMs) / 60_000),
          }),
        ];
      }
      return [];
    },
  };
}
