/// <reference lib="dom" />
/** A batch's audit trail, newest first: when, what, and who (GET /batches/{id}/audit). */
import type { AuditEntry } from "../api/types.js";
import { formatLocal } from "../format/time.js";
import { h } from "./element.js";

const ACTION_WORDS: Record<string, string> = {
  "batch.created": "Batch added",
  "batch.moved": "Moved to another unit",
  "batch.returned": "Returned to monitored custody",
  "batch.left_custody": "Left monitored custody",
  "batch.reviewed": "Reviewed",
};

/** The few details staff read at a glance; the rest stays in the CSV-free API answer. */
function detailWords(e: AuditEntry): string {
  const d = (e.details ?? {}) as Record<string, unknown>;
  const bits: string[] = [];
  if (typeof d.decision === "string") bits.push(d.decision);
  if (typeof d.comment === "string") bits.push(`"${d.comment}"`);
  if (typeof d.how === "string") bits.push(d.how);
  if (typeof d.state === "string") bits.push(`milk ${d.state}`);
  if (typeof d.volumeMl === "number") bits.push(`${d.volumeMl} ml`);
  return bits.join(" · ");
}

export function auditTrail(entries: readonly AuditEntry[]): HTMLElement {
  if (entries.length === 0) return h("p", { class: "notice empty" }, "No audit entries yet.");
  return h(
    "ol",
    { class: "audit-trail" },
    [...entries].reverse().map((e) => {
      const details = detailWords(e);
      return h(
        "li",
        { class: "audit-entry", "data-action": e.action },
        h("strong", null, ACTION_WORDS[e.action] ?? e.action),
        details ? `: ${details}` : "",
        h("br"),
        h("span", { class: "hint" }, `${formatLocal(e.at)} · ${e.actorName ?? e.actor}`),
      );
    }),
  );
}
