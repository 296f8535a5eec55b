/// <reference lib="dom" />
/**
 * "How I am told" (`/settings/notifications`), for donors and staff alike: email to the account's
 * address, web push on this device, which kinds of alert, and a test. Email and kinds are saved
 * with the Save button; push on this device is switched at once (the browser asks permission).
 */
import type { ApiClient } from "../api/client.js";
import type { NotifyChoices } from "../api/types.js";
import { h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import {
  pushSupport,
  subscribeThisDevice,
  thisDeviceSubscription,
  unsubscribeThisDevice,
} from "../push/device.js";
import type { Page } from "../router.js";

type Kind = NotifyChoices["alertKinds"][number];

/** Every kind, in the words a donor reads. */
const KIND_WORDS: readonly { kind: Kind; words: string }[] = [
  { kind: "excursion", words: "Too warm (or too cold) for too long" },
  { kind: "probable-thaw", words: "Milk has probably thawed" },
  { kind: "refreeze", words: "Thawed milk froze again" },
  { kind: "batch-storage-limit", words: "A batch is near or past its storage limit" },
  { kind: "probe-offline", words: "A probe stopped reporting" },
  { kind: "battery-low", words: "A probe's battery is low" },
  { kind: "sensor-fault", words: "A probe reads something impossible" },
  { kind: "clock-skew", words: "A probe's clock is wrong" },
  { kind: "rejected-surge", words: "A probe's messages are being refused" },
];

const KIND_NAMES: Record<string, string> = { email: "Email", webpush: "Push on this device" };

export const notificationsPage: Page = (root, _params, app) => {
  let gone = false;
  document.title = "How I am told · coldtrail";
  const body = h("div", null, loading("your notification choices"));
  root.append(h("h1", null, "How I am told"), body);

  async function load() {
    const r = await app.api.notifyChoices();
    if (gone) return;
    if (!r.ok) {
      body.replaceChildren(
        errorNotice("your notification choices", r),
        h("button", { type: "button", class: "secondary", onclick: () => void load() }, "Try again"),
      );
      return;
    }
    body.replaceChildren(form(app.api, r.value));
  }
  void load();
  return () => {
    gone = true;
  };
};

function form(api: ApiClient, choices: NotifyChoices): HTMLElement {
  const email = h("input", {
    type: "checkbox",
    id: "notify-email",
    checked: choices.email.on,
    disabled: !choices.email.available && !choices.email.on,
  });
  const emailWords = choices.email.address
    ? `Email me at ${choices.email.address}`
    : "Email me (your account has no address)";
  const kinds = KIND_WORDS.map((k) => ({
    ...k,
    box: h("input", {
      type: "checkbox",
      id: `kind-${k.kind}`,
      name: "alertKinds",
      value: k.kind,
      checked: choices.alertKinds.includes(k.kind),
    }),
  }));
  const saved = h("p", { class: "hint", role: "status" });
  const error = h("p", { class: "form-error", role: "alert" });
  const save = h("button", { type: "submit" }, "Save");

  const push = pushSection(api, choices);
  const test = testSection(api);

  const f = h(
    "form",
    {
      class: "add-form notify-form",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        saved.textContent = "";
        error.textContent = "";
        const alertKinds = kinds.filter((k) => k.box.checked).map((k) => k.kind);
        if (alertKinds.length === 0) {
          error.textContent =
            "Choose at least one kind of alert. To hear nothing, switch email and push off instead.";
          kinds[0]?.box.focus();
          return;
        }
        save.disabled = true;
        const r = await api.saveNotifyChoices({ email: email.checked, alertKinds });
        save.disabled = false;
        if (!r.ok) {
          error.textContent = `Not saved: ${r.message}`;
          return;
        }
        email.checked = r.value.email.on;
        saved.textContent = "Saved. You will be told like this from the next alert on.";
      },
    },
    h(
      "fieldset",
      null,
      h("legend", null, "Email"),
      h("div", { class: "checkbox" }, email, h("label", { for: "notify-email" }, emailWords)),
      !choices.email.available &&
        h("p", { class: "hint" }, `Email cannot be sent: ${choices.email.unavailableReason ?? "not set up"}`),
    ),
    h(
      "fieldset",
      null,
      h("legend", null, "Which alerts reach me by email and push"),
      h(
        "p",
        { class: "hint" },
        "Every alert still shows on the Alerts page. Alerts about your milk are the ones that matter most.",
      ),
      kinds.map((k) => h("div", { class: "checkbox" }, k.box, h("label", { for: k.box.id }, k.words))),
    ),
    h("div", { class: "actions" }, save),
    saved,
    error,
  );
  return h("div", { class: "notify-settings" }, push, f, test);
}

function pushSection(api: ApiClient, choices: NotifyChoices): HTMLElement {
  const box = h("input", { type: "checkbox", id: "notify-push", disabled: true });
  const state = h("p", { class: "hint", role: "status" }, "Checking this browser…");
  const error = h("p", { class: "form-error", role: "alert" });
  const support = pushSupport();
  const section = h(
    "section",
    { class: "add-form notify-push", "aria-labelledby": "push-heading" },
    h("h2", { id: "push-heading" }, "Push notifications on this device"),
    h(
      "div",
      { class: "checkbox" },
      box,
      h("label", { for: "notify-push" }, "Notify me on this phone or computer (switches at once)"),
    ),
    state,
    error,
  );
  const devices = (n: number) =>
    n === 0
      ? "No device of yours gets push notifications yet."
      : n === 1
        ? "1 device of yours gets them."
        : `${n} devices of yours get them.`;

  if (!choices.push.available) {
    state.textContent = `Push notifications are not set up on this server: ${choices.push.unavailableReason ?? ""}`;
    return section;
  }
  if (!support.ok) {
    state.textContent = `${support.reason} Email still works. ${devices(choices.push.devices)}`;
    return section;
  }
  void thisDeviceSubscription().then((sub) => {
    box.checked = sub !== null;
    box.disabled = false;
    state.textContent = `${sub ? "This device gets push notifications." : "This device does not get push notifications."} ${devices(choices.push.devices)}`;
  });
  box.addEventListener("change", async () => {
    error.textContent = "";
    box.disabled = true;
    const want = box.checked;
    state.textContent = want ? "Asking this browser…" : "Switching off…";
    const r = want ? await subscribeThisDevice(api) : await unsubscribeThisDevice(api);
    box.disabled = false;
    if (!r.ok) {
      box.checked = !want;
      state.textContent = "";
      error.textContent = r.reason;
      return;
    }
    state.textContent = want
      ? "This device gets push notifications. Try the test below."
      : "This device no longer gets push notifications.";
  });
  return section;
}

function testSection(api: ApiClient): HTMLElement {
  const out = h("div", { role: "status" });
  const button = h("button", { type: "button", class: "secondary" }, "Send a test notification");
  button.addEventListener("click", async () => {
    button.disabled = true;
    out.replaceChildren(h("p", { class: "hint" }, "Sending…"));
    const r = await api.testNotification();
    button.disabled = false;
    if (!r.ok) {
      out.replaceChildren(h("p", { class: "form-error" }, `No test sent: ${r.message}`));
      return;
    }
    out.replaceChildren(
      h(
        "ul",
        { class: "test-results" },
        r.value.results.map((x) =>
          h(
            "li",
            null,
            `${KIND_NAMES[x.kind] ?? x.kind}: `,
            x.ok ? "sent. It should arrive within a minute." : `not sent (${x.reason ?? "unknown reason"}).`,
          ),
        ),
      ),
    );
  });
  return h(
    "section",
    { class: "add-form notify-test", "aria-labelledby": "test-heading" },
    h("h2", { id: "test-heading" }, "Test"),
    h("p", { class: "hint" }, "Sends a test to every way you chose, now, so you know it works."),
    button,
    out,
  );
}
