/// <reference lib="dom" />
/**
 * Web push on this device: whether the browser can, registering the service worker (`/sw.js`),
 * subscribing with the server's VAPID key and telling the server. Every failure comes back as
 * words a person can act on, never as the browser's exception text alone.
 */
import type { ApiClient } from "../api/client.js";

export type Outcome = { ok: true } | { ok: false; reason: string };

/** Whether this browser has what push needs (service workers, PushManager, notifications). */
export function pushSupport(): Outcome {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window))
    return {
      ok: false,
      reason:
        "This browser cannot show push notifications. On an iPhone, add coldtrail to the Home Screen first (Share → Add to Home Screen) and open it from there; otherwise use a recent Chrome, Edge, Firefox or Safari.",
    };
  if (!window.isSecureContext)
    return {
      ok: false,
      reason: "Push notifications need a secure (https) address for coldtrail; ask whoever runs it.",
    };
  return { ok: true };
}

async function registration(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  return navigator.serviceWorker.ready;
}

/** This device's current subscription, or null (also when push is not possible here). */
export async function thisDeviceSubscription(): Promise<PushSubscription | null> {
  if (!pushSupport().ok) return null;
  const reg = await navigator.serviceWorker.getRegistration("/");
  return reg ? reg.pushManager.getSubscription() : null;
}

function keyBytes(base64url: string): Uint8Array {
  const b64 = base64url
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export async function subscribeThisDevice(api: ApiClient): Promise<Outcome> {
  const support = pushSupport();
  if (!support.ok) return support;
  const permission = await Notification.requestPermission();
  if (permission !== "granted")
    return {
      ok: false,
      reason:
        permission === "denied"
          ? "Notifications are blocked for coldtrail in this browser. Allow them in the browser's site settings (the padlock next to the address), then try again."
          : "The browser did not allow notifications. Try again and choose Allow.",
    };
  const key = await api.pushKey();
  if (!key.ok) return { ok: false, reason: `The server could not give its push key: ${key.message}` };
  let sub: PushSubscription;
  try {
    const reg = await registration();
    sub = await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(key.value.publicKey) as BufferSource,
    });
  } catch (e) {
    return {
      ok: false,
      reason: `This browser refused to subscribe to push notifications (${(e as Error).message || (e as Error).name}). Email still works.`,
    };
  }
  const r = await api.subscribePush(sub.toJSON());
  if (!r.ok) {
    await sub.unsubscribe().catch(() => undefined);
    return { ok: false, reason: `The server did not take this device: ${r.message}` };
  }
  return { ok: true };
}

export async function unsubscribeThisDevice(api: ApiClient): Promise<Outcome> {
  const sub = await thisDeviceSubscription();
  if (!sub) return { ok: true };
  const r = await api.unsubscribePush(sub.endpoint);
  await sub.unsubscribe().catch(() => undefined);
  if (!r.ok && r.status !== 404)
    return { ok: false, reason: `The server could not forget this device: ${r.message}` };
  return { ok: true };
}
