import type { SqlQueries } from "../db/sql/client.js";
import { listenOn } from "../db/sql/pg-listen.js";
import type { AlertHub } from "./hub.js";

/** The PostgreSQL channel on which committed alert events are announced; the payload is the event id. */
export const ALERT_CHANNEL = "coldtrail_alerts";

/**
 * Inside an alert change's transaction, on PostgreSQL: tells every instance's SSE streams that
 * event `eventId` commits with it (PostgreSQL delivers the notification only on commit, in commit
 * order). The streams read the rows after their cursors, so the id only wakes them.
 */
export async function announceAlertEvent(tx: SqlQueries, eventId: number): Promise<void> {
  await tx.query("SELECT pg_notify(?, ?)", [ALERT_CHANNEL, String(eventId)]);
}

/**
 * Several instances on one PostgreSQL: alert events another instance committed reach this one's
 * SSE streams (a dashboard connected here sees the lease holder's changes). Each notification
 * pokes the hub; so does a reconnection (what was announced meanwhile is read after each
 * stream's cursor all the same). Close it before the SQL client.
 */
export function followAlertEvents(options: {
  connectionString: string;
  hub: AlertHub;
  onError: (error: Error) => void;
  retryMs?: number;
}): Promise<{ close(): Promise<void> }> {
  return listenOn({
    connectionString: options.connectionString,
    channel: ALERT_CHANNEL,
    applicationName: "coldtrail-alert-listener",
    onNotification: () => options.hub.poke(),
    onResumed: () => options.hub.poke(),
    onError: options.onError,
    ...(options.retryMs !== undefined && { retryMs: options.retryMs }),
  });
}
