/**
 * Sensor fault: the unit's probe sent an impossible reading (rules/sensor-fault.ts: not a number,
 * out of the sensor's range, a sentinel such as the DS18B20's 85 °C power-on value, or a jump no
 * unit can make, or the same value for hours: stuck). Worded by what the trouble most likely is
 * (`troubleOf`: stuck, disconnected, restarted, impossible). Raised on the first faulty reading;
 * cleared once `sensorFaultClearMin` passed without another.
 */
import { troubleOf } from "../../rules/sensor-fault.js";
import type { AlertKey } from "../types.js";
import { aboutUnit, clearIntent, iso, raiseIntent } from "./intents.js";
import type { Detector } from "./types.js";

const KIND = "sensor-fault";
const keyOf = (unitId: string): AlertKey => ({ kind: KIND, subject: { type: "unit", unitId } });

export function sensorFaultDetector(): Detector<typeof KIND> {
  /** When the engine last saw a faulty reading of each unit (arrival, not event time). */
  const lastFaultMs = new Map<string, number>();
  return {
    kind: KIND,
    onMonitorEvent({ unit, profile, event: e, nowMs }, ctx) {
      if (e.kind !== "sensor-fault") return [];
      lastFaultMs.set(unit.id, nowMs);
      const key = keyOf(unit.id);
      if (ctx.active.has(key)) return [];
      return [
        raiseIntent(key, {
          severity: "warning",
          words: ctx.words.sensorFaultWords(unit, {
            ...e,
            trouble: troubleOf(e.fault, e.tempC, profile.sensor),
          }),
          startedMs: e.tsMs,
          atMs: nowMs,
          about: aboutUnit(ctx, unit, nowMs),
          details: {
            fault: e.fault,
            trouble: troubleOf(e.fault, e.tempC, profile.sensor),
            tempC: Number.isFinite(e.tempC) ? e.tempC : String(e.tempC),
            at: iso(e.tsMs),
          },
        }),
      ];
    },
    onTick({ nowMs }, ctx) {
      const out = [];
      for (const [unitId, faultMs] of lastFaultMs) {
        const key = keyOf(unitId);
        if (!ctx.active.has(key) || nowMs - faultMs < ctx.settings.sensorFaultClearMin * 60_000) continue;
        lastFaultMs.delete(unitId);
        const u = ctx.lookups.unit(unitId) ?? { name: unitId, kind: "freezer" as const };
        const w = ctx.words.sensorFaultWords(u, {
          tsMs: faultMs,
          tempC: 0,
          fault: "",
          trouble: "impossible",
        });
        out.push(clearIntent(key, nowMs, w.clearMessage));
      }
      return out;
    },
  };
}
