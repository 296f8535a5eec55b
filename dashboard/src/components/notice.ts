/// <reference lib="dom" />
/** Loading and error notices, in words, announced to screen readers. */
import { h } from "./element.js";

export const loading = (what: string): HTMLElement =>
  h("p", { class: "notice", role: "status" }, `Loading ${what}…`);

export function errorNotice(what: string, r: { status: number; code: string; message: string }): HTMLElement {
  const hint =
    r.status === 401
      ? "Sign in with the admin token to see this."
      : r.status === 0
        ? "Check the connection; the page tries again on its own where it refreshes."
        : "";
  return h(
    "div",
    { class: "notice error", role: "alert" },
    h("p", null, `Could not load ${what}: ${r.message}`),
    hint ? h("p", null, hint) : null,
  );
}
