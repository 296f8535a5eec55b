/**
 * The asynchronous SQL client the registry, accounts and alerts modules move onto (issue #13), so
 * that one module runs on SQLite (the zero-setup default) or PostgreSQL (several instances).
 *
 * SQL is written once, in the dialect both understand (`?` placeholders, `ON CONFLICT … DO …`,
 * `RETURNING`, `CAST`, no `INSERT OR …`, no SQLite-only functions); where the two must differ the
 * caller branches on `backend`. Values come back the same on both: integers as numbers (a value
 * beyond ±2^53−1 is refused, never rounded), REAL / DOUBLE PRECISION as numbers, TEXT as strings,
 * BLOB / BYTEA as Buffers, NULL as null. Booleans are stored as 0/1 integers on both (the schema
 * has no BOOLEAN columns), so a `true` parameter is sent as 1.
 */

export type Backend = "sqlite" | "postgres";

export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

export type Row = Record<string, unknown>;

export interface RunResult {
  /** Rows inserted, updated or deleted by the statement. */
  changes: number;
}

export interface SqlQueries {
  /** Every row of a SELECT, or of an INSERT / UPDATE / DELETE … RETURNING (none for other statements). */
  query<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, or undefined when there is none. */
  get<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement run for its effect: how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  /** One or more statements without parameters, run as written (schema changes). */
  exec(sql: string): Promise<void>;
}

export interface SqlTransaction extends SqlQueries {
  /** 1 on the first try; higher when PostgreSQL asked for the transaction to be run again. */
  readonly attempt: number;
}

export interface TransactionOptions {
  /**
   * PostgreSQL's isolation level (SQLite's transactions are always serializable: one writer).
   * Default "read-committed".
   */
  isolation?: "read-committed" | "serializable";
  /** Tries in all when PostgreSQL reports a serialization failure or a deadlock. Default 5. */
  maxAttempts?: number;
}

export interface SqlClient extends SqlQueries {
  readonly backend: Backend;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. On
   * PostgreSQL a serialization failure or deadlock runs `fn` again (up to `maxAttempts`), so `fn`
   * must do nothing but database work through `tx`: no I/O of its own, no effects outside the
   * database. On SQLite this is enforced: the transaction holds the write lock of the file, so it
   * must end within the turn of the event loop that began it (see sqlite.ts); one that waits on
   * anything else is rolled back and rejected.
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Waits for work in progress and closes the connection(s). */
  close(): Promise<void>;
}
