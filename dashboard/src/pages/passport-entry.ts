/// <reference lib="dom" />
/** The passport landing (`/p`): a recipient types the code from a bag's label. Public. */
import { codeEntry } from "../components/code-entry.js";
import { h } from "../components/element.js";
import type { Page } from "../router.js";

export const passportEntryPage: Page = (root, _params, app) => {
  document.title = "Milk passport · coldtrail";
  root.append(
    h(
      "div",
      { class: "passport passport-entry" },
      h("h1", null, "Milk passport"),
      h(
        "p",
        null,
        "Scan the QR code on the bag with your phone's camera, or type the code printed under it.",
      ),
      codeEntry((code) => app.navigate(`/p/${encodeURIComponent(code)}`)),
      h(
        "p",
        { class: "privacy hint" },
        "The passport shows how the milk was kept. It shows no donor identity.",
      ),
    ),
  );
  (root.querySelector("input") as HTMLInputElement | null)?.focus();
  return undefined;
};
