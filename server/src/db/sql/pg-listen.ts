import pg from "pg";

export interface PgListenOptions {
  /** The PostgreSQL URL the instance's SQL client uses. */
  connectionString: string;
  /** The channel to LISTEN on: a plain identifier (a constant of ours, never input). */
  channel: string;
  /** Names the connection in pg_stat_activity. */
  applicationName: string;
  /** Each notification on the channel, in the order PostgreSQL delivers them (commit order). */
  onNotification: (payload: string | undefined) => void;
  /**
   * Listening again after the connection was lost: notifications sent meanwhile are lost, so
   * whatever they would have said must be read again whole.
   */
  onResumed: () => void;
  /** Listening failed or stopped; it starts again after `retryMs`. */
  onError?: (error: Error) => void;
  /** Default 1000. */
  retryMs?: number;
}

/**
 * One dedicated PostgreSQL connection LISTENing on one channel, connected again `retryMs` after it
 * is lost (for as long as it is not closed). The first connection's failure rejects the returned
 * promise; later ones go to `onError`.
 */
export async function listenOn(options: PgListenOptions): Promise<{ close(): Promise<void> }> {
  const retryMs = options.retryMs ?? 1000;
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  const lost = (error: Error): void => {
    if (closed) return;
    options.onError?.(error);
    const c = client;
    client = null;
    c?.removeAllListeners();
    c?.end().catch(() => undefined);
    retry ??= setTimeout(() => {
      retry = null;
      connect(true).catch(lost);
    }, retryMs);
  };

  async function connect(again: boolean): Promise<void> {
    const c = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
    });
    c.on("notification", (n) => {
      if (n.channel === options.channel) options.onNotification(n.payload);
    });
    c.on("error", lost);
    c.on("end", () => lost(new Error(`the ${options.applicationName} PostgreSQL connection ended`)));
    await c.connect();
    await c.query(`LISTEN ${options.channel}`);
    if (closed) {
      await c.end();
      return;
    }
    client = c;
    if (again) options.onResumed();
  }

  await connect(false);
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      c?.removeAllListeners();
      await c?.end();
    },
  };
}
