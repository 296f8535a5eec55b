/// <reference lib="dom" />
/**
 * Record a move (`/batches/{id}/move`), phone first: which bag this is and where it is now, then
 * where it is going and when (`components/move-form.ts`). The answer is said in plain words
 * ("Moved to Bea's cool bag at 14:05.") with the way on: the batch's custody, another scan.
 * Reached from a batch on the unit page, the batch page, or a scanned label (`/scan`).
 */
import type { BatchDetail } from "../api/types.js";
import { fill, h } from "../components/element.js";
import { currentPlace, type Moved, moveForm } from "../components/move-form.js";
import { errorNotice, loading } from "../components/notice.js";
import { verdictChip } from "../components/verdict-details.js";
import { moveConfirmation } from "../format/move.js";
import { groupCode } from "../format/passport-code.js";
import { browserTimeZone, formatDay, formatLocal } from "../format/time.js";
import type { Page } from "../router.js";

/** "Bag 7K2M-01AB-CDEF-G · 120 ml · expressed 3 May 2026" and where it is now. */
function whichBag(b: BatchDetail): HTMLElement {
  const here = currentPlace(b);
  const last = b.custody.at(-1);
  return h(
    "div",
    { class: "move-bag", "data-batch-id": b.id },
    h(
      "p",
      null,
      h("span", { class: "code" }, groupCode(b.code)),
      " ",
      verdictChip(b.verdict),
      h("br"),
      h(
        "span",
        { class: "hint" },
        `${b.volumeMl ? `${b.volumeMl} ml, ` : ""}expressed ${formatDay(b.expressedAt)}, ${b.state}`,
      ),
    ),
    h(
      "p",
      { class: "move-now" },
      here
        ? [`Now in `, h("strong", null, here.unitName ?? "a unit"), ` since ${formatLocal(here.from)}.`]
        : last?.to
          ? `Out of monitored custody since ${formatLocal(last.to)}.`
          : "Not in any unit.",
    ),
  );
}

function done(m: Moved): HTMLElement {
  const heading = h(
    "h2",
    { tabindex: -1, class: "move-done-words" },
    "✓ ",
    moveConfirmation(m.to, m.atMs, Date.now()),
  );
  const box = h(
    "div",
    { class: "move-done", role: "status" },
    heading,
    h(
      "p",
      null,
      m.to.unitId === null
        ? "Monitoring of this batch has ended; its passport keeps the verdict as of then."
        : "Its temperature is now read from there.",
    ),
    h(
      "ul",
      { class: "move-next" },
      h(
        "li",
        null,
        h("a", { href: `/batches/${encodeURIComponent(m.batch.id)}` }, "See the batch's custody"),
      ),
      m.to.unitId !== null
        ? h(
            "li",
            null,
            h("a", { href: `/units/${encodeURIComponent(m.to.unitId)}` }, `Go to ${m.to.unitName}`),
          )
        : null,
      h("li", null, h("a", { href: "/scan" }, "Scan another bag")),
    ),
  );
  queueMicrotask(() => heading.focus());
  return box;
}

export const batchMovePage: Page = (root, params, app) => {
  const id = params.id as string;
  document.title = "Record a move · coldtrail";
  const body = h("div", null, loading("the batch"));
  root.append(
    h("p", { class: "crumbs" }, h("a", { href: `/batches/${encodeURIComponent(id)}` }, "← The batch")),
    h("h1", null, "Record a move"),
    body,
  );
  let disposed = false;

  async function load() {
    const [b, u] = await Promise.all([app.api.batch(id, browserTimeZone()), app.api.units()]);
    if (disposed) return;
    if (!b.ok) return fill(body, errorNotice("the batch", b));
    if (!u.ok) return fill(body, errorNotice("your units", u));
    document.title = `Move ${b.value.code} · coldtrail`;
    const bag = whichBag(b.value);
    fill(
      body,
      bag,
      moveForm(app.api, b.value, u.value.units, (m) => {
        bag.replaceWith(whichBag(m.batch));
        (body.querySelector(".move-form") as HTMLElement).replaceWith(done(m));
      }),
    );
  }

  void load();
  return () => {
    disposed = true;
  };
};
