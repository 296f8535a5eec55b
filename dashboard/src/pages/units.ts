/// <reference lib="dom" />
/**
 * Units overview (`/`): every unit as a tile that compares its temperature with its limit,
 * grouped by site or by donor, filterable, refreshed every 5 s.
 */
import type { Unit } from "../api/types.js";
import { h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import { unitForm } from "../components/unit-form.js";
import { ageLine, tempLine, unitFilterForm, unitTile } from "../components/unit-tile.js";
import { formatLocal, STALE_AFTER_S } from "../format/time.js";
import { filterUnits, groupUnits } from "../format/unit-tiles.js";
import { kindWords } from "../format/verdict.js";
import type { Page } from "../router.js";

const REFRESH_MS = 5000;

export function unitFacts(u: Unit, nowMs: number): HTMLElement[] {
  return [
    h("p", { class: "meta" }, [kindWords(u.kind), u.profile, u.site].filter(Boolean).join(" · ")),
    tempLine(u),
    ageLine(u, nowMs),
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

export const unitsPage: Page = (root, _params, app) => {
  document.title = "Units · coldtrail";
  const status = h("p", { class: "updated", role: "status" });
  const list = h("div", { class: "unit-groups" }, loading("units"));
  const problem = h("div");
  const controls = unitFilterForm(() => draw());
  const filterSlot = h("div");
  root.append(
    h("h1", null, "Units"),
    filterSlot,
    status,
    problem,
    list,
    unitForm(app.api, (unitId) => app.navigate(`/units/${encodeURIComponent(unitId)}`)),
  );
  let disposed = false;
  let units: Unit[] | null = null;
  let loadedAt = Date.now();

  function draw() {
    if (!units) return;
    if (units.length === 0) {
      // No filter over nothing: the form appears with the first unit.
      filterSlot.replaceChildren();
      list.replaceChildren(
        h(
          "p",
          { class: "notice" },
          "No units yet. Add the freezer, fridge or cool bag the milk is kept in below.",
        ),
      );
      return;
    }
    if (!controls.form.isConnected) filterSlot.replaceChildren(controls.form);
    // Grouping by donor says nothing when every unit is one person's (a donor's own view).
    const owners = new Set(units.map((u) => u.ownerId));
    controls.setGroupingShown(owners.size > 1);
    const f = controls.value();
    const shown = filterUnits(units, f, STALE_AFTER_S);
    if (shown.length === 0) {
      list.replaceChildren(
        h(
          "p",
          { class: "notice" },
          `No units match the filter (${units.length} in all). Clear it to see them.`,
        ),
      );
      return;
    }
    const groups = groupUnits(shown, owners.size > 1 ? f.grouping : "site", STALE_AFTER_S);
    list.replaceChildren(
      ...groups.map((g) =>
        h(
          "section",
          { class: "unit-group", "aria-label": g.title, "data-group": g.title },
          h(
            "h2",
            null,
            g.title,
            h("span", { class: "hint" }, ` · ${g.units.length} unit${g.units.length === 1 ? "" : "s"}`),
          ),
          h(
            "div",
            { class: "cards" },
            g.units.map((u) => unitTile(u, loadedAt, f.grouping)),
          ),
        ),
      ),
    );
  }

  async function load() {
    const r = await app.api.units();
    if (disposed) return;
    if (!r.ok) {
      // Keep what was shown, with the error above it, so a blip does not blank the wall.
      if (units) problem.replaceChildren(errorNotice("the units", r));
      else list.replaceChildren(errorNotice("the units", r));
      return;
    }
    problem.replaceChildren();
    units = r.value.units;
    loadedAt = Date.now();
    draw();
    status.textContent = `Updated ${formatLocal(loadedAt)}; refreshes every ${REFRESH_MS / 1000} s.`;
  }

  void load();
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    disposed = true;
    clearInterval(timer);
  };
};
