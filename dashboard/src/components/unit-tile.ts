/// <reference lib="dom" />
/**
 * A unit as a tile on the units overview: its temperature against its limit (in words, with a
 * symbol, not by colour alone), the age of the last reading, whether its probes are online, and
 * open and acknowledged alerts as separate numbers. Also the filter and grouping controls.
 */
import type { Unit } from "../api/types.js";
import { formatAge, formatLocal, isStale } from "../format/time.js";
import { type Grouping, tempCheck, type UnitFilter } from "../format/unit-tiles.js";
import { formatTemp, kindWords } from "../format/verdict.js";
import { h } from "./element.js";

const SITE_WORDS: Record<Unit["site"], string> = { household: "at home", "milk-bank": "at the milk bank" };

export function tempLine(u: Unit): HTMLElement {
  const last = u.lastReading;
  return h(
    "p",
    { class: "temp", "data-temp": last ? String(last.temp_c) : "" },
    last ? formatTemp(last.temp_c) : "No reading yet",
  );
}

export function ageLine(u: Unit, nowMs: number): HTMLElement {
  const last = u.lastReading;
  if (!last)
    return h(
      "p",
      { class: "age stale" },
      h("strong", null, "No readings"),
      u.probes.length ? "" : " · no probe attached",
    );
  const stale = isStale(last.ageS);
  const readAtMs = nowMs - last.ageS * 1000;
  return h(
    "p",
    { class: stale ? "age stale" : "age" },
    stale ? h("strong", null, h("span", { "aria-hidden": "true" }, "⚠ "), "Stale: ") : null,
    `last reading ${formatAge(readAtMs, nowMs)}`,
    h("span", { class: "hint" }, ` (${formatLocal(last.ts)})`),
  );
}

function limitLine(u: Unit): HTMLElement {
  const c = tempCheck(u);
  const bad = c.kind === "too-warm" || c.kind === "too-cold";
  return h(
    "p",
    { class: `limit-check limit-${c.kind}`, "data-check": c.kind },
    h("span", { "aria-hidden": "true" }, bad ? "⚠ " : c.kind === "ok" ? "✓ " : "? "),
    bad ? h("strong", null, c.words) : c.words,
  );
}

function probeLine(u: Unit): HTMLElement {
  const total = u.probes.length;
  const online = u.probesOnline.length;
  if (total === 0) return h("p", { class: "probe-state probe-none" }, "No probe attached");
  if (online === total)
    return h(
      "p",
      { class: "probe-state probe-online", "data-online": String(online) },
      total === 1 ? "Probe online" : `All ${total} probes online`,
    );
  return h(
    "p",
    { class: "probe-state probe-offline", "data-online": String(online) },
    h("span", { "aria-hidden": "true" }, "⚠ "),
    h("strong", null, total === 1 ? "Probe offline" : `${total - online} of ${total} probes offline`),
  );
}

function alertLine(u: Unit): HTMLElement {
  const { open, acknowledged } = u.alertCounts;
  const plural = (n: number) => (n === 1 ? "" : "s");
  return h(
    "p",
    { class: open > 0 ? "alert-counts has-alerts" : "alert-counts" },
    open > 0
      ? h(
          "a",
          { href: "/alerts", class: "count-open", "data-count": String(open) },
          h("span", { "aria-hidden": "true" }, "⚠ "),
          `${open} open alert${plural(open)}`,
        )
      : h("span", { class: "count-open", "data-count": "0" }, "No open alerts"),
    acknowledged > 0
      ? h(
          "span",
          { class: "count-acked", "data-count": String(acknowledged) },
          ` · ${acknowledged} acknowledged`,
        )
      : h("span", { class: "count-acked", "data-count": "0" }, " · none acknowledged"),
  );
}

export function unitTile(u: Unit, nowMs: number, grouping: Grouping): HTMLElement {
  const check = tempCheck(u).kind;
  const stale = u.lastReading ? isStale(u.lastReading.ageS) : true;
  const out = check === "too-warm" || check === "too-cold";
  // The group heading already names one of owner and site; the tile names the other.
  const who = grouping === "site" ? u.ownerName : u.ownerSite?.name;
  return h(
    "article",
    {
      class: `card unit-card${stale ? " is-stale" : ""}${u.alertCounts.open > 0 ? " has-alerts" : ""}${out ? " is-out" : ""}`,
      "data-unit-id": u.id,
    },
    h("h3", null, h("a", { href: `/units/${encodeURIComponent(u.id)}` }, u.name)),
    h("p", { class: "meta" }, [kindWords(u.kind), SITE_WORDS[u.site], who].filter(Boolean).join(" · ")),
    tempLine(u),
    limitLine(u),
    ageLine(u, nowMs),
    probeLine(u),
    alertLine(u),
  );
}

/** Text, kind and "only problems" filters and the grouping switch; `onChange` on every change. */
export function unitFilterForm(onChange: () => void): {
  form: HTMLFormElement;
  value(): UnitFilter & { grouping: Grouping };
  setGroupingShown(shown: boolean): void;
} {
  const text = h("input", { type: "search", id: "unit-filter-text", autocomplete: "off" });
  const kind = h(
    "select",
    { id: "unit-filter-kind" },
    h("option", { value: "" }, "Any type"),
    h("option", { value: "freezer" }, "Freezers"),
    h("option", { value: "fridge" }, "Fridges"),
    h("option", { value: "cool-bag" }, "Cool bags"),
  );
  const problems = h("input", { type: "checkbox", id: "unit-filter-problems" });
  const bySite = h("input", {
    type: "radio",
    name: "unit-grouping",
    id: "group-site",
    value: "site",
    checked: true,
  });
  const byDonor = h("input", { type: "radio", name: "unit-grouping", id: "group-donor", value: "donor" });
  const grouping = h(
    "fieldset",
    { class: "grouping" },
    h("legend", null, "Group by"),
    h("label", { class: "choice", for: "group-site" }, bySite, "Site"),
    h("label", { class: "choice", for: "group-donor" }, byDonor, "Donor"),
  );
  const form = h(
    "form",
    { class: "unit-filter", role: "search", "aria-label": "Filter units" },
    h("div", { class: "field" }, h("label", { for: "unit-filter-text" }, "Search units"), text),
    h("div", { class: "field" }, h("label", { for: "unit-filter-kind" }, "Type"), kind),
    h("label", { class: "choice", for: "unit-filter-problems" }, problems, "Only problems"),
    grouping,
  );
  form.addEventListener("submit", (ev) => ev.preventDefault());
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);
  return {
    form,
    value: () => ({
      text: text.value,
      kind: kind.value as UnitFilter["kind"],
      onlyProblems: problems.checked,
      grouping: byDonor.checked ? "donor" : "site",
    }),
    setGroupingShown(shown) {
      grouping.hidden = !shown;
    },
  };
}
