/// <reference lib="dom" />
/**
 * The parts of a verdict both staff (batch page) and recipients (passport) read: the verdict
 * itself, its reasons with their time spans, the statistics and the time limits still running.
 */
import type { Band, Budget, Reason, VerdictStats } from "../api/types.js";
import { formatDuration, formatLocal, formatSpan } from "../format/time.js";
import { bandLook, budgetWords, formatTemp, sortReasons } from "../format/verdict.js";
import { h } from "./element.js";

/** A small chip: symbol and words, coloured. */
export function verdictChip(band: Band): HTMLElement {
  const look = bandLook(band);
  return h(
    "span",
    { class: `chip ${look.cls}` },
    h("span", { "aria-hidden": "true", class: "chip-symbol" }, look.symbol),
    ` ${look.words}`,
  );
}

/** The big verdict block at the top of a batch or passport. */
export function verdictPanel(band: Band, asOfIso: string): HTMLElement {
  const look = bandLook(band);
  return h(
    "section",
    { class: `verdict-panel ${look.cls}`, "aria-labelledby": "verdict-word" },
    h("p", { class: "verdict-symbol", "aria-hidden": "true" }, look.symbol),
    h("h1", { id: "verdict-word", class: "verdict-word", "data-verdict": band }, look.words),
    h("p", { class: "verdict-advice" }, look.advice),
    h("p", { class: "verdict-asof" }, `As of ${formatLocal(asOfIso)}`),
  );
}

/** `rule: false` (the passport) leaves out the RULES.md row each reason applies. */
export function reasonList(
  reasons: readonly Reason[],
  nowMs: number,
  opts: { rule?: boolean } = {},
): HTMLElement {
  if (reasons.length === 0) return h("p", null, "No reasons recorded.");
  return h(
    "ul",
    { class: "reasons" },
    sortReasons(reasons).map((r) =>
      h(
        "li",
        { class: `reason band-${r.band}` },
        h(
          "span",
          { class: `chip small ${bandLook(r.band).cls}` },
          h("span", { "aria-hidden": "true" }, bandLook(r.band).symbol),
          ` ${r.band === "safe" ? "Note" : bandLook(r.band).words}`,
        ),
        " ",
        h("span", { class: "reason-message" }, r.message),
        r.from
          ? h("span", { class: "reason-span hint" }, h("br"), `When: ${formatSpan(r.from, r.to, nowMs)}`)
          : null,
        opts.rule === false
          ? null
          : h("span", { class: "reason-rule", title: "RULES.md row this reason applies" }, ` (${r.rule})`),
      ),
    ),
  );
}

/** Monitored share as words and a meter, so "how much was watched" reads at a glance. */
export function monitoredMeter(pct: number): HTMLElement {
  const rounded = Math.round(pct * 10) / 10;
  const words =
    rounded >= 100
      ? "all of the time"
      : rounded >= 99
        ? "almost all of the time"
        : rounded >= 90
          ? "most of the time"
          : rounded >= 50
            ? "part of the time"
            : "little of the time";
  return h(
    "div",
    { class: "monitored" },
    h(
      "p",
      null,
      h("strong", null, `Monitored ${rounded}% of the time`),
      ` (${words}). Time without readings is unmonitored and never assumed safe.`,
    ),
    h("meter", {
      min: 0,
      max: 100,
      low: 80,
      high: 99,
      optimum: 100,
      value: rounded,
      "aria-label": `monitored ${rounded}%`,
    }),
  );
}

/** `technical: false` (the passport) leaves out the mean kinetic temperature. */
export function statsList(s: VerdictStats, opts: { technical?: boolean } = {}): HTMLElement {
  const row = (term: string, value: string, hint?: string) =>
    h(
      "div",
      null,
      h("dt", null, term),
      h("dd", null, value, hint ? h("span", { class: "hint" }, ` ${hint}`) : null),
    );
  return h(
    "dl",
    { class: "stats" },
    row("Lowest", formatTemp(s.minC)),
    row("Highest", formatTemp(s.maxC)),
    row("Average", formatTemp(s.meanC), "(time-weighted)"),
    opts.technical === false
      ? null
      : row("Mean kinetic temperature", formatTemp(s.mktC), "(weights warm spells more, USP <1160>)"),
    row("Out of range", s.minutesOutOfRange === 0 ? "never" : formatDuration(s.minutesOutOfRange * 60_000)),
    row("Monitored", `${Math.round(s.monitoredPct * 10) / 10}%`),
  );
}

/** `rule: false` (the passport) names each limit in words only. */
export function budgetList(budgets: readonly Budget[], opts: { rule?: boolean } = {}): HTMLElement {
  if (budgets.length === 0) return h("p", null, "No storage-time limit is running.");
  return h(
    "ul",
    { class: "budgets" },
    budgets.map((b) =>
      h(
        "li",
        { class: b.remainingMinutes <= 0 ? "budget reached" : "budget" },
        budgetWords(b, formatDuration, opts),
        b.until && b.remainingMinutes > 0 ? h("span", { class: "hint" }, ` (${formatLocal(b.until)})`) : null,
      ),
    ),
  );
}
