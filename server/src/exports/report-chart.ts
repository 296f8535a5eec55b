/**
 * The report's temperature chart, drawn with pdfkit vector paths: the bucket min-max band, the
 * mean line (broken where readings stop), the safe limit(s) of each stay as dashed red lines, and a
 * grey mark with the unit's name where the milk moved. A text line under it says what it shows.
 */
import type { ReportChart } from "./report-readings.js";
import { printable } from "./report-text.js";

const COLOURS = { line: "#1d4f91", band: "#1d4f91", limit: "#b3261e", mark: "#5b5b5b", grid: "#dddddd" };

/** A readable step for about five temperature gridlines. */
function niceStep(span: number): number {
  const raw = span / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

/** "4 min", "3 h", "1 day 2 h": a bucket's width in words. */
function bucketWords(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 120) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

/** Readings this far apart (3 buckets) are a gap: the line breaks rather than bridging it. */
const GAP_BUCKETS = 3;
/** Sensor-fault markers (−127 °C, 6553.5 …) are left out by the store's buckets; clamp the rest. */
const AXIS_LIMIT_C = 100;

export function drawChart(
  doc: PDFKit.PDFDocument,
  c: ReportChart,
  box: { x: number; y: number; width: number; height: number; time: (ms: number) => string },
): void {
  const left = box.x + 36;
  const right = box.x + box.width;
  const top = box.y;
  const bottom = box.y + box.height;
  const temps = c.points.flatMap((p) => [p.minC, p.maxC]).filter((t) => Math.abs(t) < AXIS_LIMIT_C);
  const limits = c.limits.flatMap((l) => (l.minC === null ? [l.maxC] : [l.minC, l.maxC]));
  const all = [...temps, ...limits];
  const lo = all.length ? Math.min(...all) : -20;
  const hi = all.length ? Math.max(...all) : 10;
  const step = niceStep(Math.max(1, hi - lo));
  const yMin = Math.floor((lo - step / 2) / step) * step;
  const yMax = Math.ceil((hi + step / 2) / step) * step;
  const xOf = (ms: number) => left + ((ms - c.fromMs) / Math.max(1, c.toMs - c.fromMs)) * (right - left);
  const yOf = (t: number) =>
    bottom - ((Math.min(yMax, Math.max(yMin, t)) - yMin) / (yMax - yMin)) * (bottom - top);

  doc.save();
  doc.font("Helvetica").fontSize(7).fillColor("#333333").lineWidth(0.5).strokeColor(COLOURS.grid);
  for (let t = yMin; t <= yMax + step / 1000; t += step) {
    const y = yOf(t);
    doc.moveTo(left, y).lineTo(right, y).stroke();
    doc.text(`${Number(t.toFixed(1))} °C`, box.x, y - 3, { width: 32, align: "right", lineBreak: false });
  }
  doc
    .strokeColor("#888888")
    .rect(left, top, right - left, bottom - top)
    .stroke();
  for (let i = 0; i <= 3; i++) {
    const ms = c.fromMs + ((c.toMs - c.fromMs) * i) / 3;
    const align = i === 0 ? "left" : i === 3 ? "right" : "center";
    const x = i === 0 ? left : i === 3 ? right - 110 : xOf(ms) - 55;
    doc.text(box.time(ms), x, bottom + 4, { width: 110, align, lineBreak: false });
  }

  // Runs of points without a gap, each drawn as a band and a line.
  const runs: (typeof c.points)[] = [];
  const gapMs = GAP_BUCKETS * c.everyMs;
  for (const p of c.points) {
    const run = runs.at(-1);
    const prev = run?.at(-1);
    if (run && prev && p.tsMs - prev.tsMs <= gapMs) run.push(p);
    else runs.push([p]);
  }
  for (const run of runs) {
    if (run.length > 1) {
      const upper = run.map((p) => [xOf(p.tsMs), yOf(p.maxC)]);
      const lower = run.map((p) => [xOf(p.tsMs), yOf(p.minC)]).reverse();
      doc
        .fillOpacity(0.15)
        .fillColor(COLOURS.band)
        .polygon(...upper, ...lower)
        .fill();
      doc.fillOpacity(1);
    }
    const [first, ...rest] = run;
    if (!first) continue;
    doc.lineWidth(1.2).strokeColor(COLOURS.line).moveTo(xOf(first.tsMs), yOf(first.meanC));
    if (rest.length === 0) doc.lineTo(xOf(first.tsMs) + 1, yOf(first.meanC));
    for (const p of rest) doc.lineTo(xOf(p.tsMs), yOf(p.meanC));
    doc.stroke();
  }

  doc.lineWidth(1).strokeColor(COLOURS.limit).dash(4, { space: 3 });
  for (const l of c.limits) {
    for (const t of l.minC === null ? [l.maxC] : [l.minC, l.maxC]) {
      doc.moveTo(xOf(l.fromMs), yOf(t)).lineTo(xOf(l.toMs), yOf(t)).stroke();
    }
  }
  doc.undash();
  doc.lineWidth(0.6).strokeColor(COLOURS.mark).fillColor(COLOURS.mark);
  for (const m of c.marks) {
    const x = xOf(m.tsMs);
    doc.moveTo(x, top).lineTo(x, bottom).stroke();
    doc.text(printable(m.label), Math.min(x + 2, right - 100), top + 2, {
      width: 98,
      lineBreak: false,
      ellipsis: true,
    });
  }
  doc.restore();

  doc.x = box.x;
  doc.y = bottom + 18;
  doc.font("Helvetica").fontSize(8).fillColor("#333333");
  const limitWords = [
    ...new Set(c.limits.map((l) => (l.minC === null ? `max ${l.maxC} °C` : `${l.minC} to ${l.maxC} °C`))),
  ].join(", then ");
  const shown = c.points.length
    ? `${c.points.length} points, each the mean of the readings in ${bucketWords(c.everyMs)} (shaded: lowest to highest)`
    : "no readings in custody";
  doc.text(
    `Blue: air temperature, ${shown}. Dashed red: safe limit${limitWords ? ` (${limitWords})` : ""}.`,
    {
      width: box.width,
    },
  );
  doc.fontSize(10).fillColor("black");
}
