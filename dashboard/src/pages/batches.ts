/// <reference lib="dom" />
/**
 * Batch list (`/batches`): staff find a batch by its code (typed as loosely as on the passport
 * code box), or narrow the list by verdict, state and site; a donor sees her own ("My batches").
 * Each row links to the batch page. A page at a time, with "Show more".
 */
import type { BatchSummary, Me } from "../api/types.js";
import { h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import { verdictChip } from "../components/verdict-details.js";
import { groupCode, normaliseCodePrefix } from "../format/passport-code.js";
import { formatDay } from "../format/time.js";
import type { Page } from "../router.js";

/** Rows per request; "Show more" asks for the next page. */
const PAGE_SIZE = 50;
/** Typing pauses this long before the list is asked again. */
const TYPING_PAUSE_MS = 300;

const STATE_WORDS: Record<BatchSummary["state"], string> = {
  fresh: "Fresh",
  frozen: "Frozen",
  thawing: "Thawing",
  thawed: "Thawed",
};

function select(id: string, options: [string, string][]): HTMLSelectElement {
  return h(
    "select",
    { id },
    options.map(([v, words]) => h("option", { value: v }, words)),
  );
}

function batchRow(b: BatchSummary): HTMLElement {
  return h(
    "li",
    { class: "batch-list-row", "data-batch-id": b.id, "data-code": b.code },
    h(
      "p",
      { class: "code-line" },
      h("a", { class: "code", href: `/batches/${encodeURIComponent(b.id)}` }, groupCode(b.code)),
      " ",
      verdictChip(b.verdict),
    ),
    h(
      "p",
      { class: "facts" },
      [
        STATE_WORDS[b.state] ?? b.state,
        b.unitName ?? (b.unitId ? "In a unit" : "Not in a monitored unit"),
        `expressed ${formatDay(b.expressedAt)}`,
      ].join(" · "),
    ),
  );
}

export const batchesPage: Page = (root, _params, app) => {
  const heading = h("h1", null, "Batches");
  document.title = "Batches · coldtrail";
  const params = new URLSearchParams(location.search);
  const code = h("input", {
    type: "search",
    id: "batch-code",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    "aria-describedby": "batch-code-hint",
    value: params.get("code") ?? "",
  });
  const verdict = select("batch-verdict", [
    ["", "Any verdict"],
    ["safe", "Safe to use"],
    ["check", "Check before use"],
    ["do-not-use", "Do not use"],
  ]);
  const state = select("batch-state", [
    ["", "Any state"],
    ["fresh", "Fresh"],
    ["frozen", "Frozen"],
    ["thawing", "Thawing"],
    ["thawed", "Thawed"],
  ]);
  const site = select("batch-site", [["", "Every site"]]);
  verdict.value = params.get("verdict") ?? "";
  state.value = params.get("state") ?? "";
  const siteField = h(
    "div",
    { class: "field", hidden: true },
    h("label", { for: "batch-site" }, "Site"),
    site,
  );
  const codeProblem = h("p", { class: "form-error", id: "batch-code-problem", role: "alert" });
  const form = h(
    "form",
    { class: "batch-filter", role: "search", "aria-label": "Find batches" },
    h(
      "div",
      { class: "field code-field" },
      h("label", { for: "batch-code" }, "Code"),
      code,
      h("span", { class: "hint", id: "batch-code-hint" }, "The start is enough; dashes and spaces are fine."),
    ),
    h("div", { class: "field" }, h("label", { for: "batch-verdict" }, "Verdict"), verdict),
    h("div", { class: "field" }, h("label", { for: "batch-state" }, "State"), state),
    siteField,
  );
  const summary = h("p", { class: "updated", role: "status" });
  const list = h("ul", { class: "batch-list", "aria-label": "Batches" });
  const more = h("button", { type: "button", class: "show-more", hidden: true }, "Show more");
  const body = h("div", null, loading("batches"));
  root.append(heading, form, codeProblem, summary, body);

  let disposed = false;
  /** Answers to an older filter are dropped when a newer one was asked since. */
  let asked = 0;
  let next: string | null = null;
  let shown = 0;

  function filters() {
    const typed = normaliseCodePrefix(code.value);
    return {
      typed,
      q: {
        codePrefix: typed.ok ? typed.code : undefined,
        verdict: verdict.value || undefined,
        state: state.value || undefined,
        siteId: site.value || undefined,
      },
    };
  }

  async function load(append: boolean) {
    const { typed, q } = filters();
    codeProblem.textContent = typed.ok ? "" : typed.reason;
    if (!typed.ok) return;
    if (!append) {
      const keep = new URLSearchParams();
      if (code.value.trim()) keep.set("code", code.value.trim());
      if (q.verdict) keep.set("verdict", q.verdict);
      if (q.state) keep.set("state", q.state);
      if (q.siteId) keep.set("site", q.siteId);
      const search = keep.toString();
      history.replaceState(null, "", `/batches${search ? `?${search}` : ""}`);
    }
    const mine = ++asked;
    more.disabled = true;
    const r = await app.api.batches({
      ...q,
      limit: PAGE_SIZE,
      ...(append && next ? { after: next } : {}),
    });
    if (disposed || mine !== asked) return;
    more.disabled = false;
    if (!r.ok) {
      body.replaceChildren(errorNotice("the batches", r), append ? list : "");
      if (append) body.append(more);
      return;
    }
    if (!append) {
      list.replaceChildren();
      shown = 0;
    }
    list.append(...r.value.batches.map(batchRow));
    shown += r.value.batches.length;
    next = r.value.next;
    more.hidden = next === null;
    const filtered = Boolean(q.codePrefix || q.verdict || q.state || q.siteId);
    if (shown === 0) {
      body.replaceChildren(
        h(
          "p",
          { class: "notice" },
          filtered
            ? "No batches match. Check the code, or choose another verdict, state or site."
            : "No batches yet. Batches are added on a unit's page.",
        ),
      );
      summary.textContent = "";
      return;
    }
    summary.textContent = `${shown} batch${shown === 1 ? "" : "es"} shown${next ? "; more below" : ""}.`;
    body.replaceChildren(list, more);
  }

  let typing: ReturnType<typeof setTimeout> | undefined;
  code.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => void load(false), TYPING_PAUSE_MS);
  });
  for (const s of [verdict, state, site]) s.addEventListener("change", () => void load(false));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearTimeout(typing);
    void load(false);
  });
  more.addEventListener("click", () => void load(true));

  /** Donors read "My batches"; staff with more than one site to choose from get the site filter. */
  async function adapt(me: Me | null) {
    if (me?.account.role === "donor") {
      heading.textContent = "My batches";
      document.title = "My batches · coldtrail";
      return;
    }
    const sites = await app.api.sites();
    if (disposed || !sites.ok || sites.value.sites.length < 2) return;
    site.append(...sites.value.sites.map((s) => h("option", { value: s.id }, s.name)));
    site.value = params.get("site") ?? "";
    siteField.hidden = false;
    if (site.value) void load(false);
  }

  void app.api.me().then((r) => adapt(r.ok ? r.value : null));
  void load(false);
  return () => {
    disposed = true;
    clearTimeout(typing);
  };
};
