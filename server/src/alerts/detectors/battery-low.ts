/**
 * Battery low: battery_pct below `batteryLowPct`, or battery_mv below `batteryLowMv` when the
 * device sends no percentage (cells differ in voltage). Cleared only once the level is back above
 * the threshold plus a margin (hysteresis), so a level wobbling at the threshold does not flap.
 */
import type { AlertKey } from "../types.js";
import { aboutProbe, clearIntent, currentUnitOf, raiseIntent } from "./intents.js";
import type { Detector } from "./types.js";

const KIND = "battery-low";

export function batteryLowDetector(): Detector<typeof KIND> {
  return {
    kind: KIND,
    onProbeLive({ probeId, live, nowMs }, ctx) {
      const s = ctx.settings;
      const pct = live.batteryPct;
      const mv = live.batteryMv;
      if (pct === undefined && mv === undefined) return [];
      const key: AlertKey = { kind: KIND, subject: { type: "probe", probeId } };
      const low = pct !== undefined ? pct < s.batteryLowPct : (mv as number) < s.batteryLowMv;
      const ok =
        pct !== undefined
          ? pct >= s.batteryLowPct + s.batteryClearMarginPct
          : (mv as number) >= s.batteryLowMv + s.batteryClearMarginMv;
      // Looked up only on a change: battery fields come with every message.
      const w = () =>
        ctx.words.batteryWords({
          probeId,
          unitName: currentUnitOf(ctx, probeId)?.name ?? null,
          pct: pct ?? null,
          mv: mv ?? null,
        });
      const details = { batteryPct: pct ?? null, batteryMv: mv ?? null };
      const on = ctx.active.has(key);
      if (low && !on) {
        return [
          raiseIntent(key, {
            severity: "warning",
            words: w(),
            startedMs: nowMs,
            atMs: nowMs,
            about: aboutProbe(ctx, probeId, nowMs),
            details,
          }),
        ];
      }
      if (ok && on) return [clearIntent(key, nowMs, w().clearMessage, details)];
      return [];
    },
  };
}
