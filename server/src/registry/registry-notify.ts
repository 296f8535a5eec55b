import type { Backend, SqlQueries } from "../db/sql/client.js";
import { listenOn } from "../db/sql/pg-listen.js";
import type { CustodyIndex } from "./custody-index.js";
import type { RegistryIndex } from "./registry-index.js";

/** The PostgreSQL channel on which registry writes are announced to the other instances. */
export const REGISTRY_CHANNEL = "coldtrail_registry";

export type RegistryEntity = "unit" | "probe" | "batch";

/**
 * A change as it travels on the channel: `unit:<id>`, `probe:<id>` (with its attachments) or
 * `batch:<id>` (its custody and stored verdict).
 */
export function changePayload(entity: RegistryEntity, id: string): string {
  return `${entity}:${id}`;
}

/** The change a payload names, or null when it is not one of ours. */
export function parseChange(payload: string | undefined): { entity: RegistryEntity; id: string } | null {
  const m = /^(unit|probe|batch):(.+)$/.exec(payload ?? "");
  return m ? { entity: m[1] as RegistryEntity, id: m[2] as string } : null;
}

/**
 * Inside the writing transaction: on PostgreSQL, tells the other instances listening on
 * REGISTRY_CHANNEL that this unit, probe (with its attachments) or batch (custody, verdict)
 * changed; they reload it by id.
 * PostgreSQL delivers the notification only if the transaction commits. On SQLite (one instance)
 * there is nobody to tell.
 */
export async function announceChange(
  tx: SqlQueries,
  backend: Backend,
  entity: RegistryEntity,
  id: string,
): Promise<void> {
  if (backend !== "postgres") return;
  await tx.query("SELECT pg_notify(?, ?)", [REGISTRY_CHANNEL, changePayload(entity, id)]);
}

export interface RegistryListenerOptions {
  /** The PostgreSQL URL the instance's SQL client uses. */
  connectionString: string;
  /** Where the changed rows are read again (the instance's SQL client). */
  sql: SqlQueries;
  index: RegistryIndex;
  /** The batches' custody index: `batch:<id>` reads that batch again. */
  custody?: CustodyIndex;
  /** After a unit, probe or batch was read again (a batch's before and after are null), e.g. to tell calibration listeners (probes.calibrationChanged). */
  onReloaded?: (change: { entity: RegistryEntity; id: string; before: unknown; after: unknown }) => void;
  /** Listening failed or stopped; it starts again after `retryMs` and reads the whole index again. */
  onError?: (error: Error) => void;
  /** Listening again after a loss, with the indexes read again whole. */
  onResumed?: () => void;
  /** Default 1000. */
  retryMs?: number;
}

/**
 * One dedicated PostgreSQL connection LISTENing on REGISTRY_CHANNEL, so that units and probes
 * another instance changed reach this instance's index (registry-index.ts): each notification
 * reloads the one row it names (a probe with its attachments; a batch's custody into the custody
 * index). Notifications sent while the connection was down are lost, so after a reconnection both
 * indexes are read again whole.
 */
export async function startRegistryListener(
  options: RegistryListenerOptions,
): Promise<{ close(): Promise<void> }> {
  // Reloads run one at a time, in the order notified, so an older read never lands after a newer one.
  let queue: Promise<void> = Promise.resolve();

  const reload = (payload: string | undefined): void => {
    const change = parseChange(payload);
    if (!change) return;
    queue = queue.then(async () => {
      try {
        if (change.entity === "batch") {
          if (!options.custody) return;
          await options.custody.reloadBatch(options.sql, change.id);
          options.onReloaded?.({ ...change, before: null, after: null });
          return;
        }
        const before =
          change.entity === "unit" ? options.index.unit(change.id) : options.index.probe(change.id);
        if (change.entity === "unit") await options.index.reloadUnit(options.sql, change.id);
        else await options.index.reloadProbe(options.sql, change.id);
        const after =
          change.entity === "unit" ? options.index.unit(change.id) : options.index.probe(change.id);
        options.onReloaded?.({ ...change, before, after });
      } catch (error) {
        options.onError?.(error as Error);
      }
    });
  };

  const listening = await listenOn({
    connectionString: options.connectionString,
    channel: REGISTRY_CHANNEL,
    applicationName: "coldtrail-registry-listener",
    onNotification: reload,
    // What changed while nobody listened is not announced again.
    onResumed: () => {
      queue = queue
        .then(async () => {
          await options.index.load(options.sql);
          await options.custody?.load(options.sql);
          options.onResumed?.();
        })
        .catch((e: Error) => options.onError?.(e));
    },
    ...(options.onError && { onError: options.onError }),
    ...(options.retryMs !== undefined && { retryMs: options.retryMs }),
  });
  return {
    async close() {
      await listening.close();
      await queue;
    },
  };
}
