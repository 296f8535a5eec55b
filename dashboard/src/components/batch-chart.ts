/// <reference lib="dom" />
/**
 * The batch page's temperature chart across its custody chain: each monitored stay's unit
 * readings over exactly that stay (GET /units/{id}/readings, bucketed so the whole chain is about
 * `POINTS` points), the safe limit of each stay's profile, and a mark where the milk moved.
 */
import type { ApiClient } from "../api/client.js";
import type { BatchDetail, ReadingPoint } from "../api/types.js";
import { kindWords } from "../format/verdict.js";
import { type ChartHandle, mountChart } from "./chart.js";
import { chartColumns, custodyLimits, gapThresholdMs } from "./chart-data.js";
import { h } from "./element.js";
import { errorNotice, loading } from "./notice.js";

const POINTS = 400;
const MINUTE_MS = 60_000;

/** A bucket width (whole minutes, at least one) that keeps `totalMs` near `POINTS` points. */
export function bucketEveryMs(totalMs: number): number {
  return Math.max(1, Math.ceil(totalMs / POINTS / MINUTE_MS)) * MINUTE_MS;
}

export function batchChart(
  api: Pick<ApiClient, "unitReadings">,
  b: BatchDetail,
  nowMs: number,
): { el: HTMLElement; dispose(): void } {
  const box = h("div", { class: "chart batch-chart" }, loading("the temperature history"));
  let chart: ChartHandle | null = null;
  let disposed = false;
  const stays = b.custody
    .filter((c): c is typeof c & { unitId: string } => c.unitId !== null)
    .map((c) => ({ ...c, fromMs: Date.parse(c.from), toMs: c.to ? Date.parse(c.to) : nowMs }))
    .filter((c) => c.toMs > c.fromMs);
  const everyMs = bucketEveryMs(stays.reduce((a, c) => a + (c.toMs - c.fromMs), 0));

  void (async () => {
    const points: ReadingPoint[] = [];
    for (const c of stays) {
      const r = await api.unitReadings(c.unitId, {
        from: new Date(c.fromMs).toISOString(),
        to: new Date(c.toMs).toISOString(),
        every: `${everyMs / 1000}s`,
      });
      if (disposed) return;
      if (!r.ok) {
        box.replaceChildren(errorNotice("the temperature history", r));
        return;
      }
      // A bucket that began before the stay is drawn at the stay's start.
      for (const p of r.value.readings)
        points.push({ ...p, ts: new Date(Math.max(Date.parse(p.ts), c.fromMs)).toISOString() });
    }
    if (points.length === 0) {
      box.replaceChildren(
        h("p", { class: "notice empty" }, "No readings were recorded while this batch was monitored."),
      );
      return;
    }
    const milkFrozen = (b.state === "frozen" || b.state === "thawing") && !b.everThawed;
    const custody = b.custody.map((c) => ({
      kind: c.unitId ? (c.unitKind ?? "freezer") : "out-of-custody",
      from: c.from,
      to: c.to,
    }));
    const cols = chartColumns({
      points,
      limits: custodyLimits(
        custody,
        b.profiles.map((p) => p.profile),
        milkFrozen,
        nowMs,
      ),
      gapMs: gapThresholdMs(points, everyMs),
    });
    const marks = stays.map((c) => ({
      tsSec: c.fromMs / 1000,
      label: c.unitName ?? kindWords(c.unitKind),
    }));
    chart = mountChart(box, cols, { title: "Temperature across the custody chain", marks });
  })();

  return {
    el: box,
    dispose() {
      disposed = true;
      chart?.destroy();
    },
  };
}
