import type { Backend, SqlQueries } from "../db/sql/client.js";

/** The PostgreSQL channel on which registry writes are announced to the other instances. */
export const REGISTRY_CHANNEL = "coldtrail_registry";

export type RegistryEntity = "unit" | "probe";

/** A change as it travels on the channel: `unit:<id>` or `probe:<id>`. */
export function changePayload(entity: RegistryEntity, id: string): string {
  return `${entity}:${id}`;
}

/** The change a payload names, or null when it is not one of ours. */
export function parseChange(payload: string | undefined): { entity: RegistryEntity; id: string } | null {
  const m = /^(unit|probe):(.+)$/.exec(payload ?? "");
  return m ? { entity: m[1] as RegistryEntity, id: m[2] as string } : null;
}

/**
 * Inside the writing transaction: on PostgreSQL, tells the other instances listening on
 * REGISTRY_CHANNEL that this unit or probe (with its attachments) changed; they reload it by id.
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
