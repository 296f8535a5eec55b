/// <reference lib="dom" />
/**
 * Accepting an invitation: the link is `/invite#<token>`; the token sits in the fragment, which
 * browsers never send to a server, so it reaches no log. The person sets a password and is
 * signed in straight away.
 */
import { h } from "../components/element.js";
import type { Page } from "../router.js";

/** The server's smallest password (server/src/accounts/passwords.ts PASSWORD_MIN_CHARS). */
const PASSWORD_MIN = 12;

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).replace(/([^.])$/, "$1.");

export const invitePage: Page = (root, _params, app) => {
  document.title = "Set your password · coldtrail";
  const token = location.hash.slice(1);
  root.append(h("h1", null, "Welcome to coldtrail"));
  if (!token) {
    root.append(
      h(
        "p",
        { class: "form-error" },
        "This invitation link is incomplete. Open the whole link from your invitation, or ask for a new one.",
      ),
    );
    return undefined;
  }
  const error = h("p", { class: "form-error", role: "alert" });
  const password = h("input", {
    id: "new-password",
    type: "password",
    autocomplete: "new-password",
    required: true,
    minlength: PASSWORD_MIN,
  });
  const repeat = h("input", {
    id: "repeat-password",
    type: "password",
    autocomplete: "new-password",
    required: true,
  });
  const submit = h("button", { type: "submit" }, "Set password and sign in");
  const form = h(
    "form",
    { class: "login invite" },
    h(
      "p",
      null,
      `Choose a password of at least ${PASSWORD_MIN} characters. A few unrelated words work well.`,
    ),
    h("label", { for: "new-password" }, "New password"),
    password,
    h("label", { for: "repeat-password" }, "Repeat the password"),
    repeat,
    error,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if ([...password.value].length < PASSWORD_MIN) {
      error.textContent = `The password is too short: use at least ${PASSWORD_MIN} characters.`;
      return;
    }
    if (password.value !== repeat.value) {
      error.textContent = "The two passwords are not the same. Type them again.";
      return;
    }
    submit.disabled = true;
    error.textContent = "Setting your password…";
    const accepted = await app.api.acceptInvitation(token, password.value);
    if (!accepted.ok) {
      submit.disabled = false;
      error.textContent =
        accepted.status === 404
          ? "This invitation link is not valid. Check that you opened the whole link, or ask for a new one."
          : accepted.status === 0
            ? "Cannot reach coldtrail. Check your connection and try again."
            : sentence(accepted.message);
      return;
    }
    const email = accepted.value.account.email ?? "";
    const signedIn = await app.api.signIn(email, password.value);
    // The token has done its work: keep it out of the history and the address bar.
    history.replaceState(null, "", "/");
    app.navigate("/");
    if (!signedIn.ok) app.rerender();
  });
  root.append(form);
  password.focus();
  return undefined;
};
