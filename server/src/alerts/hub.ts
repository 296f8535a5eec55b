import type { AlertEvent } from "./types.js";

/**
 * In-process fan-out to live SSE connections of "alert events committed": each connection then
 * reads the `alert_event` rows after its own cursor (routes.ts), so the hub carries no history,
 * only the wake-up. Changes this instance committed publish here; on PostgreSQL so do the other
 * instances' changes, announced on ALERT_CHANNEL (alert-notify.ts).
 */
export function createAlertHub() {
  const listeners = new Set<() => void>();
  const closers = new Set<() => void>();
  return {
    /** `fn` runs whenever events may have committed after the subscriber's cursor. */
    subscribe(fn: () => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** This instance committed `_e`. */
    publish(_e: AlertEvent): void {
      for (const fn of listeners) fn();
    },
    /** Events committed elsewhere (another instance), or perhaps missed: read after the cursor. */
    poke(): void {
      for (const fn of listeners) fn();
    },
    /** Registers a connection to end at shutdown; returns its deregistration. */
    onClose(fn: () => void): () => void {
      closers.add(fn);
      return () => closers.delete(fn);
    },
    closeAll(): void {
      for (const fn of [...closers]) fn();
      closers.clear();
    },
    get connections(): number {
      return closers.size;
    },
  };
}
export type AlertHub = ReturnType<typeof createAlertHub>;
