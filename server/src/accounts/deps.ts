import type { Db } from "../db/open.js";
import type { SqlClient } from "../db/sql/client.js";
import type { Audit } from "../registry/audit.js";

/**
 * What the accounts module is built from: the SQL client (SQLite or PostgreSQL, db/sql/) and a
 * clock. Audit rows go through the same client, in the change's own transaction.
 */
export interface AccountsDeps {
  sql: SqlClient;
  now: () => number;
}

/**
 * Erasure still runs on the synchronous SQLite connection (one transaction over most of the
 * registry's tables); it needs converting before PostgreSQL is wired in.
 */
export interface SqliteOnlyDeps {
  db: Db;
  audit: Audit;
  now: () => number;
}
