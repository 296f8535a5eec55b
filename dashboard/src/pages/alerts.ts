/// <reference lib="dom" />
/**
 * Staff alert queue (`/alerts?state=open|acknowledged|resolved`): acknowledge with a comment,
 * live updates from the SSE stream. If the server has no alerts routes (404) the page says so;
 * if only the stream is missing it falls back to polling.
 */
import type { Alert, AlertState } from "../api/types.js";
import { h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import { formatAge, formatLocal } from "../format/time.js";
import type { Page } from "../router.js";

const STATES: readonly AlertState[] = ["open", "acknowledged", "resolved"];
const POLL_MS = 15_000;
/** Event names the stream may use; the data is always the alert (server `alertPayload`). */
const STREAM_EVENTS = [
  "alert",
  "opened",
  "updated",
  "recurred",
  "reopened",
  "cleared",
  "acknowledged",
  "resolved",
  "reminder",
  "escalated",
];

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

function alertCard(
  a: Alert,
  nowMs: number,
  ack: (id: string, comment: string) => Promise<string | null>,
): HTMLElement {
  const sev = a.severity ?? "warning";
  const card = h(
    "article",
    { class: `card alert-card severity-${sev} state-${a.state}`, "data-alert-id": a.id },
    h(
      "h2",
      null,
      h("span", { class: `chip small severity-${sev}` }, SEVERITY_WORDS[sev] ?? sev),
      " ",
      a.title ?? KIND_WORDS[a.kind] ?? a.kind,
    ),
    a.message ? h("p", null, a.message) : null,
    h(
      "p",
      { class: "meta" },
      a.unitId ? h("a", { href: `/units/${encodeURIComponent(a.unitId)}` }, a.unitName ?? a.unitId) : null,
      a.unitId ? " · " : "",
      `opened ${formatAge(Date.parse(a.openedAt), nowMs)} (${formatLocal(a.openedAt)})`,
      a.clearedAt ? ` · condition cleared ${formatLocal(a.clearedAt)}` : "",
    ),
    a.batchIds.length
      ? h(
          "p",
          { class: "meta" },
          "Batches: ",
          a.batchIds.map((id, i) => [
            i ? ", " : "",
            h("a", { href: `/batches/${encodeURIComponent(id)}` }, id),
          ]),
        )
      : null,
    a.acknowledgedAt
      ? h(
          "p",
          { class: "meta" },
          `Acknowledged ${formatLocal(a.acknowledgedAt)}${a.acknowledgedBy ? ` by ${a.acknowledgedByName ?? a.acknowledgedBy}` : ""}${a.comment ? `: ${a.comment}` : ""}`,
        )
      : null,
    a.resolvedAt ? h("p", { class: "meta" }, `Resolved ${formatLocal(a.resolvedAt)}`) : null,
  );
  if (a.state === "open") {
    const inputId = `ack-${a.id}`;
    const comment = h("input", {
      id: inputId,
      name: "comment",
      required: true,
      maxlength: 2000,
      placeholder: "What was done, or why it is fine",
    });
    const error = h("p", { class: "form-error", role: "alert" });
    const button = h("button", { type: "submit" }, "Acknowledge");
    const form = h(
      "form",
      { class: "ack-form" },
      h("label", { for: inputId }, "Comment"),
      comment,
      error,
      h("div", { class: "actions" }, button),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      button.disabled = true;
      const problem = await ack(a.id, comment.value.trim());
      button.disabled = false;
      error.textContent = problem ? `Not acknowledged: ${problem}` : "";
    });
    card.append(form);
  }
  return card;
}

export const alertsPage: Page = (root, _params, app) => {
  const wanted = new URLSearchParams(location.search).get("state");
  const state: AlertState = STATES.includes(wanted as AlertState) ? (wanted as AlertState) : "open";
  document.title = "Alerts · coldtrail";
  const live = h("p", { class: "updated", role: "status" });
  const list = h("div", { class: "cards" }, loading("alerts"));
  root.append(
    h("h1", null, "Alerts"),
    h(
      "nav",
      { class: "tabs", "aria-label": "Alert state" },
      STATES.map((s) =>
        h(
          "a",
          { class: "tab", href: `/alerts?state=${s}`, "aria-current": s === state ? "page" : null },
          s[0]?.toUpperCase() + s.slice(1),
        ),
      ),
    ),
    live,
    list,
  );
  let disposed = false;
  let alerts: Alert[] = [];
  let stream: EventSource | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;

  const draw = () => {
    const nowMs = Date.now();
    list.replaceChildren(
      ...(alerts.length
        ? alerts.map((a) => alertCard(a, nowMs, acknowledge))
        : [h("p", { class: "notice" }, `No ${state} alerts.`)]),
    );
  };

  async function acknowledge(id: string, comment: string): Promise<string | null> {
    const r = await app.api.ackAlert(id, comment);
    if (!r.ok) return r.message;
    upsert(r.value);
    return null;
  }

  function upsert(a: Alert) {
    if (!a || typeof a.id !== "string") return;
    const rest = alerts.filter((x) => x.id !== a.id);
    alerts =
      a.state === state ? [a, ...rest].sort((x, y) => Date.parse(y.openedAt) - Date.parse(x.openedAt)) : rest;
    draw();
  }

  async function load(): Promise<boolean> {
    const r = await app.api.alerts(state);
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
    alerts = r.value.alerts;
    draw();
    return true;
  }

  function startPolling(reason: string) {
    live.textContent = `${reason} Refreshing every ${POLL_MS / 1000} s.`;
    poll ??= setInterval(load, POLL_MS);
  }

  void load().then((ok) => {
    if (!ok || disposed) return;
    const url = app.api.alertStreamUrl();
    if (!url || typeof EventSource === "undefined") return startPolling("Live updates unavailable.");
    stream = new EventSource(url);
    const onEvent = (ev: MessageEvent) => {
      try {
        upsert(JSON.parse(ev.data) as Alert);
      } catch {
        void load(); // not an alert body: fetch the list instead
      }
    };
    stream.onmessage = onEvent;
    for (const name of STREAM_EVENTS) stream.addEventListener(name, onEvent as EventListener);
    stream.onopen = () => {
      live.textContent = "Live: new and changed alerts appear here as they happen.";
      void load(); // catch up on anything missed while connecting
    };
    stream.onerror = () => {
      // EventSource retries by itself while the server is reachable; CLOSED means it gave up
      // (a 404 or 401 from the stream), so poll instead.
      if (stream?.readyState === EventSource.CLOSED) {
        stream.close();
        stream = null;
        startPolling("Live updates unavailable (the server refused the stream).");
      } else live.textContent = "Live updates reconnecting…";
    };
  });

  return () => {
    disposed = true;
    stream?.close();
    if (poll) clearInterval(poll);
  };
};
