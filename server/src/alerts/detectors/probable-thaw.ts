/**
 * Probable thaw: the unit's monitor estimates that the frozen milk it assumes has thawed (the
 * estimate passed −0.5 °C, or the air stayed above −1 °C for an hour; RULES.md §4). Nothing
 * clears it: thawed milk stays thawed, so staff acknowledge and resolve it.
 */
import { aboutUnit, iso, raiseIntent } from "./intents.js";
import type { Detector } from "./types.js";

const KIND = "probable-thaw";

export function probableThawDetector(): Detector<typeof KIND> {
  return {
    kind: KIND,
    onMonitorEvent({ unit, profile, event: e, nowMs }, ctx) {
      if (e.kind !== "probable-thaw") return [];
      return [
        raiseIntent(
          { kind: KIND, subject: { type: "unit", unitId: unit.id } },
          {
            severity: "critical",
            words: ctx.words.probableThawWords(unit, e),
            startedMs: e.atMs,
            atMs: nowMs,
            about: aboutUnit(ctx, unit, nowMs),
            details: { by: e.by, at: iso(e.atMs), profile: profile.id },
          },
        ),
      ];
    },
  };
}
