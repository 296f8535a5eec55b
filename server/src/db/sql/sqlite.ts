/**
 * The SQL client over better-sqlite3: one synchronous connection, async callers.
 *
 * Every call runs synchronously when nothing else holds the connection and returns a settled
 * promise. A transaction takes the connection for itself (BEGIN IMMEDIATE … COMMIT), and calls from
 * other async callers queue behind it, in order: on one connection they would otherwise run inside
 * the open transaction. The lock is per database file, so two clients on the same file in one
 * process (two "instances" in a test) take turns too.
 *
 * A transaction must end within the event-loop turn that began it: its callback may await its own
 * `tx` calls (settled promises, so only microtasks pass) but nothing else. Code that still uses the
 * connection synchronously (the journal's group commit, modules not yet converted) runs from timers
 * and I/O callbacks, so it can never land inside an open transaction, where a rollback would take
 * its acknowledged writes with it. A transaction still open at the next check phase of the event
 * loop (setImmediate) has waited on something else: it is rolled back there and then, and rejected.
 * That check makes a broken rule fail loudly, in tests first; it is not a protection: callbacks
 * that ran before it (due timers, I/O) wrote inside the transaction and are rolled back with it.
 */
import { clearImmediate as realClearImmediate, setImmediate as realSetImmediate } from "node:timers";
import type Database from "better-sqlite3";
import type { RunResult, SqlClient, SqlTransaction, SqlValue, TransactionOptions } from "./client.js";
import { statementText } from "./statement-text.js";
import {
  assertOpen,
  assertOutsideTransaction,
  insideTransaction,
  type TransactionState,
} from "./transaction-scope.js";
import { numbersForBigints, toDriverParams } from "./values.js";

interface ConnectionLock {
  busy: boolean;
  readonly waiting: (() => void)[];
}

/** One lock per open database file (":memory:" and temp databases: per connection). */
const locks = new Map<string, ConnectionLock>();
const connectionLocks = new WeakMap<Database.Database, ConnectionLock>();

function lockFor(db: Database.Database): ConnectionLock {
  const known = connectionLocks.get(db);
  if (known) return known;
  const shared = db.memory || db.name === "" ? undefined : locks.get(db.name);
  const lock = shared ?? { busy: false, waiting: [] };
  if (!shared && !db.memory && db.name !== "") locks.set(db.name, lock);
  connectionLocks.set(db, lock);
  return lock;
}

/** Resolves once the caller holds the lock (at once, synchronously settled, when it is free). */
function acquire(lock: ConnectionLock): Promise<void> | undefined {
  if (!lock.busy) {
    lock.busy = true;
    return undefined;
  }
  return new Promise((resolve) => lock.waiting.push(resolve));
}

function release(lock: ConnectionLock): void {
  const next = lock.waiting.shift();
  if (next) next();
  else lock.busy = false;
}

export interface SqliteClientOptions {
  /** Close the better-sqlite3 connection in `close()`. Default false: the caller opened it. */
  ownsConnection?: boolean;
}

export function createSqliteClient(db: Database.Database, options: SqliteClientOptions = {}): SqlClient {
  const lock = lockFor(db);
  const statements = new Map<string, Database.Statement>();

  function statement(sql: string, params: readonly SqlValue[]): Database.Statement {
    const text = statementText("sqlite", sql, params.length);
    let stmt = statements.get(text);
    if (!stmt) {
      // SQL strings are constants in the code; the cap only guards against SQL built from data.
      if (statements.size >= 2000) statements.clear();
      stmt = db.prepare(text);
      if (stmt.reader) stmt.safeIntegers(true);
      statements.set(text, stmt);
    }
    return stmt;
  }

  const direct = {
    query<T extends object>(sql: string, params: readonly SqlValue[] = []): T[] {
      const stmt = statement(sql, params);
      const driverParams = toDriverParams(sql, params);
      if (!stmt.reader) {
        stmt.run(...driverParams);
        return [];
      }
      return (stmt.all(...driverParams) as T[]).map(numbersForBigints);
    },
    get<T extends object>(sql: string, params: readonly SqlValue[] = []): T | undefined {
      const stmt = statement(sql, params);
      const driverParams = toDriverParams(sql, params);
      if (!stmt.reader) {
        stmt.run(...driverParams);
        return undefined;
      }
      const row = stmt.get(...driverParams) as T | undefined;
      return row === undefined ? undefined : numbersForBigints(row);
    },
    run(sql: string, params: readonly SqlValue[] = []): RunResult {
      const stmt = statement(sql, params);
      const driverParams = toDriverParams(sql, params);
      if (stmt.reader) return { changes: stmt.all(...driverParams).length };
      return { changes: stmt.run(...driverParams).changes };
    },
    exec(sql: string): void {
      db.exec(sql);
    },
  };

  /** Runs `work` once the connection is free; synchronously when it already is. */
  function whenFree<T>(call: string, work: () => T): Promise<T> {
    assertOutsideTransaction(lock, call);
    const wait = acquire(lock);
    if (wait === undefined) {
      try {
        return Promise.resolve(work());
      } catch (error) {
        return Promise.reject(error);
      } finally {
        release(lock);
      }
    }
    return wait.then(() => {
      try {
        return work();
      } finally {
        release(lock);
      }
    });
  }

  function transactionHandle(state: TransactionState & { abandoned?: Error }): SqlTransaction {
    const guarded = <T>(call: string, work: () => T): Promise<T> => {
      try {
        if (state.abandoned) throw state.abandoned;
        assertOpen(state, call);
        return Promise.resolve(work());
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return {
      attempt: 1,
      query: (sql, params) => guarded("query", () => direct.query(sql, params)),
      get: (sql, params) => guarded("get", () => direct.get(sql, params)),
      run: (sql, params) => guarded("run", () => direct.run(sql, params)),
      exec: (sql) => guarded("exec", () => direct.exec(sql)),
    };
  }

  async function transaction<T>(
    fn: (tx: SqlTransaction) => Promise<T>,
    _options?: TransactionOptions,
  ): Promise<T> {
    assertOutsideTransaction(lock, "transaction()");
    const wait = acquire(lock);
    if (wait !== undefined) await wait;
    const state: TransactionState & { abandoned?: Error } = { owner: lock, open: true };
    let watch: NodeJS.Immediate | undefined;
    try {
      db.exec("BEGIN IMMEDIATE");
      watch = realSetImmediate(() => {
        if (!state.open) return;
        state.open = false;
        state.abandoned = new Error(
          "a SQLite transaction waited on something other than its own queries (a timer, a request, another " +
            "client) and was rolled back: do only database work through `tx` inside a transaction, and the rest before or after it",
        );
        db.exec("ROLLBACK");
      });
      const result = await insideTransaction(state, () => fn(transactionHandle(state)));
      if (state.abandoned) throw state.abandoned;
      state.open = false;
      db.exec("COMMIT");
      return result;
    } catch (error) {
      state.open = false;
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    } finally {
      if (watch) realClearImmediate(watch);
      release(lock);
    }
  }

  const client: SqlClient = {
    backend: "sqlite",
    query: (sql, params) => whenFree("query()", () => direct.query(sql, params)),
    get: (sql, params) => whenFree("get()", () => direct.get(sql, params)),
    run: (sql, params) => whenFree("run()", () => direct.run(sql, params)),
    exec: (sql) => whenFree("exec()", () => direct.exec(sql)),
    transaction,
    close: () =>
      whenFree("close()", () => {
        statements.clear();
        if (options.ownsConnection) db.close();
      }),
  };
  return client;
}
