/**
 * A real PostgreSQL (Debian's `postgresql` package) for tests: one server per test file, in its own
 * temp folder, on a free loopback port, TCP only; each test makes its own database with
 * `createDatabase()`. PostgreSQL refuses to run as root, so when the tests run as root (here and in
 * CI) initdb and postgres run as the `postgres` OS user the package creates (setpriv, which execs in
 * place: the supervised pid is postgres itself).
 *
 * `COLDTRAIL_TEST_DATABASE_URL` (a superuser URL) uses that server instead and starts nothing.
 * Durability is switched off (fsync, full_page_writes): these databases live for one test run.
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort, superviseDaemon } from "../../test/processes.js";

export interface PostgresHarness {
  /** Superuser URL of the server's `postgres` database. */
  readonly url: string;
  /** The server's temp folder (data directory inside), or null for an external server. */
  readonly dir: string | null;
  /** A new empty database that no other test uses; resolves to its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Drops a database made by `createDatabase` (closing its other connections first). */
  dropDatabase(url: string): Promise<void>;
  /** Stops the server and deletes its folder (nothing when the server was external). */
  stop(): Promise<void>;
}

export class PostgresNotInstalledError extends Error {
  override readonly name = "PostgresNotInstalledError";
}

const DEBIAN_ROOT = "/usr/lib/postgresql";

/** The bin folder of the newest PostgreSQL Debian installed (`/usr/lib/postgresql/<major>/bin`), or null. */
export function findPostgresBin(root = DEBIAN_ROOT): string | null {
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length === 0 ? null : join(root, majors[0] as string, "bin");
}

/** Whether PostgreSQL tests can run: an external server is configured or Debian's binaries exist. */
export function postgresAvailable(): boolean {
  return Boolean(process.env.COLDTRAIL_TEST_DATABASE_URL) || findPostgresBin() !== null;
}

export async function startPostgres(): Promise<PostgresHarness> {
  const external = process.env.COLDTRAIL_TEST_DATABASE_URL;
  if (external !== undefined && external !== "") return harnessFor(external, null, async () => {});

  const bin = findPostgresBin();
  if (bin === null) {
    throw new PostgresNotInstalledError(
      `no PostgreSQL under ${DEBIAN_ROOT}/<version>/bin: install it with "apt-get install postgresql", ` +
        "or set COLDTRAIL_TEST_DATABASE_URL to a superuser URL of a running server, " +
        "or COLDTRAIL_SKIP_POSTGRES=1 to skip the PostgreSQL tests.",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-postgres-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const runAs = (binary: string, args: readonly string[]): [string, string[]] =>
    asRoot
      ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", binary, ...args]]
      : [binary, [...args]];
  if (asRoot) chownSync(dir, ...postgresIds());

  const [initCommand, initArgs] = runAs(join(bin, "initdb"), [
    "--pgdata",
    data,
    "--username",
    "postgres",
    "--auth",
    "trust",
    "--encoding",
    "UTF8",
    "--locale",
    "C",
    "--no-sync",
    "--no-instructions",
  ]);
  const init = spawnSync(initCommand, initArgs, { encoding: "utf8" });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status ?? init.error}): ${`${init.stderr}${init.stdout}`.trim()}`);
  }

  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const [command, args] = runAs(join(bin, "postgres"), [
    "-D",
    data,
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-k",
    "",
    "-c",
    "fsync=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "synchronous_commit=off",
    // A deadlock is found after this long; the SQL client's retry tests make one on purpose.
    "-c",
    "deadlock_timeout=200ms",
    "-c",
    "log_min_messages=warning",
    // Small: several test files run a server each at once on a 2-core machine; no parallel query
    // workers, whose shared memory a container's small /dev/shm may not hold.
    "-c",
    "shared_buffers=16MB",
    "-c",
    "max_connections=40",
    "-c",
    "max_parallel_workers_per_gather=0",
  ]);
  const daemon = superviseDaemon({
    name: "postgres",
    binary: command,
    args,
    ready: () => answers(url),
    readyWhat: `accept connections on ${url}`,
    readyTimeoutMs: 30_000,
    stopTimeoutMs: 10_000,
    pollMs: 50,
  });
  try {
    await daemon.start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return harnessFor(url, dir, async () => {
    await daemon.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
}

function harnessFor(url: string, dir: string | null, stopServer: () => Promise<void>): PostgresHarness {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  let counter = 0;
  return {
    url,
    dir,
    async createDatabase(prefix = "t") {
      counter += 1;
      const name = `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
      await admin.query(`CREATE DATABASE "${name}"`);
      const target = new URL(url);
      target.pathname = `/${name}`;
      return target.toString();
    },
    async dropDatabase(databaseUrl) {
      const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
      await admin.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
    },
    async stop() {
      await admin.end();
      await stopServer();
    },
  };
}

function postgresIds(): [number, number] {
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new PostgresNotInstalledError(
      'running as root, PostgreSQL must run as the "postgres" user, which does not exist: install "postgresql" (it creates the user)',
    );
  }
  return [Number(uid.stdout.trim()), Number(gid.stdout.trim())];
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
