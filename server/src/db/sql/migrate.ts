/**
 * Applies the schema migrations a database has not seen yet (db/migrations.ts), each in its own
 * transaction with the version it leads to, on either backend:
 * - SQLite: the version is `PRAGMA user_version`, as the synchronous runner (db/migrate.ts) keeps
 *   it, so either runner can carry on where the other stopped; BEGIN IMMEDIATE makes a second
 *   process wait for the first.
 * - PostgreSQL: the version is the one row of `coldtrail_schema`; each transaction first takes a
 *   transaction-scoped advisory lock, so instances starting together apply each migration once,
 *   one after the other, and the later ones find nothing left to do.
 */
import { type Migration, SCHEMA_MIGRATIONS } from "../migrations.js";
import type { SqlClient, SqlTransaction } from "./client.js";

/** pg_advisory_xact_lock's key for schema migrations: any constant no other coldtrail lock uses. */
export const MIGRATION_LOCK_KEY = 7_263_010_411;

export interface MigrationOutcome {
  /** The schema version the database is at now. */
  version: number;
  /** How many migrations this call applied (0 when another instance had applied them). */
  applied: number;
}

async function versionOf(tx: SqlTransaction, client: SqlClient): Promise<number> {
  if (client.backend === "sqlite") {
    return (await tx.get<{ user_version: number }>("PRAGMA user_version"))?.user_version ?? 0;
  }
  await tx.run("SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))", [MIGRATION_LOCK_KEY]);
  await tx.exec(
    "CREATE TABLE IF NOT EXISTS coldtrail_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
  );
  return (
    (await tx.get<{ version: number }>("SELECT version FROM coldtrail_schema WHERE id = 1"))?.version ?? 0
  );
}

async function setVersion(tx: SqlTransaction, client: SqlClient, version: number): Promise<void> {
  if (client.backend === "sqlite") {
    await tx.exec(`PRAGMA user_version = ${Math.trunc(version)}`);
    return;
  }
  await tx.run(
    "INSERT INTO coldtrail_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
    [version],
  );
}

export async function migrateSql(
  client: SqlClient,
  migrations: readonly Migration[] = SCHEMA_MIGRATIONS,
): Promise<MigrationOutcome> {
  let applied = 0;
  for (;;) {
    const step = await client.transaction(async (tx) => {
      const current = await versionOf(tx, client);
      if (current > migrations.length) {
        throw new Error(
          `database schema version ${current} is newer than this coldtrail (${migrations.length}): upgrade coldtrail or restore a matching backup`,
        );
      }
      if (current === migrations.length) return { done: true, version: current };
      const migration = migrations[current] as Migration;
      for (const sql of migration[client.backend]) await tx.exec(sql);
      await setVersion(tx, client, current + 1);
      return { done: false, version: current + 1 };
    });
    if (step.done) return { version: step.version, applied };
    applied += 1;
  }
}
