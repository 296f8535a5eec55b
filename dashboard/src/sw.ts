/**
 * The service worker (`/sw.js`, scope `/`): shows a web push message as a notification and opens
 * the alert it is about when tapped. Bundled on its own by build.ts; it holds no cache and never
 * intercepts requests, so the app and the API behave exactly as without it.
 *
 * The DOM library has no service-worker event types (and the webworker library cannot share a
 * program with it), so the few shapes used are declared here.
 */

/** What the server sends (server/src/alerts/channels/webpush.ts `PushMessage`). */
interface PushMessage {
  title?: unknown;
  body?: unknown;
  url?: unknown;
  tag?: unknown;
}

interface ExtendableEventLike extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface PushEventLike extends ExtendableEventLike {
  data: { json(): unknown; text(): string } | null;
}
interface NotificationEventLike extends ExtendableEventLike {
  notification: Notification;
}
interface WindowClientLike {
  url: string;
  focus(): Promise<unknown>;
  navigate(url: string): Promise<unknown>;
}
interface ServiceWorkerScopeLike {
  registration: ServiceWorkerRegistration;
  location: Location;
  clients: {
    matchAll(o: { type: "window"; includeUncontrolled: boolean }): Promise<WindowClientLike[]>;
    openWindow(url: string): Promise<unknown>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: "install" | "activate", fn: (e: ExtendableEventLike) => void): void;
  addEventListener(type: "push", fn: (e: PushEventLike) => void): void;
  addEventListener(type: "notificationclick", fn: (e: NotificationEventLike) => void): void;
}

const sw = self as unknown as ServiceWorkerScopeLike;

/** Only a path on this site: a notification never sends anyone elsewhere. */
function samePath(url: unknown): string {
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : "/alerts";
}

function readMessage(e: PushEventLike): Required<{ [K in keyof PushMessage]: string }> {
  let m: PushMessage = {};
  try {
    m = (e.data?.json() ?? {}) as PushMessage;
  } catch {
    m = { body: e.data?.text() };
  }
  return {
    title: typeof m.title === "string" && m.title ? m.title : "coldtrail: an alert needs you",
    body: typeof m.body === "string" ? m.body : "Open coldtrail to see it.",
    url: samePath(m.url),
    tag: typeof m.tag === "string" ? m.tag : "coldtrail",
  };
}

sw.addEventListener("install", (e) => e.waitUntil(sw.skipWaiting()));
sw.addEventListener("activate", (e) => e.waitUntil(sw.clients.claim()));

sw.addEventListener("push", (e) => {
  const m = readMessage(e);
  e.waitUntil(
    sw.registration.showNotification(m.title, {
      body: m.body,
      tag: m.tag,
      data: { url: m.url },
      // A reminder of the same alert replaces the earlier notification but still alerts.
      renotify: true,
    } as NotificationOptions),
  );
});

sw.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const url = samePath((e.notification.data as { url?: unknown } | null)?.url);
  e.waitUntil(
    (async () => {
      const open = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
      const mine = open.find((c) => new URL(c.url).origin === sw.location.origin);
      if (mine) {
        await mine.navigate(url);
        await mine.focus();
      } else await sw.clients.openWindow(url);
    })(),
  );
});
