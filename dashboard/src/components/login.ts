/// <reference lib="dom" />
/**
 * The sign-in box: email and password (a session cookie), or an automation token (the bootstrap
 * admin token or a personal `ct_…` token) for kiosks and scripts. It opens whenever the server
 * answers 401, and says in plain words why a sign-in did not work.
 */
import type { ApiClient, ApiResult, TokenStore } from "../api/client.js";
import { h } from "./element.js";

/** The server's sign-in lock (server/src/accounts/throttle.ts), when no Retry-After came. */
const SIGN_IN_LOCK_S = 15 * 60;

/** Why a sign-in failed, in words for the person at the screen. */
export function signInProblem(r: Extract<ApiResult<unknown>, { ok: false }>): string {
  if (r.status === 0) return "Cannot reach coldtrail. Check your connection and try again.";
  if (r.status === 401) return "That email and password do not match. Check both and try again.";
  if (r.status === 429) {
    const min = Math.max(1, Math.ceil((r.retryAfterS ?? SIGN_IN_LOCK_S) / 60));
    return `Too many attempts, so signing in is paused for safety. Try again in ${min} minute${min === 1 ? "" : "s"}.`;
  }
  if (r.status === 403) return "This account is switched off. Ask the staff of your milk bank.";
  if (r.status === 400) return "Enter your email address and your password.";
  return `Signing in did not work: ${r.message}`;
}

export function createLogin(
  api: Pick<ApiClient, "signIn" | "checkToken">,
  tokens: TokenStore,
  onLoggedIn: () => void,
) {
  let dialog: HTMLDialogElement | null = null;

  function done() {
    dialog?.close();
    dialog?.remove();
    dialog = null;
    onLoggedIn();
  }

  function show(reason?: string) {
    if (dialog?.open) return;
    const error = h("p", { class: "form-error", role: "alert" }, reason ?? "");
    const email = h("input", {
      id: "email-input",
      name: "email",
      type: "email",
      autocomplete: "username",
      required: true,
      spellcheck: "false",
    });
    const password = h("input", {
      id: "password-input",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    });
    const submit = h("button", { type: "submit" }, "Sign in");
    const form = h(
      "form",
      { method: "dialog", class: "login" },
      h("h2", { id: "login-title" }, "Sign in"),
      h("label", { for: "email-input" }, "Email"),
      email,
      h("label", { for: "password-input" }, "Password"),
      password,
      error,
      h("div", { class: "actions" }, submit),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!email.value.trim() || !password.value) return;
      submit.disabled = true;
      error.textContent = "Signing in…";
      const r = await api.signIn(email.value.trim(), password.value);
      submit.disabled = false;
      if (!r.ok) {
        error.textContent = signInProblem(r);
        password.select();
        return;
      }
      done();
    });

    const tokenError = h("p", { class: "form-error", role: "alert" });
    const tokenInput = h("input", {
      id: "token-input",
      name: "token",
      type: "password",
      autocomplete: "off",
      required: true,
      spellcheck: "false",
    });
    const tokenSubmit = h("button", { type: "submit" }, "Use token");
    const tokenForm = h(
      "form",
      { method: "dialog", class: "login" },
      h(
        "p",
        null,
        "For a kiosk or a script: the admin token (printed by the server at first start, or COLDTRAIL_ADMIN_TOKEN) or a personal token.",
      ),
      h("label", { for: "token-input" }, "Admin token"),
      tokenInput,
      tokenError,
      h("div", { class: "actions" }, tokenSubmit),
    );
    tokenForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const token = tokenInput.value.trim();
      if (!token) return;
      tokenSubmit.disabled = true;
      tokenError.textContent = "Checking…";
      const r = await api.checkToken(token);
      tokenSubmit.disabled = false;
      if (!r.ok) {
        tokenError.textContent =
          r.status === 401
            ? "That token is not valid. Check it and try again."
            : `Could not check the token: ${r.message}`;
        tokenInput.select();
        return;
      }
      tokens.set(token);
      done();
    });

    dialog?.remove();
    dialog = h(
      "dialog",
      { class: "login-dialog", "aria-labelledby": "login-title" },
      form,
      h("details", { class: "automation" }, h("summary", null, "Automation token"), tokenForm),
    );
    // Signing in is needed to use these pages at all; Escape would only leave a broken page.
    dialog.addEventListener("cancel", (ev) => ev.preventDefault());
    document.body.append(dialog);
    dialog.showModal();
    email.focus();
  }

  return { show };
}
