import type { AlertEvent } from "./types.js";

/**
 * In-process fan-out of committed alert events to live SSE connections. Durable history lives in
 * the `alert_event` table; this only carries what happens while a client is connected.
 */
export function createAlertHub() {
  const listeners = new Set<(e: AlertEvent) => void>();
  const closers = new Set<() => void>();
  return {
    subscribe(fn: (e: AlertEvent) => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    publish(e: AlertEvent): void {
      for (const fn of listeners) fn(e);
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
