/// <reference lib="dom" />
/**
 * The shell's one alert stream, on every staff page: it keeps the count of open alerts in the
 * tab title ("(3) coldtrail"), shows a browser notification when an alert opens (once the
 * person allowed notifications with the alerts page's button: never asked on load), and tells
 * pages that listen (the alerts page) that something changed.
 */
import type { ApiClient } from "../api/client.js";
import type { Alert } from "../api/types.js";
import { titleWithCount } from "../format/title-count.js";

/** Stream events that mean an alert needs someone again (the alert body carries `event`). */
const OPENING_EVENTS = new Set(["opened", "reopened"]);
/** Open alerts counted per request; more shows as "999+". */
const COUNT_LIMIT = 1000;

export type AlertChange = Alert & { event?: string };
type Listener = (change: AlertChange | null) => void;

export interface AlertFeed {
  /** Called on every alert event (null: the stream reconnected, reload what you show). */
  listen(fn: Listener): () => void;
  /** Re-counts the open alerts (after an acknowledge or resolve made here, say). */
  recount(): void;
  /** Starts the stream on staff pages (if not running); stops it on passports. */
  setActive(active: boolean): void;
  /** After a sign-in or sign-out: the stream is for someone else now. */
  restart(): void;
  /** "live", "reconnecting" or "unavailable", for the alerts page to say. */
  readonly state: "live" | "reconnecting" | "unavailable";
}

export function createAlertFeed(api: ApiClient): AlertFeed {
  const listeners = new Set<Listener>();
  let stream: EventSource | null = null;
  let openCount: number | null = null;
  let state: AlertFeed["state"] = "unavailable";
  let recountTimer: ReturnType<typeof setTimeout> | null = null;

  const applyTitle = () => {
    const want = titleWithCount(document.title, openCount);
    if (document.title !== want) document.title = want;
  };
  // Pages set their own titles; the count is put back in front of whatever they set.
  new MutationObserver(applyTitle).observe(document.head, {
    subtree: true,
    childList: true,
    characterData: true,
  });

  async function count() {
    const r = await api.alertList({ state: "open", limit: COUNT_LIMIT });
    openCount = r.ok ? r.value.alerts.length : null;
    applyTitle();
  }
  function recount() {
    if (recountTimer) clearTimeout(recountTimer);
    recountTimer = setTimeout(() => void count(), 200);
  }

  function notify(a: AlertChange) {
    if (!OPENING_EVENTS.has(a.event ?? "") || typeof Notification === "undefined") return;
    if (Notification.permission !== "granted") return;
    try {
      new Notification(a.title, {
        body: a.unitName ? `${a.unitName}: ${a.message}` : a.message,
        tag: a.id,
      });
    } catch {
      // Some browsers only notify from a service worker; the title count still shows it.
    }
  }

  function start() {
    if (stream) return;
    const url = api.alertStreamUrl();
    if (!url || typeof EventSource === "undefined") return;
    const es = new EventSource(url);
    stream = es;
    state = "reconnecting";
    es.addEventListener("alert", (ev) => {
      let a: AlertChange | null = null;
      try {
        a = JSON.parse((ev as MessageEvent).data) as AlertChange;
      } catch {
        a = null;
      }
      if (a && typeof a.id === "string") notify(a);
      recount();
      for (const fn of listeners) fn(a);
    });
    es.onopen = () => {
      state = "live";
      void count();
      for (const fn of listeners) fn(null);
    };
    es.onerror = () => {
      // EventSource retries by itself while the server is reachable; CLOSED means it gave up (a
      // 401 or 404 from the stream).
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        if (stream === es) stream = null;
        state = "unavailable";
      } else state = "reconnecting";
      for (const fn of listeners) fn(null);
    };
  }

  function stop() {
    stream?.close();
    stream = null;
    state = "unavailable";
    openCount = null;
    applyTitle();
  }

  return {
    listen(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    recount,
    setActive(active) {
      if (!active) stop();
      else if (!stream) {
        start();
        void count();
      }
    },
    restart() {
      stop();
      start();
      void count();
    },
    get state() {
      return state;
    },
  };
}
