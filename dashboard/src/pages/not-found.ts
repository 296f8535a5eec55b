/// <reference lib="dom" />
import { h } from "../components/element.js";
import type { Page } from "../router.js";

export const notFoundPage: Page = (root) => {
  document.title = "Not found · coldtrail";
  root.append(
    h("h1", null, "Page not found"),
    h(
      "p",
      null,
      `There is no page at ${location.pathname}. `,
      h("a", { href: "/" }, "Go to the units overview"),
      ".",
    ),
  );
  return undefined;
};
