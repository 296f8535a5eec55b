/// <reference lib="dom" />
/**
 * One batch (`/batches/{id}`), for staff: verdict with reasons (rule codes kept, times in the
 * browser's zone), statistics, time limits, the custody chain and how the batch left it, the
 * passport link for the QR label, and the review form (a comment may be shown to the recipient);
 * the temperature chart across the custody chain, the audit trail, and the CSV and PDF exports.
 */
import type { BatchDetail, Review } from "../api/types.js";
import { auditTrail } from "../components/audit-trail.js";
import { batchChart } from "../components/batch-chart.js";
import { batchDownloads } from "../components/batch-downloads.js";
import { fill, h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import {
  budgetList,
  monitoredMeter,
  reasonList,
  statsList,
  verdictPanel,
} from "../components/verdict-details.js";
import { browserTimeZone, formatAge, formatDuration, formatLocal } from "../format/time.js";
import { decisionWords, kindWords } from "../format/verdict.js";
import type { Page } from "../router.js";

const LEFT_HOW_WORDS: Record<NonNullable<BatchDetail["custody"][number]["leftHow"]>, string> = {
  "handed-over": "handed over",
  fed: "fed",
  discarded: "discarded",
  unknown: "left monitoring (how not recorded)",
};

/** "Monitoring ended on 3 May 2026, 14:00 (fed)", or null while the batch is monitored. */
function monitoringEnded(b: BatchDetail): HTMLElement | null {
  if (!b.monitoringEndedAt) return null;
  const how = b.custody.at(-1)?.leftHow;
  return h(
    "p",
    { class: "notice monitoring-ended" },
    `Monitoring ended on ${formatLocal(b.monitoringEndedAt)}${how ? ` (${LEFT_HOW_WORDS[how] ?? how})` : ""}: the verdict is as of then.`,
  );
}

function custodyChain(b: BatchDetail, nowMs: number): HTMLElement {
  return h(
    "ol",
    { class: "custody" },
    b.custody.map((c) =>
      h(
        "li",
        null,
        c.unitId
          ? h("a", { href: `/units/${encodeURIComponent(c.unitId)}` }, c.unitName ?? c.unitId)
          : h("strong", null, "Out of monitored custody"),
        c.unitKind ? ` (${kindWords(c.unitKind)})` : "",
        h("br"),
        h(
          "span",
          { class: "hint" },
          `${formatLocal(c.from)} → ${c.to ? formatLocal(c.to) : "now"} · ${formatDuration((c.to ? Date.parse(c.to) : nowMs) - Date.parse(c.from))}`,
        ),
        c.leftHow ? h("span", { class: "left-how" }, h("br"), `Then: ${LEFT_HOW_WORDS[c.leftHow]}`) : null,
      ),
    ),
  );
}

function reviewItem(r: Review, nowMs: number): HTMLElement {
  return h(
    "li",
    { class: `review decision-${r.decision}` },
    h("strong", null, decisionWords(r.decision)),
    ": ",
    h("span", { class: "review-comment" }, r.comment),
    h("br"),
    h(
      "span",
      { class: "hint" },
      `${r.byName ?? r.by}, ${formatLocal(r.at)} (${formatAge(Date.parse(r.at), nowMs)})`,
      r.showToRecipient ? " · shown on the passport" : " · staff only",
    ),
  );
}

function qrLabel(b: BatchDetail): HTMLElement {
  const path = `/p/${encodeURIComponent(b.code)}`;
  const copy = h("button", { type: "button", class: "secondary" }, "Copy link");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(b.passportUrl);
      copy.textContent = "Copied";
    } catch {
      copy.textContent = "Copy failed: select the link";
    }
  });
  return h(
    "div",
    { class: "qr-label" },
    h("p", null, "The QR label on each bag opens this public passport (no sign-in, no donor identity):"),
    h("p", null, h("a", { href: path, class: "passport-link" }, b.passportUrl)),
    h("p", null, h("span", { class: "code big" }, b.code), " ", copy),
    h(
      "p",
      null,
      h("a", { href: `/batches/${encodeURIComponent(b.id)}/label`, class: "label-link" }, "Print the label"),
    ),
  );
}

function reviewForm(
  batchId: string,
  onSaved: () => void,
  submit: (d: Review["decision"], c: string, show: boolean) => Promise<{ ok: boolean; message?: string }>,
): HTMLElement {
  const decision = h(
    "select",
    { id: "review-decision", name: "decision", required: true },
    // No default: releasing a batch must be a choice, not what an unchanged form submits.
    h("option", { value: "" }, "Choose…"),
    (["release", "hold", "discard"] as const).map((d) => h("option", { value: d }, decisionWords(d))),
  );
  const comment = h("textarea", {
    id: "review-comment",
    name: "comment",
    required: true,
    rows: 3,
    maxlength: 2000,
  });
  const show = h("input", { id: "review-show", name: "showToRecipient", type: "checkbox" });
  const error = h("p", { class: "form-error", role: "alert" });
  const button = h("button", { type: "submit" }, "Save review");
  const form = h(
    "form",
    { class: "review-form", "data-batch-id": batchId },
    h("label", { for: "review-decision" }, "Decision"),
    decision,
    h("label", { for: "review-comment" }, "Comment (why)"),
    comment,
    h(
      "p",
      { class: "checkbox" },
      show,
      " ",
      h("label", { for: "review-show" }, "Show this comment to the recipient"),
    ),
    error,
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    error.textContent = "";
    const r = await submit(decision.value as Review["decision"], comment.value, show.checked);
    button.disabled = false;
    if (!r.ok) {
      error.textContent = `Not saved: ${r.message ?? "unknown error"}`;
      return;
    }
    comment.value = "";
    show.checked = false;
    onSaved();
  });
  return form;
}

export const batchPage: Page = (root, params, app) => {
  const id = params.id as string;
  document.title = "Batch · coldtrail";
  const body = h("div", null, loading("the batch"));
  root.append(body);
  let disposed = false;
  let chart: ReturnType<typeof batchChart> | null = null;

  async function load() {
    const [r, audit] = await Promise.all([app.api.batch(id, browserTimeZone()), app.api.audit(id)]);
    if (disposed) return;
    if (!r.ok) {
      body.replaceChildren(errorNotice("the batch", r));
      return;
    }
    const b = r.value;
    const nowMs = Date.now();
    document.title = `Batch ${b.code} · coldtrail`;
    const section = (title: string, ...content: (Node | string | null)[]) =>
      h("section", null, h("h2", null, title), ...content);
    chart?.dispose();
    const temperature = batchChart(app.api, b, nowMs);
    chart = temperature;
    fill(
      body,
      h("p", { class: "crumbs" }, "Batch ", h("span", { class: "code" }, b.code)),
      verdictPanel(b.verdict, b.asOf),
      monitoringEnded(b),
      b.review
        ? h(
            "p",
            { class: "notice" },
            `Staff review: ${decisionWords(b.review.decision)}. The computed verdict above stands; the review is shown beside it.`,
          )
        : null,
      h(
        "p",
        { class: "batch-facts" },
        `Expressed ${formatLocal(b.expressedAt)} (${formatAge(Date.parse(b.expressedAt), nowMs)})`,
        b.volumeMl ? ` · ${b.volumeMl} ml` : "",
        ` · milk now ${b.state}${b.everThawed ? " (has thawed)" : ""}`,
      ),
      section("Why", reasonList(b.reasons, nowMs)),
      section("Monitoring", monitoredMeter(b.stats.monitoredPct), statsList(b.stats)),
      section("Time left", budgetList(b.budgets)),
      section("Temperature", temperature.el),
      section(
        "Custody chain",
        custodyChain(b, nowMs),
        h(
          "p",
          null,
          h("a", { class: "move-link", href: `/batches/${encodeURIComponent(b.id)}/move` }, "Record a move"),
        ),
      ),
      section("Exports", batchDownloads(app.api, b.id, b.code)),
      section("QR label", qrLabel(b)),
      section(
        "Staff reviews",
        b.reviews.length
          ? h(
              "ul",
              { class: "reviews" },
              [...b.reviews].reverse().map((x) => reviewItem(x, nowMs)),
            )
          : h("p", null, "No reviews yet."),
        reviewForm(
          b.id,
          () => void load(),
          async (decision, comment, showToRecipient) => {
            const res = await app.api.review(b.id, { decision, comment, showToRecipient });
            return res.ok ? { ok: true } : { ok: false, message: res.message };
          },
        ),
      ),
      section(
        "Audit trail",
        audit.ok ? auditTrail(audit.value.audit) : errorNotice("the audit trail", audit),
      ),
    );
  }

  void load();
  return () => {
    disposed = true;
    chart?.dispose();
  };
};
