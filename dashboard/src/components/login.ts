/// <reference lib="dom" />
/**
 * The token box: asks for the admin token once, checks it against the server before storing
 * it, and comes back whenever the server answers 401.
 */
import type { ApiResult, TokenStore } from "../api/client.js";
import { h } from "./element.js";

export function createLogin(
  checkToken: (token: string) => Promise<ApiResult<unknown>>,
  tokens: TokenStore,
  onLoggedIn: () => void,
) {
  let dialog: HTMLDialogElement | null = null;

  function show(reason?: string) {
    if (dialog?.open) return;
    const error = h("p", { class: "form-error", role: "alert" }, reason ?? "");
    const input = h("input", {
      id: "token-input",
      name: "token",
      type: "password",
      autocomplete: "current-password",
      required: true,
      spellcheck: "false",
    });
    const submit = h("button", { type: "submit" }, "Sign in");
    const form = h(
      "form",
      { method: "dialog", class: "login" },
      h("h2", null, "Staff sign-in"),
      h(
        "p",
        null,
        "Enter the coldtrail admin token (printed by the server at first start, or set as COLDTRAIL_ADMIN_TOKEN).",
      ),
      h("label", { for: "token-input" }, "Admin token"),
      input,
      error,
      h("div", { class: "actions" }, submit),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      submit.disabled = true;
      error.textContent = "Checking…";
      const r = await checkToken(token);
      submit.disabled = false;
      if (!r.ok) {
        error.textContent =
          r.status === 401
            ? "That token is not valid. Check it and try again."
            : `Could not check the token: ${r.message}`;
        input.select();
        return;
      }
      tokens.set(token);
      dialog?.close();
      dialog?.remove();
      dialog = null;
      onLoggedIn();
    });
    dialog?.remove();
    dialog = h("dialog", { class: "login-dialog", "aria-labelledby": "login-title" }, form);
    form.querySelector("h2")?.setAttribute("id", "login-title");
    // A token is needed to use the staff pages at all; Escape would only leave a broken page.
    dialog.addEventListener("cancel", (ev) => ev.preventDefault());
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  }

  return { show };
}
