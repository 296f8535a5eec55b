import type { Db } from "../db/open.js";
import type { SqlQueries } from "../db/sql/client.js";

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  /** The actor's account name (a deleted account's is its tombstone name); null for "system". */
  actorName: string | null;
  action: string;
  entity: string;
  entityId: string;
  details: unknown;
}

const INSERT_SQL =
  "INSERT INTO audit (at_ms, actor, action, entity, entity_id, details) VALUES (?, ?, ?, ?, ?, ?)";
const BY_ENTITY_SQL = `SELECT au.id, au.at_ms, au.actor, a.name AS actor_name, au.action, au.entity, au.entity_id, au.details
     FROM audit au LEFT JOIN account a ON a.id = au.actor WHERE au.entity = ? AND au.entity_id = ? ORDER BY au.id`;

const toEntry = (r: Record<string, unknown>): AuditEntry => ({
  id: r.id as number,
  at: new Date(r.at_ms as number).toISOString(),
  actor: r.actor as string,
  actorName: (r.actor_name as string | null) ?? null,
  action: r.action as string,
  entity: r.entity as string,
  entityId: r.entity_id as string,
  details: r.details === null ? null : JSON.parse(r.details as string),
});

/** INSERT_SQL's parameters; details as JSON text. */
function auditRow(
  atMs: number,
  actor: string,
  action: string,
  entity: string,
  entityId: string,
  details: unknown,
): [number, string, string, string, string, string | null] {
  return [atMs, actor, action, entity, entityId, details === undefined ? null : JSON.stringify(details)];
}

/**
 * The audit row of a change, written through the SQL client (either backend): pass the change's
 * own transaction, so the row commits or rolls back with it.
 */
export async function recordAudit(
  q: SqlQueries,
  atMs: number,
  actor: string,
  action: string,
  entity: string,
  entityId: string,
  details?: unknown,
): Promise<void> {
  await q.run(INSERT_SQL, auditRow(atMs, actor, action, entity, entityId, details));
}

/** One entity's audit entries, oldest first, through the SQL client. */
export async function auditEntriesFor(
  q: SqlQueries,
  entity: string,
  entityId: string,
): Promise<AuditEntry[]> {
  return (await q.query<Record<string, unknown>>(BY_ENTITY_SQL, [entity, entityId])).map(toEntry);
}

/**
 * A synchronous reader on the better-sqlite3 connection of this instance's file, for tests and the
 * server's `parts`: every audit row is written through the SQL client (`recordAudit`), in the
 * transaction of the change it records. On PostgreSQL read with `auditEntriesFor`.
 */
export function createAudit(db: Db) {
  const byEntity = db.prepare(BY_ENTITY_SQL);
  return {
    forEntity(entity: string, entityId: string): AuditEntry[] {
      return (byEntity.all(entity, entityId) as Record<string, unknown>[]).map(toEntry);
    },
  };
}
export type Audit = ReturnType<typeof createAudit>;
