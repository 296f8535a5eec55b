/// <reference lib="dom" />
/** Units overview (`/`): every unit at a glance, refreshed every 5 s. */
import type { Unit } from "../api/types.js";
import { h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import { unitForm } from "../components/unit-form.js";
import { formatAge, formatLocal, isStale } from "../format/time.js";
import { formatTemp, kindWords } from "../format/verdict.js";
import type { Page } from "../router.js";

const REFRESH_MS = 5000;

export function unitFacts(u: Unit, nowMs: number): HTMLElement[] {
  const last = u.lastReading;
  const stale = last ? isStale(last.ageS) : true;
  const readAtMs = last ? nowMs - last.ageS * 1000 : null;
  return [
    h("p", { class: "meta" }, [kindWords(u.kind), u.profile, u.site].filter(Boolean).join(" · ")),
    h(
      "p",
      { class: "temp", "data-temp": last ? String(last.temp_c) : "" },
      last ? formatTemp(last.temp_c) : "No reading yet",
    ),
    last && readAtMs !== null
      ? h(
          "p",
          { class: stale ? "age stale" : "age" },
          stale ? h("strong", null, h("span", { "aria-hidden": "true" }, "⚠ "), "Stale: ") : null,
          `last reading ${formatAge(readAtMs, nowMs)}`,
          h("span", { class: "hint" }, ` (${formatLocal(last.ts)})`),
        )
      : h(
          "p",
          { class: "age stale" },
          h("strong", null, "No readings"),
          u.probes.length ? "" : " · no probe attached",
        ),
    h(
      "p",
      { class: u.openAlerts > 0 ? "alerts-count has-alerts" : "alerts-count" },
      u.openAlerts > 0
        ? h(
            "a",
            { href: "/alerts" },
            h("span", { "aria-hidden": "true" }, "⚠ "),
            `${u.openAlerts} open alert${u.openAlerts === 1 ? "" : "s"}`,
          )
        : "No open alerts",
    ),
  ];
}

function unitCard(u: Unit, nowMs: number): HTMLElement {
  const stale = u.lastReading ? isStale(u.lastReading.ageS) : true;
  return h(
    "article",
    {
      class: `card unit-card${stale ? " is-stale" : ""}${u.openAlerts > 0 ? " has-alerts" : ""}`,
      "data-unit-id": u.id,
    },
    h("h2", null, h("a", { href: `/units/${encodeURIComponent(u.id)}` }, u.name)),
    unitFacts(u, nowMs),
  );
}

export const unitsPage: Page = (root, _params, app) => {
  document.title = "Units · coldtrail";
  const status = h("p", { class: "updated" });
  const list = h("div", { class: "cards" }, loading("units"));
  root.append(
    h("h1", null, "Units"),
    status,
    list,
    unitForm(app.api, (unitId) => app.navigate(`/units/${encodeURIComponent(unitId)}`)),
  );
  let disposed = false;

  async function load() {
    const r = await app.api.units();
    if (disposed) return;
    if (!r.ok) {
      list.replaceChildren(errorNotice("the units", r));
      return;
    }
    const now = Date.now();
    const units = [...r.value.units].sort(
      (a, b) => b.openAlerts - a.openAlerts || a.name.localeCompare(b.name),
    );
    list.replaceChildren(
      ...(units.length
        ? units.map((u) => unitCard(u, now))
        : [
            h(
              "p",
              { class: "notice" },
              "No units yet. Add the freezer, fridge or cool bag the milk is kept in below.",
            ),
          ]),
    );
    status.textContent = `Updated ${formatLocal(now)}; refreshes every ${REFRESH_MS / 1000} s.`;
  }

  void load();
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    disposed = true;
    clearInterval(timer);
  };
};
