/// <reference lib="dom" />
/** "Add a freezer, fridge or cool bag": name and kind → POST /units, then its page. */
import type { ApiClient } from "../api/client.js";
import type { UnitKind } from "../api/types.js";
import { h } from "./element.js";

const KINDS: readonly { kind: UnitKind; words: string }[] = [
  { kind: "freezer", words: "Freezer" },
  { kind: "fridge", words: "Fridge" },
  { kind: "cool-bag", words: "Cool bag" },
];

export function unitForm(api: ApiClient, created: (unitId: string) => void): HTMLFormElement {
  const name = h("input", {
    id: "unit-name",
    name: "name",
    required: true,
    maxlength: 100,
    autocomplete: "off",
  });
  const kind = h(
    "select",
    { id: "unit-kind", name: "kind" },
    KINDS.map((k) => h("option", { value: k.kind }, k.words)),
  );
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit" }, "Add");
  return h(
    "form",
    {
      class: "add-form unit-form",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        if (!name.value.trim()) {
          error.textContent = "Give it a name you will recognise, such as “Kitchen freezer”.";
          name.focus();
          return;
        }
        submit.disabled = true;
        const r = await api.createUnit({ name: name.value.trim(), kind: kind.value as UnitKind });
        submit.disabled = false;
        if (!r.ok) {
          error.textContent = `Not added: ${r.message}`;
          return;
        }
        created(r.value.id);
      },
    },
    h("h2", null, "Add a freezer, fridge or cool bag"),
    h("label", { for: "unit-name" }, "Name"),
    name,
    h("label", { for: "unit-kind" }, "Kind"),
    kind,
    h("div", { class: "actions" }, submit),
    error,
  );
}
