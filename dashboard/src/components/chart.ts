/// <reference lib="dom" />
/**
 * A temperature chart on uPlot: the reading line (bucket min–max as a shaded band when the data
 * is bucketed), the safe limit as a dashed line, and optional vertical marks where the milk moved.
 * A text summary goes with the canvas for people who cannot see it.
 */
import uPlot from "uplot";
import { formatLocal } from "../format/time.js";
import { formatTemp } from "../format/verdict.js";
import { type ChartColumns, timeTicks } from "./chart-data.js";
import { h } from "./element.js";
import { placeMarkLabels } from "./mark-labels.js";

/** Height of the strip above the plot where place names are written, in CSS px. */
const MARK_STRIP_PX = 20;

export interface ChartMark {
  tsSec: number;
  label: string;
}

export interface ChartHandle {
  update(cols: ChartColumns, marks?: readonly ChartMark[]): void;
  destroy(): void;
}

const COLOURS = {
  line: "#1d4f91",
  band: "rgba(29, 79, 145, 0.15)",
  bandEdge: "rgba(29, 79, 145, 0.35)",
  limit: "#b3261e",
  mark: "#5b5b5b",
};

const hasValue = (col: readonly (number | null)[]) => col.some((v) => v !== null);

function summary(cols: ChartColumns, title: string): string {
  const temps = cols[1].filter((v): v is number => v !== null);
  if (temps.length === 0) return `${title}: no readings in this period.`;
  const first = cols[0][0] as number;
  const last = cols[0][cols[0].length - 1] as number;
  return `${title}: ${temps.length} points from ${formatLocal(first * 1000)} to ${formatLocal(last * 1000)}, lowest ${formatTemp(Math.min(...temps))}, highest ${formatTemp(Math.max(...temps))}.`;
}

function build(
  cols: ChartColumns,
  width: number,
  height: number,
  marks: () => readonly ChartMark[],
): { opts: uPlot.Options; data: uPlot.AlignedData } {
  const series: uPlot.Series[] = [{}];
  const data: (number | null)[][] = [cols[0]];
  const temp = (_u: uPlot, v: number | null) => (v === null ? "—" : formatTemp(v));
  series.push({ label: "Temperature", stroke: COLOURS.line, width: 2, value: temp });
  data.push(cols[1]);
  const bands: uPlot.Band[] = [];
  if (hasValue(cols[2]) && hasValue(cols[3])) {
    series.push({
      label: "Highest",
      stroke: COLOURS.bandEdge,
      width: 1,
      value: temp,
      points: { show: false },
    });
    data.push(cols[3]);
    series.push({
      label: "Lowest",
      stroke: COLOURS.bandEdge,
      width: 1,
      value: temp,
      points: { show: false },
    });
    data.push(cols[2]);
    bands.push({ series: [series.length - 2, series.length - 1], fill: COLOURS.band });
  }
  if (hasValue(cols[4])) {
    series.push({
      label: "Safe limit",
      stroke: COLOURS.limit,
      width: 1.5,
      dash: [6, 4],
      value: temp,
      points: { show: false },
    });
    data.push(cols[4]);
  }
  if (hasValue(cols[5])) {
    series.push({
      label: "Lower safe limit",
      stroke: COLOURS.limit,
      width: 1.5,
      dash: [2, 4],
      value: temp,
      points: { show: false },
    });
    data.push(cols[5]);
  }
  const drawMarks = (u: uPlot) => {
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = COLOURS.mark;
    ctx.fillStyle = COLOURS.mark;
    ctx.setLineDash([3, 3]);
    ctx.lineWidth = devicePixelRatio;
    ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
    const area = { left: u.bbox.left, right: u.bbox.left + u.bbox.width };
    const lines = marks()
      .map((m) => ({ x: Math.round(u.valToPos(m.tsSec, "x", true)), label: m.label }))
      .filter((m) => m.x >= area.left && m.x <= area.right);
    for (const m of lines) {
      ctx.beginPath();
      ctx.moveTo(m.x, u.bbox.top);
      ctx.lineTo(m.x, u.bbox.top + u.bbox.height);
      ctx.stroke();
    }
    // The names go in the strip above the plot (the chart's top padding): clear of the readings,
    // the limit line and the axes, and of each other (mark-labels.ts).
    for (const l of placeMarkLabels(lines, area, (t) => ctx.measureText(t).width, 4 * devicePixelRatio))
      ctx.fillText(l.text, l.x, u.bbox.top - 6 * devicePixelRatio);
    ctx.restore();
  };
  return {
    opts: {
      width,
      height,
      series,
      bands,
      scales: { x: { time: true } },
      axes: [
        { values: (_u, ticks) => timeTicks(ticks), space: 60 },
        { label: "°C", values: (_u, ticks) => ticks.map((t) => String(t).replace("-", "−")), size: 50 },
      ],
      legend: { live: true },
      // Room above the plot for the names of the places (marks).
      padding: [MARK_STRIP_PX, null, null, null],
      cursor: { drag: { x: true, y: false } },
      hooks: { draw: [drawMarks] },
    },
    data: data as uPlot.AlignedData,
  };
}

export function mountChart(
  container: HTMLElement,
  cols: ChartColumns,
  o: { title: string; marks?: readonly ChartMark[] },
): ChartHandle {
  const desc = h("p", { class: "visually-hidden" });
  const target = h("div", { class: "chart-canvas", role: "img" });
  container.replaceChildren(target, desc);
  const heightFor = (w: number) => (w < 500 ? 220 : 300);
  let marks = o.marks ?? [];
  let current = cols;
  let plot: uPlot | null = null;
  let shape = "";

  const draw = () => {
    const width = Math.max(280, target.clientWidth || container.clientWidth || 320);
    const { opts, data } = build(current, width, heightFor(width), () => marks);
    const nextShape = (opts.series ?? []).map((s) => s.label).join("|");
    // Same series as before: swap the data in place (no flicker); otherwise build anew.
    if (plot && nextShape === shape) plot.setData(data);
    else {
      plot?.destroy();
      plot = new uPlot(opts, data, target);
      shape = nextShape;
    }
    const text = summary(current, o.title);
    target.setAttribute("aria-label", text);
    desc.textContent = text;
  };
  draw();

  let lastWidth = target.clientWidth;
  const resize = new ResizeObserver(() => {
    const w = target.clientWidth;
    if (!plot || w === lastWidth || w === 0) return;
    lastWidth = w;
    plot.setSize({ width: w, height: heightFor(w) });
  });
  resize.observe(target);

  return {
    update(next, nextMarks) {
      current = next;
      if (nextMarks) marks = nextMarks;
      draw();
    },
    destroy() {
      resize.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
