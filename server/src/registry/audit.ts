import type { Db } from "../db/open.js";

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  details: unknown;
}

/** Every change to the registry is written here, in the same transaction as the change. */
export function createAudit(db: Db) {
  const insert = db.prepare(
    "INSERT INTO audit (at_ms, actor, action, entity, entity_id, details) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const byEntity = db.prepare(
    "SELECT id, at_ms, actor, action, entity, entity_id, details FROM audit WHERE entity = ? AND entity_id = ? ORDER BY id",
  );
  return {
    record(
      atMs: number,
      actor: string,
      action: string,
      entity: string,
      entityId: string,
      details?: unknown,
    ): void {
      insert.run(
        atMs,
        actor,
        action,
        entity,
        entityId,
        details === undefined ? null : JSON.stringify(details),
      );
    },
    forEntity(entity: string, entityId: string): AuditEntry[] {
      return (byEntity.all(entity, entityId) as Record<string, unknown>[]).map((r) => ({
        id: r.id as number,
        at: new Date(r.at_ms as number).toISOString(),
        actor: r.actor as string,
        action: r.action as string,
        entity: r.entity as string,
        entityId: r.entity_id as string,
        details: r.details === null ? null : JSON.parse(r.details as string),
      }));
    },
  };
}
export type Audit = ReturnType<typeof createAudit>;
