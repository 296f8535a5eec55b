/**
 * The SQL client over better-sqlite3: synchronous connections, async callers.
 *
 * Which connection. Code that still uses a better-sqlite3 connection synchronously (the journal's
 * group commit, the registry, modules not yet converted) would otherwise share it with the
 * client's transactions: a synchronous write that ran while one was open (a promise chain woken
 * between two of its `tx` calls) landed inside it, and a rollback took that write, already
 * acknowledged to its caller, with it. So a client given a connection it does not own
 * (`ownsConnection` false) on a database file in WAL mode opens a connection of its own to the
 * same file, with the same settings (synchronous, foreign_keys, busy_timeout, wal_autocheckpoint),
 * and runs everything there; `close()` closes it, before the caller closes its own. WAL lets
 * readers on either connection read while the other writes; SQLite allows one writer at a time.
 * While a client transaction holds the write lock (BEGIN IMMEDIATE … COMMIT), the connections it
 * was given have busy_timeout 0: a synchronous write on them fails at once with SQLITE_BUSY
 * ("database is locked") to its own caller, instead of being rolled back silently, or of waiting
 * for a lock that only this thread can release (busy_timeout would stall the event loop, then fail
 * anyway). Their reads never wait (WAL) and see the last commit. The given connections are
 * registered per file, so two clients on one file in one process (two "instances" in a test)
 * protect each other's. A client transaction started from inside a synchronous transaction of a
 * given connection is refused at once, for the same reason. An in-memory database (or another
 * journal mode) cannot be opened twice: there, and when the client owns its connection (nobody
 * else writes on it), the client uses the connection it was given, as before.
 *
 * Every call runs synchronously when nothing else holds the client's connection and returns a
 * settled promise. A transaction takes the connection for itself, and calls from other async
 * callers queue behind it, in order: on one connection they would otherwise run inside the open
 * transaction. The lock is per database file, so two clients on the same file take turns too.
 *
 * A transaction must end within the event-loop turn that began it: its callback may await its own
 * `tx` calls (settled promises, so only microtasks pass) but nothing else. Code that uses the
 * other connection synchronously (the journal's group commit) runs from timers and I/O callbacks,
 * so it never meets the write lock; code woken by microtasks inside the transaction may, and then
 * fails loudly as said. A transaction still open at the next check phase of the event loop
 * (setImmediate) has waited on something else: it is rolled back there and then, and rejected.
 * On a shared connection (in-memory databases) that check is not a protection: callbacks that ran
 * before it (due timers, I/O) wrote inside the transaction and are rolled back with it.
 */
import { clearImmediate as realClearImmediate, setImmediate as realSetImmediate } from "node:timers";
import Database from "better-sqlite3";
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
  /** Connections to this file that other code writes on synchronously, beside a client's own. */
  readonly synchronous: Set<Database.Database>;
}

/** One lock per open database file (":memory:" and temp databases: per connection). */
const locks = new Map<string, ConnectionLock>();
const connectionLocks = new WeakMap<Database.Database, ConnectionLock>();

function lockFor(db: Database.Database): ConnectionLock {
  const known = connectionLocks.get(db);
  if (known) return known;
  const shared = db.memory || db.name === "" ? undefined : locks.get(db.name);
  const lock = shared ?? { busy: false, waiting: [], synchronous: new Set() };
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
  /**
   * The client may use `db` as its own connection, and closes it in `close()`: nobody else writes
   * on it. Default false: the caller opened it and may keep writing on it synchronously, so on a
   * file in WAL mode the client opens a connection of its own beside it (see above).
   */
  ownsConnection?: boolean;
}

/** A connection of the client's own to `given`'s file, or null when there cannot be one. */
function openBeside(given: Database.Database): Database.Database | null {
  if (given.memory || given.name === "" || given.readonly) return null;
  if (given.pragma("journal_mode", { simple: true }) !== "wal") return null;
  const own = new Database(given.name, { fileMustExist: true });
  // The same durability, constraints and checkpoint policy as the connection it stands beside.
  // busy_timeout: this connection only meets the write lock of another thread or process (the
  // given one's transactions are synchronous, so they never span a turn), where waiting helps.
  for (const setting of ["synchronous", "foreign_keys", "busy_timeout", "wal_autocheckpoint"]) {
    own.pragma(`${setting} = ${Number(given.pragma(setting, { simple: true }))}`);
  }
  return own;
}

/**
 * Gives the synchronous connections of the file busy_timeout 0 while a transaction of a client's own
 * connection holds the write lock; the returned function puts their timeouts back (once).
 */
function failFastWhileWriting(lock: ConnectionLock): () => void {
  const restore: [Database.Database, number][] = [];
  for (const other of lock.synchronous) {
    if (!other.open) continue;
    restore.push([other, Number(other.pragma("busy_timeout", { simple: true }))]);
    other.pragma("busy_timeout = 0");
  }
  return () => {
    for (const [other, ms] of restore.splice(0)) if (other.open) other.pragma(`busy_timeout = ${ms}`);
  };
}

export function createSqliteClient(given: Database.Database, options: SqliteClientOptions = {}): SqlClient {
  const own = options.ownsConnection ? null : openBeside(given);
  const db = own ?? given;
  const lock = lockFor(db);
  if (own) lock.synchronous.add(given);
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
    let restoreTimeouts = (): void => {};
    try {
      if (own) {
        for (const other of lock.synchronous) {
          if (other.open && other.inTransaction) {
            throw new Error(
              "a SQL client transaction was started from inside a synchronous transaction on another connection to " +
                `${db.name}: it would wait for a lock only that transaction's end releases; start it after that transaction`,
            );
          }
        }
        restoreTimeouts = failFastWhileWriting(lock);
      }
      db.exec("BEGIN IMMEDIATE");
      watch = realSetImmediate(() => {
        if (!state.open) return;
        state.open = false;
        state.abandoned = new Error(
          "a SQLite transaction waited on something other than its own queries (a timer, a request, another " +
            "client) and was rolled back: do only database work through `tx` inside a transaction, and the rest before or after it",
        );
        db.exec("ROLLBACK");
        restoreTimeouts();
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
      restoreTimeouts();
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
        if (own) {
          lock.synchronous.delete(given);
          own.close();
        } else if (options.ownsConnection) db.close();
      }),
  };
  return client;
}
