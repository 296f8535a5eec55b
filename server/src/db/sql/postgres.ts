/**
 * The SQL client over node-postgres (`pg.Pool`). Calls outside a transaction take any pooled
 * connection; a transaction holds one connection from BEGIN to COMMIT. A serialization failure
 * (40001) or a deadlock (40P01) rolls back and runs the callback again, after a short random
 * pause, up to `maxAttempts` tries (https://www.postgresql.org/docs/current/mvcc-serialization-failure-handling.html).
 *
 * BIGINT (and NUMERIC, which SUM and AVG return) come back as numbers, like SQLite's integers;
 * pg's default leaves them strings. A value JavaScript cannot hold exactly is refused.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import type { RunResult, SqlClient, SqlTransaction, SqlValue, TransactionOptions } from "./client.js";
import { statementText } from "./statement-text.js";
import {
  assertOpen,
  assertOutsideTransaction,
  insideTransaction,
  type TransactionState,
} from "./transaction-scope.js";
import { safeInteger, toDriverParams } from "./values.js";

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** SQLSTATEs after which running the whole transaction again may succeed. */
const RETRYABLE = new Set(["40001", "40P01"]);

function parseNumeric(text: string): number {
  const n = Number(text);
  if (/^-?\d+$/.test(text)) return safeInteger(text, "(numeric)");
  return n;
}

/** pg's type parsers, with BIGINT and NUMERIC as numbers; the pool's own, pg's globals untouched. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (format !== "binary") {
      if (oid === INT8_OID) return (text: string) => safeInteger(text, "(bigint)");
      if (oid === NUMERIC_OID) return parseNumeric;
    }
    return pg.types.getTypeParser(oid, format);
  },
};

export interface PostgresClientOptions {
  /** `postgres://user:password@host:port/database` (libpq's URL form, as pg reads it). */
  connectionString: string;
  /** Most connections the pool opens. Default 10. */
  max?: number;
  /** Shown in pg_stat_activity, to tell instances apart. */
  applicationName?: string;
  /** How long opening a connection may take before it fails; default no limit (pg's default). */
  connectTimeoutMs?: number;
  /** An idle pooled connection failed (the server restarted, the network dropped); the pool replaces it. */
  onIdleError?: (error: Error) => void;
}

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE.has(code);
}

export function createPostgresClient(options: PostgresClientOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "coldtrail",
    ...(options.connectTimeoutMs === undefined ? {} : { connectionTimeoutMillis: options.connectTimeoutMs }),
    types,
  });
  pool.on("error", (error) => options.onIdleError?.(error));

  async function query<T>(
    on: pg.Pool | pg.PoolClient,
    sql: string,
    params: readonly SqlValue[],
  ): Promise<pg.QueryResult> {
    const text = statementText("postgres", sql, params.length);
    return on.query<T & pg.QueryResultRow>(text, toDriverParams(sql, params));
  }

  function queries(on: pg.Pool | pg.PoolClient, check: (call: string) => void) {
    return {
      async query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
        check("query");
        return (await query<T>(on, sql, params)).rows as T[];
      },
      async get<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
        check("get");
        return (await query<T>(on, sql, params)).rows[0] as T | undefined;
      },
      async run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
        check("run");
        return { changes: (await query(on, sql, params)).rowCount ?? 0 };
      },
      async exec(sql: string): Promise<void> {
        check("exec");
        await on.query(sql);
      },
    };
  }

  async function attemptOnce<T>(
    fn: (tx: SqlTransaction) => Promise<T>,
    begin: string,
    attempt: number,
  ): Promise<T> {
    const connection = await pool.connect();
    const state: TransactionState = { owner: client, open: true };
    let broken: Error | undefined;
    try {
      await connection.query(begin);
      const tx: SqlTransaction = { attempt, ...queries(connection, (call) => assertOpen(state, call)) };
      const result = await insideTransaction(state, () => fn(tx));
      state.open = false;
      await connection.query("COMMIT");
      return result;
    } catch (error) {
      state.open = false;
      await connection.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: the pool closes it.
      connection.release(broken);
    }
  }

  async function transaction<T>(
    fn: (tx: SqlTransaction) => Promise<T>,
    txOptions: TransactionOptions = {},
  ): Promise<T> {
    assertOutsideTransaction(client, "transaction()");
    const maxAttempts = txOptions.maxAttempts ?? 5;
    const begin = txOptions.isolation === "serializable" ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN";
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptOnce(fn, begin, attempt);
      } catch (error) {
        if (!isRetryable(error) || attempt >= maxAttempts) throw error;
        await sleep(Math.floor(Math.random() * 20 * attempt) + 1);
      }
    }
  }

  const outside = queries(pool, (call) => assertOutsideTransaction(client, `${call}()`));
  // Closing twice (an owner's stop after a test's own close) waits for the first; pg.Pool throws.
  let closed: Promise<void> | undefined;
  const client: SqlClient = {
    backend: "postgres",
    ...outside,
    transaction,
    close: () => {
      closed ??= pool.end();
      return closed;
    },
  };
  return client;
}
