/**
 * The contract-suite helper: the same tests on SQLite and on PostgreSQL, each test on a database
 * of its own, on real parts (a SQLite file in WAL mode as `openDatabase` sets it up; the test
 * file's own PostgreSQL from ./postgres.ts, one server per test file, a database per test).
 *
 *   describeBackends("unit leases", (open) => {
 *     it("…", async () => {
 *       const { client, connect } = await open();
 *       …
 *     });
 *   });
 *
 * Clients and databases are closed and removed after each test. `COLDTRAIL_SKIP_POSTGRES=1` skips
 * the PostgreSQL half (say so when you use it: the contract is then half-checked).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe } from "vitest";
import type { Backend, SqlClient } from "../src/db/sql/client.js";
import { createPostgresClient } from "../src/db/sql/postgres.js";
import { createSqliteClient } from "../src/db/sql/sqlite.js";
import { type PostgresHarness, startPostgres } from "./postgres.js";

export interface TestDatabase {
  readonly backend: Backend;
  /** A client on this test's own empty database. */
  readonly client: SqlClient;
  /** Another client on the same database, as a second coldtrail instance would have. */
  connect(): Promise<SqlClient>;
  /** PostgreSQL only: the database's URL, for a connection of the test's own (e.g. a LISTEN). */
  readonly url?: string;
}

export type OpenDatabase = () => Promise<TestDatabase>;

const skipPostgres = process.env.COLDTRAIL_SKIP_POSTGRES === "1";

let server: Promise<PostgresHarness> | undefined;
let serverStopRegistered = false;

function postgresServer(): Promise<PostgresHarness> {
  server ??= startPostgres();
  return server;
}

/** `openDatabase`'s settings (db/open.ts), without its migrations: tests choose. */
function openSqliteFile(file: string): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  return db;
}

export interface DescribeBackendsOptions {
  /** Run on these backends only (tests of one backend's own behaviour). Default both. */
  only?: readonly Backend[];
}

export function describeBackends(
  name: string,
  body: (open: OpenDatabase) => void,
  options: DescribeBackendsOptions = {},
): void {
  const on = (backend: Backend) => options.only === undefined || options.only.includes(backend);
  if (!serverStopRegistered && !skipPostgres && on("postgres")) {
    serverStopRegistered = true;
    afterAll(async () => {
      const started = server;
      server = undefined;
      if (started) await (await started).stop();
    });
  }

  describe.runIf(on("sqlite"))(`${name} (sqlite)`, () => {
    let dir = "";
    let files = 0;
    const opened: SqlClient[] = [];
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "coldtrail-backends-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    afterEach(async () => {
      for (const client of opened.splice(0)) await client.close();
    });
    body(async () => {
      files += 1;
      const file = join(dir, `test-${files}.sqlite`);
      const connect = async (): Promise<SqlClient> => {
        const client = createSqliteClient(openSqliteFile(file), { ownsConnection: true });
        opened.push(client);
        return client;
      };
      return { backend: "sqlite", client: await connect(), connect };
    });
  });

  describe.runIf(on("postgres") && !skipPostgres)(`${name} (postgres)`, () => {
    const opened: SqlClient[] = [];
    const databases: string[] = [];
    beforeAll(async () => {
      await postgresServer();
    });
    afterEach(async () => {
      for (const client of opened.splice(0)) await client.close();
      const harness = await postgresServer();
      for (const url of databases.splice(0)) await harness.dropDatabase(url);
    });
    body(async () => {
      const url = await (await postgresServer()).createDatabase();
      databases.push(url);
      const connect = async (): Promise<SqlClient> => {
        const client = createPostgresClient({ connectionString: url, max: 4 });
        opened.push(client);
        return client;
      };
      return { backend: "postgres", client: await connect(), connect, url };
    });
  });
}
