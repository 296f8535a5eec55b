/**
 * The batch report's chart data: each monitored stay's readings bucketed to a width that keeps
 * the whole chain near `REPORT_CHART_POINTS` points (a year of readings is one page of chart),
 * the safe limit that applied along each stay, and where the milk moved.
 */
import type { UnitReadings } from "../readings/unit-readings.js";
import type { ProfileUse } from "../rules/index.js";

/** Points across an A4 chart 480 pt wide: more than one a point would not show. */
export const REPORT_CHART_POINTS = 400;
const MINUTE_MS = 60_000;

export interface ChartPoint {
  tsMs: number;
  meanC: number;
  minC: number;
  maxC: number;
}

export interface ChartLimit {
  fromMs: number;
  toMs: number;
  /** The profile's safe air range for milk in the batch's state (RULES.md, per the profile). */
  minC: number | null;
  maxC: number;
}

export interface ChartMark {
  tsMs: number;
  label: string;
}

export interface ReportChart {
  fromMs: number;
  toMs: number;
  everyMs: number;
  points: ChartPoint[];
  limits: ChartLimit[];
  marks: ChartMark[];
}

export interface ChartStay {
  unitId: string | null;
  unitName: string | null;
  fromMs: number;
  toMs: number | null;
}

export async function reportChart(
  unitReadings: Pick<UnitReadings, "bucketed">,
  custody: readonly ChartStay[],
  profiles: readonly ProfileUse[],
  milkFrozen: boolean,
  nowMs: number,
): Promise<ReportChart> {
  const stays = custody
    .filter((c): c is ChartStay & { unitId: string } => c.unitId !== null)
    .map((c) => ({ ...c, toMs: c.toMs ?? nowMs }));
  const fromMs = custody[0]?.fromMs ?? nowMs;
  const toMs = Math.max(fromMs + MINUTE_MS, ...stays.map((s) => s.toMs));
  const total = stays.reduce((a, s) => a + Math.max(0, s.toMs - s.fromMs), 0);
  const everyMs = Math.max(MINUTE_MS, Math.ceil(total / REPORT_CHART_POINTS / MINUTE_MS) * MINUTE_MS);
  const points: ChartPoint[] = [];
  const limits: ChartLimit[] = [];
  // The engine lists one profile per monitored stay, in custody order.
  stays.forEach((s, i) => {
    const p = profiles[i]?.profile;
    if (p)
      limits.push({
        fromMs: s.fromMs,
        toMs: s.toMs,
        minC: p.safe.minC,
        maxC: milkFrozen ? p.safe.frozenMaxC : p.safe.maxC,
      });
  });
  for (const s of stays) {
    if (s.toMs <= s.fromMs) continue;
    for (const b of await unitReadings.bucketed(s.unitId, s.fromMs, s.toMs, everyMs)) {
      points.push({ tsMs: Math.max(b.startMs, s.fromMs), meanC: b.meanC, minC: b.minC, maxC: b.maxC });
    }
  }
  const marks = stays.map((s) => ({ tsMs: s.fromMs, label: s.unitName ?? s.unitId }));
  return { fromMs, toMs, everyMs, points, limits, marks };
}
