/**
 * The SQL client the configuration asks for (issue #13), opened and migrated before anything uses
 * it: the modules on the SQL client (accounts, and the registry and alerts as they move onto it)
 * then follow `COLDTRAIL_DATABASE_URL` with no change of their own.
 *
 * - Unset: the data folder's SQLite file, on a connection of the client's own beside the one
 *   `openDatabase` gave (db/sql/sqlite.ts), as before. `openDatabase` has already applied the
 *   migrations there; `migrateSql` confirms the version (and applies nothing).
 * - `postgres://…`: a pg.Pool client. One `SELECT 1` first, so that a server that cannot be reached
 *   (or refuses the login, or lacks the database) is told apart from a migration that failed; then
 *   the shared migrations, under PostgreSQL's advisory lock, so that instances starting together
 *   apply each one once.
 *
 * A failure is a value naming the database with its password masked, what went wrong and what to
 * do; the process entry point turns it into one line and exit code 2 (app.ts).
 */
import type { Db } from "../open.js";
import type { SqlClient } from "./client.js";
import { maskDatabaseUrl } from "./database-url.js";
import { type MigrationOutcome, migrateSql } from "./migrate.js";
import { createPostgresClient } from "./postgres.js";
import { createSqliteClient } from "./sqlite.js";

export type DatabaseChoice = { kind: "sqlite" } | { kind: "postgres"; url: string };

export interface OpenSqlClientOptions {
  database: DatabaseChoice;
  /** The data folder's SQLite connection (openDatabase): used for the client when `database` is SQLite. */
  db: Db;
  /** Shown in PostgreSQL's pg_stat_activity (this instance's name). */
  applicationName?: string;
  /** How long opening a PostgreSQL connection may take. Default 10 s. */
  connectTimeoutMs?: number;
  /** Most pooled PostgreSQL connections. Default 10. */
  maxConnections?: number;
  /** A pooled PostgreSQL connection failed while idle (the pool replaces it). */
  onIdleError?: (error: Error) => void;
}

export type OpenedSqlClient =
  | {
      ok: true;
      sql: SqlClient;
      migration: MigrationOutcome;
      /** Where the client points, fit for a log line (password masked). */
      where: string;
    }
  | { ok: false; reason: string };

/** Start-up refused because the configured database cannot be used (exit code 2, like a bad setting). */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** PostgreSQL's application_name is cut at 63 bytes; keep it readable. */
const APPLICATION_NAME_MAX = 63;

/** What a node-postgres connection error means for the operator, with what to do about it. */
export function explainConnectError(error: unknown, url: string): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const host = parsed ? `${parsed.hostname}:${parsed.port || "5432"}` : "its host";
  const user = parsed ? decodeURIComponent(parsed.username) : "";
  const database = parsed ? decodeURIComponent(parsed.pathname.slice(1)) : "";
  if (["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"].includes(code)) {
    return `nothing answers at ${host} (${message}): start PostgreSQL there, or correct the host and port`;
  }
  if (/timeout/i.test(message)) {
    return `no answer from ${host} in time (${message}): start PostgreSQL there, or correct the host and port`;
  }
  if (code === "28P01" || code === "28000") {
    return `PostgreSQL refused the login of user "${user}" (${message}): check the user and password`;
  }
  if (code === "3D000") {
    return `database "${database}" does not exist on ${host}: create it (createdb ${database}) or name an existing one`;
  }
  return message;
}

export async function openSqlClient(options: OpenSqlClientOptions): Promise<OpenedSqlClient> {
  const { database } = options;
  if (database.kind === "sqlite") {
    const sql = createSqliteClient(options.db);
    try {
      const migration = await migrateSql(sql);
      return { ok: true, sql, migration, where: `sqlite:${options.db.name}` };
    } catch (error) {
      await sql.close();
      return {
        ok: false,
        reason: `cannot use the SQLite file ${options.db.name}: ${(error as Error).message}`,
      };
    }
  }

  const where = maskDatabaseUrl(database.url);
  const sql = createPostgresClient({
    connectionString: database.url,
    max: options.maxConnections,
    applicationName: (options.applicationName ?? "coldtrail").slice(0, APPLICATION_NAME_MAX),
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    onIdleError: options.onIdleError,
  });
  const refuse = async (reason: string): Promise<OpenedSqlClient> => {
    await sql.close().catch(() => {});
    return { ok: false, reason: withoutPassword(reason, database.url) };
  };
  try {
    await sql.get("SELECT 1 AS one");
  } catch (error) {
    return refuse(
      `cannot reach PostgreSQL at ${where} (COLDTRAIL_DATABASE_URL): ${explainConnectError(error, database.url)}; or unset COLDTRAIL_DATABASE_URL to keep the registry in SQLite in the data folder`,
    );
  }
  try {
    const migration = await migrateSql(sql);
    return { ok: true, sql, migration, where };
  } catch (error) {
    return refuse(
      `cannot bring the schema of PostgreSQL at ${where} (COLDTRAIL_DATABASE_URL) up to date: ${(error as Error).message}`,
    );
  }
}

/** A driver message quoting the password would leak it: every occurrence becomes ***. */
function withoutPassword(text: string, url: string): string {
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return text;
  }
  return password.length < 3 ? text : text.replaceAll(password, "***");
}
