/// <reference lib="dom" />
/**
 * "Type the code from the label": for a recipient whose phone cannot scan the QR, on the passport
 * landing (`/p`) and under a code that found nothing. Forgiving (`format/passport-code.ts`); a
 * code it cannot read is explained in words, before any request.
 */
import { normalisePassportCode } from "../format/passport-code.js";
import { h } from "./element.js";

let boxes = 0;

export function codeEntry(
  go: (code: string) => void,
  opts: { initial?: string; label?: string; submit?: string } = {},
): HTMLFormElement {
  const n = ++boxes;
  const input = h("input", {
    id: `passport-code-${n}`,
    class: "code-entry-input",
    name: "code",
    type: "text",
    inputmode: "text",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    "aria-describedby": `passport-code-hint-${n} passport-code-error-${n}`,
    value: opts.initial ?? "",
  });
  const error = h("p", { id: `passport-code-error-${n}`, class: "field-error", role: "alert" });
  return h(
    "form",
    {
      class: "code-entry",
      novalidate: true,
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const r = normalisePassportCode(input.value);
        if (!r.ok) {
          error.textContent = r.reason;
          input.setAttribute("aria-invalid", "true");
          input.focus();
          return;
        }
        error.textContent = "";
        input.removeAttribute("aria-invalid");
        go(r.code);
      },
    },
    h("label", { for: `passport-code-${n}` }, opts.label ?? "Code on the label"),
    h(
      "p",
      { id: `passport-code-hint-${n}`, class: "hint" },
      "The letters and digits under the QR code. Dashes, spaces and small letters are fine.",
    ),
    h(
      "div",
      { class: "code-entry-row" },
      input,
      h("button", { type: "submit" }, opts.submit ?? "Show the passport"),
    ),
    error,
  );
}
