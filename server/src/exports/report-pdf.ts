/**
 * The batch report as a PDF for a milk bank's records (issue #11): A4, the batch code in a header
 * and "page n of m" on every page; verdict, reasons, chart, custody chain, staff reviews and the
 * audit trail, all times in one named zone. pdfkit's built-in Helvetica needs no font files;
 * text is kept to its Windows-1252 repertoire (`printable`).
 */
import PDFDocument from "pdfkit";
import type { Band } from "../rules/index.js";
import { drawChart } from "./report-chart.js";
import type { ReportChart } from "./report-readings.js";
import { printable, timeFormatter } from "./report-text.js";

export interface ReportInput {
  code: string;
  expressedAtMs: number;
  volumeMl: number | null;
  container: string;
  state: string;
  everThawed: boolean;
  verdict: Band;
  asOfMs: number;
  monitoringEndedMs: number | null;
  reasons: readonly { band: Band; rule: string; message: string }[];
  custody: readonly {
    unitName: string | null;
    unitKind: string | null;
    fromMs: number;
    toMs: number | null;
    leftHow: string | null;
  }[];
  reviews: readonly { decision: string; comment: string; by: string; atMs: number }[];
  audit: readonly { at: string; actor: string; action: string; details: unknown }[];
  chart: ReportChart;
  generatedAtMs: number;
  generatedBy: string;
  timeZone: string;
}

const VERDICT_WORDS: Record<Band, string> = { safe: "SAFE", check: "CHECK", "do-not-use": "DO NOT USE" };
const VERDICT_COLOURS: Record<Band, string> = { safe: "#1b6e3a", check: "#8a5a00", "do-not-use": "#b3261e" };
const LEFT_HOW: Record<string, string> = {
  "handed-over": "handed over",
  fed: "fed",
  discarded: "discarded",
  unknown: "left monitoring (how not recorded)",
};

/** A4 in PDF points; 50 pt margins, with room above and below for the header and page numbers. */
const A4 = "A4";
const MARGIN = 50;
const TOP = 72;

function detailsText(details: unknown): string {
  if (details === null || details === undefined) return "";
  const s = typeof details === "string" ? details : JSON.stringify(details);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** The report as PDF bytes. */
export async function renderBatchReport(r: ReportInput): Promise<Buffer> {
  const at = timeFormatter(r.timeZone);
  const doc = new PDFDocument({
    size: A4,
    margins: { top: TOP, bottom: 60, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: {
      Title: `Batch ${r.code} report`,
      Author: printable(r.generatedBy),
      Creator: "coldtrail",
      CreationDate: new Date(r.generatedAtMs),
    },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => doc.on("end", () => resolve()));
  const width = doc.page.width - 2 * MARGIN;
  const text = (s: string, o: PDFKit.Mixins.TextOptions = {}) => doc.text(printable(s), { width, ...o });
  const heading = (s: string) => {
    if (doc.y > doc.page.height - 140) doc.addPage();
    doc.moveDown(0.8).font("Helvetica-Bold").fontSize(13).fillColor("black");
    text(s);
    doc.moveDown(0.3).font("Helvetica").fontSize(10);
  };

  doc.font("Helvetica-Bold").fontSize(18);
  text(`Batch ${r.code}`);
  doc.font("Helvetica").fontSize(10).fillColor("#333333");
  text(
    `Expressed ${at(r.expressedAtMs)}` +
      (r.volumeMl ? ` · ${r.volumeMl} ml` : "") +
      ` · ${r.container} · milk now ${r.state}${r.everThawed ? " (has thawed)" : ""}`,
  );
  text(`Times are in ${r.timeZone}.`);
  doc.moveDown(0.6);
  doc.font("Helvetica-Bold").fontSize(16).fillColor(VERDICT_COLOURS[r.verdict]);
  text(`Verdict: ${VERDICT_WORDS[r.verdict]}`);
  doc.font("Helvetica").fontSize(10).fillColor("black");
  text(
    r.monitoringEndedMs !== null
      ? `As of ${at(r.asOfMs)}, when the batch left monitored custody.`
      : `As of ${at(r.asOfMs)} (still monitored).`,
  );

  heading("Why");
  if (r.reasons.length === 0) text("No reasons recorded.");
  for (const reason of r.reasons) {
    text(`- ${reason.message} [${VERDICT_WORDS[reason.band].toLowerCase()}, RULES.md ${reason.rule}]`);
    doc.moveDown(0.2);
  }

  heading("Temperature across custody");
  if (doc.y > doc.page.height - 300) doc.addPage();
  drawChart(doc, r.chart, { x: MARGIN, y: doc.y, width, height: 200, time: at });

  heading("Custody chain");
  r.custody.forEach((c, i) => {
    const name = c.unitName ?? "Out of monitored custody";
    const kind = c.unitKind ? ` (${c.unitKind})` : "";
    const to = c.toMs === null ? "now" : at(c.toMs);
    const left = c.leftHow ? `; then ${LEFT_HOW[c.leftHow] ?? c.leftHow}` : "";
    text(`${i + 1}. ${name}${kind}: ${at(c.fromMs)} to ${to}${left}`);
  });

  heading("Staff reviews");
  if (r.reviews.length === 0) text("No reviews.");
  for (const v of r.reviews) {
    text(`${at(v.atMs)} · ${v.decision} by ${v.by}: ${v.comment}`);
    doc.moveDown(0.2);
  }

  heading("Audit trail");
  if (r.audit.length === 0) text("No audit entries.");
  doc.fontSize(9);
  for (const a of r.audit) {
    const details = detailsText(a.details);
    text(`${at(Date.parse(a.at))} · ${a.action} · ${a.actor}${details ? ` · ${details}` : ""}`);
    doc.moveDown(0.15);
  }

  doc.moveDown(1).fontSize(9).fillColor("#333333");
  text(`Generated ${at(r.generatedAtMs)} by ${r.generatedBy}.`);

  const pages = doc.bufferedPageRange();
  for (let i = pages.start; i < pages.start + pages.count; i++) {
    doc.switchToPage(i);
    // Header and footer sit in the margins: no automatic page break for them.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font("Helvetica").fontSize(8).fillColor("#555555");
    doc.text(printable(`coldtrail batch report · ${r.code}`), MARGIN, 30, { width, lineBreak: false });
    doc.text(`Page ${i + 1} of ${pages.count}`, MARGIN, doc.page.height - 40, {
      width,
      align: "right",
      lineBreak: false,
    });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}
