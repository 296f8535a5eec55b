/// <reference lib="dom" />
/**
 * "Add a batch" on a unit page: when it was expressed, its state, volume and a private note →
 * POST /batches. The note goes in `donorRef`, which the passport never shows.
 */
import type { ApiClient } from "../api/client.js";
import type { BatchCreated } from "../api/types.js";
import { h } from "./element.js";

/** `<input type=datetime-local>` value for a moment, in the browser's zone. */
function localInputValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export function batchForm(
  api: ApiClient,
  unitId: string,
  created: (b: BatchCreated) => void,
): HTMLFormElement {
  const expressed = h("input", {
    id: "batch-expressed",
    name: "expressedAt",
    type: "datetime-local",
    required: true,
    value: localInputValue(Date.now()),
  });
  const state = h(
    "select",
    { id: "batch-state", name: "state" },
    h("option", { value: "fresh" }, "Fresh (just expressed or chilled)"),
    h("option", { value: "frozen" }, "Frozen"),
    h("option", { value: "thawed" }, "Thawed"),
  );
  const volume = h("input", {
    id: "batch-volume",
    name: "volumeMl",
    type: "number",
    min: 1,
    max: 10000,
    inputmode: "numeric",
  });
  const notes = h("input", { id: "batch-notes", name: "notes", maxlength: 200, autocomplete: "off" });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit" }, "Add batch");
  return h(
    "form",
    {
      class: "add-form batch-form",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const at = Date.parse(expressed.value);
        if (Number.isNaN(at)) {
          error.textContent = "Say when the milk was expressed (day and time).";
          expressed.focus();
          return;
        }
        const ml = volume.value ? Number(volume.value) : undefined;
        if (ml !== undefined && !(ml > 0 && ml <= 10000)) {
          error.textContent = `The volume is in millilitres, 1 to 10 000; "${volume.value}" is not.`;
          volume.focus();
          return;
        }
        submit.disabled = true;
        const r = await api.createBatch({
          unitId,
          expressedAt: new Date(at).toISOString(),
          state: state.value as "fresh" | "frozen" | "thawed",
          ...(ml !== undefined && { volumeMl: ml }),
          ...(notes.value.trim() && { donorRef: notes.value.trim() }),
        });
        submit.disabled = false;
        if (!r.ok) {
          error.textContent = `Not added: ${r.message}`;
          return;
        }
        error.textContent = "";
        notes.value = "";
        volume.value = "";
        created(r.value);
      },
    },
    h("h2", null, "Add a batch"),
    h("label", { for: "batch-expressed" }, "Expressed at"),
    expressed,
    h("label", { for: "batch-state" }, "State now"),
    state,
    h("label", { for: "batch-volume" }, "Volume (ml, optional)"),
    volume,
    h("label", { for: "batch-notes" }, "Notes (optional, only for you: never on the passport)"),
    notes,
    h("div", { class: "actions" }, submit),
    error,
  );
}
