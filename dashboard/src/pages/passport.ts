/// <reference lib="dom" />
/**
 * The public passport (`/p/{code}`): what a recipient sees after scanning the QR on a bag. The
 * summary first (headline and the "use by" date, big), then the verdict with its reasons in plain
 * words, how much of the time was monitored, and the whole temperature history across the custody
 * chain. Times are in the browser's zone (sent as `tz`); no rule codes; no token, and the API
 * sends no donor identity.
 */
import type { Passport } from "../api/types.js";
import { type ChartHandle, mountChart } from "../components/chart.js";
import { chartColumns, custodyLimits, gapThresholdMs, parseEveryMs } from "../components/chart-data.js";
import { codeEntry } from "../components/code-entry.js";
import { fill, h } from "../components/element.js";
import { loading } from "../components/notice.js";
import {
  budgetList,
  monitoredMeter,
  reasonList,
  statsList,
  verdictPanel,
} from "../components/verdict-details.js";
import { retryDelayS } from "../format/passport-code.js";
import { browserTimeZone, formatDay, formatDuration, formatLocal } from "../format/time.js";
import { decisionWords, kindWords } from "../format/verdict.js";
import type { Page } from "../router.js";

/** What a parent reads first: the headline, the use-by date big, and a few plain lines. */
function summaryBlock(p: Passport): HTMLElement {
  const s = p.summary;
  return h(
    "section",
    { class: "passport-summary", "aria-labelledby": "passport-headline" },
    h("p", { id: "passport-headline", class: "passport-headline" }, s.headline),
    s.useBy
      ? h(
          "p",
          { class: "use-by" },
          h("span", { class: "use-by-label" }, p.state === "frozen" ? "Keep frozen, use by" : "Use by"),
          h("br"),
          h("strong", { class: "use-by-date" }, formatDay(s.useBy)),
        )
      : null,
    p.monitoringEndedAt
      ? h(
          "p",
          { class: "notice monitoring-ended" },
          `Monitoring ended on ${formatLocal(p.monitoringEndedAt)}: since then nobody knows how the milk was kept.`,
        )
      : null,
    h(
      "ul",
      { class: "summary-lines" },
      s.lines.map((line) => h("li", null, line)),
    ),
  );
}

function journey(p: Passport, nowMs: number): HTMLElement {
  return h(
    "ol",
    { class: "custody" },
    p.custody.map((c) =>
      h(
        "li",
        null,
        h("strong", null, kindWords(c.kind)),
        c.site ? ` at a ${c.site === "milk-bank" ? "milk bank" : "household"}` : "",
        h("br"),
        h(
          "span",
          { class: "hint" },
          `${formatLocal(c.from)} → ${c.to ? formatLocal(c.to) : "now"} · ${formatDuration((c.to ? Date.parse(c.to) : nowMs) - Date.parse(c.from))}`,
        ),
      ),
    ),
  );
}

export const passportPage: Page = (root, params, app) => {
  const code = params.code as string;
  document.title = "Milk passport · coldtrail";
  const body = h("div", { class: "passport" }, loading("the passport"));
  root.append(body);
  let disposed = false;
  let chart: ChartHandle | null = null;
  /** Automatic retries after a network error, a busy or a failing server; reset by a success. */
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let tick: ReturnType<typeof setInterval> | undefined;
  const stopRetry = () => {
    clearTimeout(retryTimer);
    clearInterval(tick);
  };

  /** What went wrong, in words (never the server's own message), and what happens next. */
  function showProblem(r: { status: number; retryAfterS?: number }) {
    stopRetry();
    if (r.status === 404 || r.status === 400) {
      body.replaceChildren(
        h(
          "div",
          { class: "notice error", role: "alert" },
          h("h1", null, "No batch with this code"),
          h(
            "p",
            null,
            `Nothing is known under "${code}". Check the code printed under the QR label, or ask whoever gave you the milk.`,
          ),
        ),
        codeEntry((c) => app.navigate(`/p/${encodeURIComponent(c)}`), { initial: code }),
      );
      return;
    }
    const automatic = r.status === 0 || r.status === 429 || r.status >= 500;
    const waitS = r.status === 429 && r.retryAfterS ? r.retryAfterS : retryDelayS(attempt);
    const what =
      r.status === 0
        ? "This phone cannot reach coldtrail just now. Check the Wi-Fi or mobile data."
        : r.status === 429
          ? "Many passports were looked up from this network just now."
          : r.status >= 500
            ? "coldtrail is not answering properly just now."
            : "This passport could not be shown.";
    const countdown = h("span", { class: "retry-countdown" });
    const retryNow = () => {
      stopRetry();
      body.replaceChildren(loading("the passport"));
      void load();
    };
    body.replaceChildren(
      h(
        "div",
        { class: "notice error passport-problem", role: "alert" },
        h("h1", null, "The passport did not load"),
        h("p", null, what),
        automatic
          ? h("p", null, countdown)
          : h("p", null, "Try again in a minute, or ask whoever gave you the milk."),
        h("button", { type: "button", onclick: retryNow }, "Try again now"),
      ),
    );
    if (!automatic) return;
    let left = waitS;
    const say = () => {
      countdown.textContent = `Trying again in ${left} s.`;
    };
    say();
    tick = setInterval(() => {
      left = Math.max(0, left - 1);
      say();
    }, 1000);
    attempt++;
    retryTimer = setTimeout(retryNow, waitS * 1000);
  }

  async function load() {
    const r = await app.api.passport(code, browserTimeZone());
    if (disposed) return;
    if (!r.ok) {
      showProblem(r);
      return;
    }
    attempt = 0;
    const p = r.value;
    const nowMs = Date.now();
    const chartBox = h("div", { class: "chart" });
    fill(
      body,
      h("p", { class: "crumbs" }, "Milk passport ", h("span", { class: "code" }, p.code)),
      summaryBlock(p),
      verdictPanel(p.verdict, p.asOf),
      p.review
        ? h(
            "p",
            { class: "notice review-note" },
            `Milk-bank staff: ${decisionWords(p.review.decision)}: ${p.review.comment} (${formatLocal(p.review.at)})`,
          )
        : null,
      h("section", null, h("h2", null, "Why"), reasonList(p.reasons, nowMs, { rule: false })),
      h("section", null, h("h2", null, "How much was monitored"), monitoredMeter(p.stats.monitoredPct)),
      h(
        "section",
        null,
        h("h2", null, "Temperature history"),
        chartBox,
        h(
          "p",
          { class: "hint" },
          "The dashed red line is the safe limit of each place the milk was kept; vertical lines mark moves. Breaks in the line are time without readings.",
        ),
      ),
      h("section", null, h("h2", null, "Where the milk was kept"), journey(p, nowMs)),
      h("section", null, h("h2", null, "Time left"), budgetList(p.budgets, { rule: false })),
      h(
        "section",
        null,
        h("h2", null, "Details"),
        h(
          "p",
          null,
          h("span", { class: "expressed-on" }, `Expressed on ${formatDay(p.expressedOn)}`),
          p.volumeMl ? ` · ${p.volumeMl} ml` : "",
          ` · milk now ${p.state}${p.everThawed ? " (has thawed)" : ""}`,
        ),
        statsList(p.stats, { technical: false }),
      ),
      h("p", { class: "privacy hint" }, "This page shows no donor identity. Times are in your time zone."),
    );
    const milkFrozen = (p.state === "frozen" || p.state === "thawing") && !p.everThawed;
    const cols = chartColumns({
      points: p.readings,
      limits: custodyLimits(p.custody, p.profiles, milkFrozen, nowMs),
      gapMs: gapThresholdMs(p.readings, parseEveryMs(p.readingsEvery)),
    });
    const marks = p.custody
      .filter((c) => c.kind !== "out-of-custody")
      .map((c) => ({ tsSec: Date.parse(c.from) / 1000, label: kindWords(c.kind) }));
    chart?.destroy();
    chart = mountChart(chartBox, cols, { title: "Temperature history of this batch", marks });
  }

  void load();
  return () => {
    disposed = true;
    stopRetry();
    chart?.destroy();
  };
};
