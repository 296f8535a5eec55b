/// <reference lib="dom" />
/**
 * One unit (`/units/{id}`): how often its probes report (declared or learned), the last 24 h in
 * 5-minute buckets with the safe limit, and the batches in it with their verdicts. Refreshes every
 * 30 s (a bucket is 5 min wide).
 */
import type { ApiClient } from "../api/client.js";
import type { BatchSummary } from "../api/types.js";
import { batchForm } from "../components/batch-form.js";
import { type ChartHandle, mountChart } from "../components/chart.js";
import { chartColumns, type LimitSpan, parseEveryMs, safeRange } from "../components/chart-data.js";
import { h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import { credentialsPanel, type Device, probeForm } from "../components/probe-setup.js";
import { verdictChip } from "../components/verdict-details.js";
import { formatLocal } from "../format/time.js";
import { formatTemp } from "../format/verdict.js";
import type { Page } from "../router.js";
import { unitFacts } from "./units.js";

const REFRESH_MS = 30_000;
const WINDOW_MS = 24 * 3_600_000;
const EVERY = "5m";
const EVERY_MS = 5 * 60_000;

/**
 * The unit's resolved safe range. The API lists profile numbers with a batch's verdict, not with
 * a unit, so it comes from a batch in the unit; without one the chart has no limit line.
 */
async function unitLimit(
  api: ApiClient,
  unitId: string,
  batches: readonly BatchSummary[],
): Promise<{ minC: number | null; maxC: number; label: string } | null> {
  const first = batches[0];
  if (!first) return null;
  const r = await api.batch(first.id);
  if (!r.ok) return null;
  const use = [...r.value.profiles].reverse().find((p) => p.unitId === unitId);
  if (!use) return null;
  return {
    ...safeRange(use.profile, r.value.state === "frozen" || r.value.state === "thawing"),
    label: use.profile.label,
  };
}

/**
 * "Probe p_1 reports every 5 min (learned from its readings)", one line per attached probe, each
 * with a "New secret" button whose answer `onSecret` shows.
 */
async function probeIntervals(
  api: ApiClient,
  probeIds: readonly string[],
  onSecret: (panel: HTMLElement) => void,
): Promise<HTMLElement[]> {
  const rows = await Promise.all(probeIds.map((id) => api.probe(id)));
  return rows.map((r, i) => {
    if (!r.ok) return h("p", { class: "probe-interval hint" }, `Probe ${probeIds[i]}: ${r.message}`);
    const s = r.value.intervalS;
    const every = s % 60 === 0 ? `${s / 60} min` : `${s} s`;
    return h(
      "div",
      { class: "probe-row" },
      h(
        "p",
        { class: "probe-interval", "data-probe-id": r.value.id },
        `Probe ${r.value.name ?? r.value.id} reports every ${every} `,
        h(
          "span",
          { class: "hint" },
          r.value.intervalLearned ? "(learned from its readings)" : "(as declared when it was registered)",
        ),
      ),
      newSecretButton(api, r.value.id, r.value.bleMac ? "ble" : "esp32", onSecret),
    );
  });
}

function newSecretButton(
  api: ApiClient,
  probeId: string,
  device: Device,
  onSecret: (panel: HTMLElement) => void,
): HTMLElement {
  const button = h(
    "button",
    {
      type: "button",
      class: "secondary small new-secret",
      onclick: async () => {
        if (!confirm(`Give probe ${probeId} a new secret? Its old one stops working at once.`)) return;
        button.disabled = true;
        const r = await api.newProbeSecret(probeId);
        button.disabled = false;
        onSecret(
          r.ok
            ? credentialsPanel(r.value, device)
            : h("p", { class: "notice error", role: "alert" }, `No new secret for ${probeId}: ${r.message}`),
        );
      },
    },
    "New secret",
  );
  return button;
}

/** Said where a unit has no probe: what to do about it. */
const noProbeHelp = (): HTMLElement =>
  h(
    "p",
    { class: "notice no-probe" },
    h("strong", null, "No probe is attached, so nothing watches this unit yet. "),
    "Add one under “Add a probe” below: an ESP32 with a DS18B20 sensor, a BLE thermometer, or the simulator to try things out.",
  );

function batchRow(b: BatchSummary): HTMLElement {
  return h(
    "li",
    { class: "batch-row", "data-batch-id": b.id },
    h("a", { href: `/batches/${encodeURIComponent(b.id)}` }, h("span", { class: "code" }, b.code)),
    " ",
    verdictChip(b.verdict),
    h(
      "span",
      { class: "hint" },
      ` expressed ${formatLocal(b.expressedAt)}${b.volumeMl ? `, ${b.volumeMl} ml` : ""}, ${b.state} `,
    ),
    h("a", { class: "label-link", href: `/batches/${encodeURIComponent(b.id)}/label` }, "Label"),
    " ",
    h("a", { class: "move-link", href: `/batches/${encodeURIComponent(b.id)}/move` }, "Move"),
  );
}

export const unitPage: Page = (root, params, app) => {
  const id = params.id as string;
  document.title = "Unit · coldtrail";
  const head = h("div", { class: "unit-head" }, loading("the unit"));
  const chartBox = h("div", { class: "chart" });
  const limitNote = h("p", { class: "hint" });
  const batchBox = h("div", null, loading("batches"));
  const setupBox = h("div", { class: "probe-setup", "aria-live": "polite" });
  const showPanel = (panel: HTMLElement) => {
    setupBox.replaceChildren(panel);
    panel.scrollIntoView({ block: "start" });
  };
  root.append(
    h("p", { class: "crumbs" }, h("a", { href: "/" }, "← All units")),
    head,
    h(
      "section",
      { "aria-labelledby": "chart-title" },
      h("h2", { id: "chart-title" }, "Last 24 hours"),
      chartBox,
      limitNote,
    ),
    h(
      "section",
      { "aria-labelledby": "batches-title" },
      h("h2", { id: "batches-title" }, "Batches in this unit"),
      batchBox,
    ),
    batchForm(app.api, id, () => void load()),
    h(
      "section",
      { class: "probes" },
      probeForm(app.api, id, (panel) => {
        showPanel(panel);
        void load();
      }),
      setupBox,
    ),
  );
  let disposed = false;
  let chart: ChartHandle | null = null;
  let limit: Awaited<ReturnType<typeof unitLimit>> = null;
  let limitLoaded = false;

  async function load() {
    const nowMs = Date.now();
    const [u, rd, bs] = await Promise.all([
      app.api.unit(id),
      app.api.unitReadings(id, {
        from: new Date(nowMs - WINDOW_MS).toISOString(),
        to: new Date(nowMs).toISOString(),
        every: EVERY,
      }),
      app.api.batches({ unitId: id }),
    ]);
    if (disposed) return;
    if (!u.ok) {
      head.replaceChildren(errorNotice("the unit", u));
      return;
    }
    document.title = `${u.value.name} · coldtrail`;
    const intervals = await probeIntervals(app.api, u.value.probes, showPanel);
    if (disposed) return;
    head.replaceChildren(
      h("h1", null, u.value.name),
      ...unitFacts(u.value, nowMs),
      ...(intervals.length ? intervals : [noProbeHelp()]),
    );

    const batches = bs.ok ? bs.value.batches : [];
    if (!limitLoaded && bs.ok) {
      limit = await unitLimit(app.api, id, batches);
      limitLoaded = true;
      if (disposed) return;
    }
    if (!rd.ok) chartBox.replaceChildren(errorNotice("the readings", rd));
    else {
      const spans: LimitSpan[] = limit
        ? [
            {
              fromMs: nowMs - WINDOW_MS - EVERY_MS,
              toMs: nowMs + EVERY_MS,
              minC: limit.minC,
              maxC: limit.maxC,
            },
          ]
        : [];
      const cols = chartColumns({
        points: rd.value.readings,
        limits: spans,
        gapMs: 2 * (parseEveryMs(rd.value.every) ?? EVERY_MS),
      });
      if (chart) chart.update(cols);
      else chart = mountChart(chartBox, cols, { title: `Temperature of ${u.value.name}, last 24 hours` });
    }
    limitNote.textContent = limit
      ? `Dashed red line: safe limit of the ${limit.label} profile (${limit.minC !== null ? `${formatTemp(limit.minC, 0)} to ` : "at most "}${formatTemp(limit.maxC, 0)}). 5-minute averages; the shaded band is each bucket's lowest to highest reading. Breaks in the line are time without readings.`
      : `Profile ${u.value.profile}. 5-minute averages; the shaded band is each bucket's lowest to highest reading. Breaks in the line are time without readings.`;

    if (!bs.ok) batchBox.replaceChildren(errorNotice("the batches", bs));
    else
      batchBox.replaceChildren(
        ...(batches.length
          ? [
              h("ul", { class: "batch-list" }, batches.map(batchRow)),
              h(
                "p",
                null,
                h(
                  "a",
                  {
                    class: "sheet-link",
                    href: `/labels?ids=${batches.map((b) => encodeURIComponent(b.id)).join(",")}`,
                  },
                  "Print labels for these batches",
                ),
              ),
            ]
          : [h("p", null, "No batches are in this unit now.")]),
      );
  }

  void load();
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    disposed = true;
    clearInterval(timer);
    chart?.destroy();
  };
};
