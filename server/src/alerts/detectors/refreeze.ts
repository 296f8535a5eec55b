/**
 * Refreeze: milk that had (probably) thawed froze again (RULES.md RF-1: thawed milk must not be
 * refrozen). Nothing clears it: staff acknowledge and resolve it once the batches are dealt with.
 */
import { aboutUnit, iso, raiseIntent } from "./intents.js";
import type { Detector } from "./types.js";

const KIND = "refreeze";

export function refreezeDetector(): Detector<typeof KIND> {
  return {
    kind: KIND,
    onMonitorEvent({ unit, event: e, nowMs }, ctx) {
      if (e.kind !== "refreeze") return [];
      return [
        raiseIntent(
          { kind: KIND, subject: { type: "unit", unitId: unit.id } },
          {
            severity: "critical",
            words: ctx.words.refreezeWords(unit, e),
            startedMs: e.atMs,
            atMs: nowMs,
            about: aboutUnit(ctx, unit, nowMs),
            details: { at: iso(e.atMs) },
          },
        ),
      ];
    },
  };
}
