/// <reference lib="dom" />
/**
 * "Where is it going?": one of her units, or out of her custody (handed to the milk bank
 * courier, fed, thrown away), and when (now unless she changes it; never in the future, never
 * before the batch came into its current place) → POST /batches/{id}/moves.
 */
import type { ApiClient } from "../api/client.js";
import type { BatchDetail, Unit } from "../api/types.js";
import {
  checkMoveTime,
  type Destination,
  LEAVE_CHOICES,
  type LeaveHow,
  localInputValue,
} from "../format/move.js";
import { browserTimeZone } from "../format/time.js";
import { kindWords } from "../format/verdict.js";
import { h } from "./element.js";

export interface Moved {
  batch: BatchDetail;
  to: Destination;
  atMs: number;
}

/** Where the batch is now: its open custody entry, or null when it is out of monitored custody. */
export const currentPlace = (b: BatchDetail) => {
  const last = b.custody.at(-1);
  return last && last.to === null ? last : null;
};

/** When the server recorded the latest move: the start of the open stay, or the end of the last. */
function movedAt(b: BatchDetail): number | null {
  const last = b.custody.at(-1);
  if (!last) return null;
  return Date.parse(last.to ?? last.from);
}

export function moveForm(
  api: ApiClient,
  batch: BatchDetail,
  units: readonly Unit[],
  moved: (m: Moved) => void,
): HTMLFormElement {
  const here = currentPlace(batch);
  const last = batch.custody.at(-1);
  /** The batch's latest move: the time a new one must come after. */
  const sinceMs = last ? Date.parse(last.to ?? last.from) : null;
  const sinceWhere = here ? (here.unitName ?? "its unit") : "its last place";
  const targets = units.filter((u) => u.id !== here?.unitId);
  const inCustody = here !== null;

  const choice = (value: string, words: string, hint?: string) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "radio", name: "to", value, required: true }),
      h("span", null, words, hint ? h("span", { class: "hint" }, ` ${hint}`) : null),
    );
  const now = Date.now();
  /** Left as shown, the box means "now": the server's clock then, not this phone's minute. */
  const shownNow = localInputValue(now);
  const when = h("input", {
    id: "move-at",
    name: "at",
    type: "datetime-local",
    value: shownNow,
    max: shownNow,
    ...(sinceMs !== null && { min: localInputValue(sinceMs) }),
    "aria-describedby": "move-at-hint",
  });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit" }, "Record the move");
  const form = h(
    "form",
    {
      class: "add-form move-form",
      novalidate: true,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const picked = (form.elements.namedItem("to") as RadioNodeList | null)?.value ?? "";
        if (!picked) {
          error.textContent = "Pick where the batch is going.";
          (form.querySelector("input[name=to]") as HTMLInputElement | null)?.focus();
          return;
        }
        const typed = when.value === shownNow ? "" : when.value;
        const t = checkMoveTime(typed, { nowMs: Date.now(), sinceMs, sinceWhere });
        if (!t.ok) {
          error.textContent = t.reason;
          when.setAttribute("aria-invalid", "true");
          when.focus();
          return;
        }
        when.removeAttribute("aria-invalid");
        const to: Destination = picked.startsWith("leave:")
          ? { unitId: null, how: picked.slice("leave:".length) as LeaveHow }
          : {
              unitId: picked,
              unitName: targets.find((u) => u.id === picked)?.name ?? picked,
            };
        submit.disabled = true;
        error.textContent = "";
        const r = await api.moveBatch(
          batch.id,
          {
            unitId: to.unitId,
            ...(typed && { at: new Date(t.atMs).toISOString() }),
            ...(to.unitId === null && { how: to.how }),
          },
          browserTimeZone(),
        );
        submit.disabled = false;
        if (!r.ok) {
          error.textContent =
            r.status === 0
              ? "Not recorded: this phone cannot reach coldtrail just now. Check the connection and press the button again."
              : `Not recorded: ${r.message}`;
          return;
        }
        moved({ batch: r.value, to, atMs: movedAt(r.value) ?? t.atMs });
      },
    },
    h(
      "fieldset",
      null,
      h("legend", null, "Where is it going?"),
      targets.length
        ? targets.map((u) => choice(u.id, u.name, `(${kindWords(u.kind)})`))
        : h(
            "p",
            { class: "hint no-targets" },
            inCustody
              ? "You have no other freezer, fridge or cool bag yet: add one on the Units page to move the batch into it."
              : "Add a freezer, fridge or cool bag on the Units page to bring the batch back into monitored custody.",
          ),
    ),
    inCustody
      ? h(
          "fieldset",
          null,
          h("legend", null, "Or it leaves your care"),
          LEAVE_CHOICES.map((c) => choice(`leave:${c.how}`, c.words)),
          h("p", { class: "hint" }, "Monitoring ends there: the passport keeps the verdict as of that time."),
        )
      : null,
    h("label", { for: "move-at" }, "When"),
    h("p", { id: "move-at-hint", class: "hint" }, "Now, unless you change it. Not in the future."),
    when,
    h("div", { class: "actions" }, submit),
    error,
  );
  return form;
}
