/// <reference lib="dom" />
/**
 * Labels to print: one batch's (`/batches/{id}/label`) or a sheet of several (`/labels?ids=a,b`),
 * each with the passport's QR code, its code in large type and the expression day. The page
 * prints labels only (styles.css, `@media print`): 50 x 30 mm, several to an A4 page.
 */
import type { ApiClient } from "../api/client.js";
import { bagLabel } from "../components/bag-label.js";
import { h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import type { Page } from "../router.js";

/** At most this many labels on one sheet page: 24 fit an A4 page, 96 are four pages. */
const MAX_LABELS = 96;

async function drawSheet(
  root: HTMLElement,
  api: ApiClient,
  ids: readonly string[],
  title: string,
): Promise<void> {
  const sheet = h("div", { class: "label-sheet" }, loading("the labels"));
  const printButton = h("button", { type: "button", onclick: () => window.print() }, "Print");
  root.append(
    h(
      "div",
      { class: "no-print" },
      h("h1", null, title),
      h(
        "p",
        { class: "hint" },
        "Printed at 50 × 30 mm, up to 24 to an A4 page. Choose “Actual size” (100 %) in the print dialog so the QR codes stay sharp.",
      ),
      h("p", { class: "actions" }, printButton),
    ),
    sheet,
  );
  if (ids.length === 0) {
    sheet.replaceChildren(
      h("p", { class: "notice" }, "No batches were chosen: open a unit and pick “Print labels”."),
    );
    return;
  }
  const answers = await Promise.all(ids.map((id) => api.batch(id)));
  sheet.replaceChildren(
    ...answers.map((r, i) =>
      r.ok ? bagLabel(r.value, api.passportQrUrl(r.value.code)) : errorNotice(`batch ${ids[i]}`, r),
    ),
  );
}

export const labelPage: Page = (root, params, app) => {
  document.title = "Label · coldtrail";
  const id = params.id as string;
  root.append(
    h(
      "p",
      { class: "crumbs no-print" },
      h("a", { href: `/batches/${encodeURIComponent(id)}` }, "← The batch"),
    ),
  );
  void drawSheet(root, app.api, [id], "Label for the bag");
  return undefined;
};

export const labelSheetPage: Page = (root, _params, app) => {
  document.title = "Labels · coldtrail";
  const ids = (new URLSearchParams(location.search).get("ids") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, MAX_LABELS);
  void drawSheet(root, app.api, [...new Set(ids)], `${ids.length} label${ids.length === 1 ? "" : "s"}`);
  return undefined;
};
