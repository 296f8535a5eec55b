/// <reference lib="dom" />
/**
 * Staff alert queue (`/alerts?state=open|acknowledged|resolved`): a filter with counts,
 * acknowledge and resolve with an optional comment, batches by passport code, the probe by its
 * unit's name, who acted by name, times in the browser's zone. Live from the shell's alert feed;
 * a button asks for browser notifications (never asked on load). If the server has no alerts
 * routes (404) the page says so; without the stream it refreshes every 15 s.
 */
import type { Alert, AlertState } from "../api/types.js";
import type { AlertFeed } from "../components/alert-feed.js";
import { h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import { formatAge, formatLocal } from "../format/time.js";
import type { App, Page } from "../router.js";

const STATES: readonly AlertState[] = ["open", "acknowledged", "resolved"];
const STATE_WORDS: Record<AlertState, string> = {
  open: "Open",
  acknowledged: "Acknowledged",
  resolved: "Resolved",
};
const POLL_MS = 15_000;
/** Alerts fetched per load (all states); more shows as "1000+". */
const LIST_LIMIT = 1000;

const SEVERITY_WORDS: Record<string, string> = { critical: "Critical", warning: "Warning", info: "Info" };
const KIND_WORDS: Record<string, string> = {
  excursion: "Temperature excursion",
  "probable-thaw": "Probable thaw",
  refreeze: "Refrozen after thawing",
  "sensor-fault": "Sensor fault",
  "probe-offline": "Probe offline",
  "battery-low": "Battery low",
  "clock-skew": "Probe clock wrong",
  "rejected-surge": "Many refused messages",
  "batch-storage-limit": "Storage time limit",
};

type Act = (a: Alert, action: "ack" | "resolve", comment: string) => Promise<string | null>;

/** "by Ada Staff", "automatically" (the server resolved it), or nothing when unknown. */
function byWhom(id: string | undefined, name: string | undefined): string {
  if (!id) return "";
  if (id === "system") return " automatically";
  return ` by ${name ?? id}`;
}

function batchLinks(a: Alert): HTMLElement | null {
  if (!a.batchIds.length) return null;
  const batches = a.batches ?? a.batchIds.map((id) => ({ id, code: null }));
  return h(
    "p",
    { class: "meta" },
    batches.length === 1 ? "Batch " : "Batches ",
    batches.map((b, i) => [
      i ? ", " : "",
      h("a", { href: `/batches/${encodeURIComponent(b.id)}`, class: "code" }, b.code ?? b.id),
    ]),
  );
}

/** One optional comment, and the buttons for what can be done next: acknowledge, resolve. */
function actionForm(a: Alert, act: Act): HTMLElement {
  const inputId = `comment-${a.id}`;
  const comment = h("input", { id: inputId, name: "comment", maxlength: 2000, autocomplete: "off" });
  const error = h("p", { class: "form-error", role: "alert" });
  const ack = h("button", { type: "submit", value: "ack" }, "Acknowledge");
  const resolve = h(
    "button",
    { type: "submit", value: "resolve", class: a.state === "open" ? "secondary" : null },
    "Resolve",
  );
  const form = h(
    "form",
    { class: "ack-form", "aria-label": "Acknowledge or resolve this alert" },
    h(
      "label",
      { for: inputId },
      "Comment",
      h("span", { class: "hint" }, " (optional) what was done, or why it is fine"),
    ),
    comment,
    error,
    h("div", { class: "actions" }, a.state === "open" ? ack : null, resolve),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const action = (ev as SubmitEvent).submitter === resolve ? "resolve" : "ack";
    ack.disabled = resolve.disabled = true;
    const problem = await act(a, action, comment.value.trim());
    ack.disabled = resolve.disabled = false;
    error.textContent = problem ? `Not ${action === "ack" ? "acknowledged" : "resolved"}: ${problem}` : "";
  });
  return form;
}

function alertCard(a: Alert, nowMs: number, act: Act): HTMLElement {
  const sev = a.severity ?? "warning";
  const card = h(
    "article",
    {
      class: `card alert-card severity-${sev} state-${a.state}`,
      "data-alert-id": a.id,
      "aria-labelledby": `alert-title-${a.id}`,
    },
    h(
      "h2",
      { id: `alert-title-${a.id}` },
      h("span", { class: `chip small severity-${sev}` }, SEVERITY_WORDS[sev] ?? sev),
      " ",
      a.title || KIND_WORDS[a.kind] || a.kind,
    ),
    a.message ? h("p", null, a.message) : null,
    a.unitId
      ? h(
          "p",
          { class: "meta" },
          a.probeId ? "Probe in " : "Unit ",
          h("a", { href: `/units/${encodeURIComponent(a.unitId)}` }, a.unitName ?? "its unit"),
        )
      : null,
    batchLinks(a),
    h(
      "p",
      { class: "meta" },
      "Opened ",
      h("time", { datetime: a.openedAt }, formatLocal(a.openedAt)),
      ` (${formatAge(Date.parse(a.openedAt), nowMs)})`,
      a.occurrences > 1 ? ` · happened ${a.occurrences} times` : "",
      a.clearedAt
        ? [" · condition cleared ", h("time", { datetime: a.clearedAt }, formatLocal(a.clearedAt))]
        : "",
    ),
    a.acknowledgedAt
      ? h(
          "p",
          { class: "meta who-acted" },
          "Acknowledged ",
          h("time", { datetime: a.acknowledgedAt }, formatLocal(a.acknowledgedAt)),
          byWhom(a.acknowledgedBy, a.acknowledgedByName),
          a.comment ? `: “${a.comment}”` : "",
        )
      : null,
    a.resolvedAt
      ? h(
          "p",
          { class: "meta who-acted" },
          "Resolved ",
          h("time", { datetime: a.resolvedAt }, formatLocal(a.resolvedAt)),
          byWhom(a.resolvedBy, a.resolvedByName),
          a.resolveComment ? `: “${a.resolveComment}”` : "",
        )
      : null,
  );
  if (a.state !== "resolved") card.append(actionForm(a, act));
  return card;
}

/** The button that asks for browser notifications, or words saying how they stand. */
function notificationControl(): HTMLElement | null {
  if (typeof Notification === "undefined") return null;
  const box = h("p", { class: "notify" });
  const draw = () => {
    if (Notification.permission === "granted")
      box.replaceChildren("Browser notifications are on: a new alert pops up even on another page.");
    else if (Notification.permission === "denied")
      box.replaceChildren(
        "Browser notifications are blocked for this site; allow them in the browser's settings.",
      );
    else {
      const button = h("button", { type: "button", class: "secondary" }, "Notify me of new alerts");
      button.addEventListener("click", async () => {
        await Notification.requestPermission();
        draw();
      });
      box.replaceChildren(button);
    }
  };
  draw();
  return box;
}

export const alertsPage =
  (feed: AlertFeed): Page =>
  (root, _params, app: App) => {
    const wanted = new URLSearchParams(location.search).get("state");
    const state: AlertState = STATES.includes(wanted as AlertState) ? (wanted as AlertState) : "open";
    document.title = `${STATE_WORDS[state]} alerts · coldtrail`;
    const live = h("p", { class: "updated", role: "status" });
    const list = h("div", { class: "cards" }, loading("alerts"));
    const tabs = h("nav", { class: "tabs", "aria-label": "Alert state" });
    const drawTabs = (counts: Record<AlertState, string> | null) =>
      tabs.replaceChildren(
        ...STATES.map((s) =>
          h(
            "a",
            { class: "tab", href: `/alerts?state=${s}`, "aria-current": s === state ? "page" : null },
            STATE_WORDS[s],
            counts ? h("span", { class: "count" }, ` (${counts[s]})`) : null,
          ),
        ),
      );
    drawTabs(null);
    const notify = notificationControl();
    root.append(h("h1", null, "Alerts"), ...(notify ? [notify] : []), tabs, live, list);

    let disposed = false;
    let all: Alert[] = [];
    let full = false;
    let poll: ReturnType<typeof setInterval> | null = null;
    let reload: ReturnType<typeof setTimeout> | null = null;

    const draw = () => {
      const nowMs = Date.now();
      const counts = Object.fromEntries(
        STATES.map((s) => {
          const n = all.filter((a) => a.state === s).length;
          return [s, full && n > 0 ? `${n}+` : String(n)];
        }),
      ) as Record<AlertState, string>;
      drawTabs(counts);
      const shown = all.filter((a) => a.state === state);
      list.replaceChildren(
        ...(shown.length
          ? shown.map((a) => alertCard(a, nowMs, act))
          : [h("p", { class: "notice", role: "status" }, `No ${state} alerts.`)]),
      );
    };

    async function act(a: Alert, action: "ack" | "resolve", comment: string): Promise<string | null> {
      const r =
        action === "ack" ? await app.api.ackAlert(a.id, comment) : await app.api.resolveAlert(a.id, comment);
      if (!r.ok) return r.message;
      all = [r.value, ...all.filter((x) => x.id !== a.id)].sort(
        (x, y) => Date.parse(y.openedAt) - Date.parse(x.openedAt),
      );
      draw();
      feed.recount();
      return null;
    }

    async function load(): Promise<boolean> {
      const r = await app.api.alertList({ limit: LIST_LIMIT });
      if (disposed) return false;
      if (!r.ok) {
        list.replaceChildren(
          r.status === 404
            ? h(
                "p",
                { class: "notice", role: "status" },
                "This server has no alerts yet (the alerts module is not installed: it answered 404). Units, batches and passports still work.",
              )
            : errorNotice("the alerts", r),
        );
        return false;
      }
      all = r.value.alerts;
      full = all.length >= LIST_LIMIT;
      draw();
      return true;
    }

    const sayState = () => {
      if (feed.state === "live") {
        live.textContent = "Live: new and changed alerts appear here as they happen.";
        if (poll) clearInterval(poll);
        poll = null;
      } else if (feed.state === "reconnecting") live.textContent = "Live updates reconnecting…";
      else {
        live.textContent = `Live updates unavailable. Refreshing every ${POLL_MS / 1000} s.`;
        poll ??= setInterval(load, POLL_MS);
      }
    };

    // Stream bodies carry no names or codes: fetch the list again (once for a burst of events).
    const unlisten = feed.listen(() => {
      sayState();
      if (reload) clearTimeout(reload);
      reload = setTimeout(() => void load(), 150);
    });
    void load().then(sayState);

    return () => {
      disposed = true;
      unlisten();
      if (poll) clearInterval(poll);
      if (reload) clearTimeout(reload);
    };
  };
