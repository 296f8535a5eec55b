/**
 * COLDTRAIL_DATABASE_URL at start-up (issue #13): coldtrail as a real process pointed at a real
 * PostgreSQL (./postgres.ts) migrates it and keeps its accounts there, not in the data folder's
 * SQLite file; a database it cannot use stops start-up with exit 2 and one line that names the
 * variable and never the password.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../test/processes.js";
import { SCHEMA_MIGRATIONS } from "../src/db/migrations.js";
import { ADMIN_TOKEN, waitFor } from "./harness.js";
import { type PostgresHarness, startPostgres } from "./postgres.js";
import { serverProcess } from "./server-process.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const skip = process.env.COLDTRAIL_SKIP_POSTGRES === "1";

let postgres: PostgresHarness;
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-dburl-"));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  if (!skip) postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs server/src/main.ts to its exit (it must not start): exit code and what it printed. */
async function startRefused(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const outcome = await promisify(execFile)(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
    cwd: ROOT,
    timeout: 60_000,
    env: {
      ...process.env,
      COLDTRAIL_DATA_DIR: dataDir(),
      COLDTRAIL_HTTP_PORT: String(await freePort()),
      COLDTRAIL_MQTT_PORT: String(await freePort()),
      COLDTRAIL_ADMIN_TOKEN: ADMIN_TOKEN,
      COLDTRAIL_LOG_LEVEL: "warn",
      ...env,
    },
  }).catch((e: { code: number; stderr: string }) => e);
  if (!("code" in outcome)) throw new Error("coldtrail started although it should have refused");
  return { code: outcome.code, stderr: outcome.stderr };
}

describe.skipIf(skip)("COLDTRAIL_DATABASE_URL", () => {
  it("migrates the PostgreSQL it names and keeps the accounts there, not in the data folder's SQLite file", async () => {
    const url = await postgres.createDatabase("dburl");
    const data = dataDir();
    const server = await serverProcess({
      COLDTRAIL_DATA_DIR: data,
      COLDTRAIL_DATABASE_URL: url,
      COLDTRAIL_INSTANCE_ID: "instance-a",
      COLDTRAIL_ADMIN_EMAIL: "head.nurse@milkbank.example",
    });
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const schema = await pool.query("SELECT version FROM coldtrail_schema");
      expect(schema.rows).toEqual([{ version: SCHEMA_MIGRATIONS.length }]);
      // The first admin's setup invitation, issued once HTTP listens, is a PostgreSQL row.
      const invited = await waitFor(async () => {
        const found = await pool.query(
          "SELECT a.email, a.role FROM invitation i JOIN account a ON a.id = i.account_id",
        );
        return found.rowCount ? found : undefined;
      }, 30_000);
      expect(invited.rows).toEqual([{ email: "head.nurse@milkbank.example", role: "admin" }]);
      // So is a site made through the API.
      const made = await server.api<{ id: string; name: string }>("POST", "/api/v1/sites", {
        name: "North ward",
      });
      expect(made.status).toBe(201);
      const sites = await pool.query("SELECT id, name FROM site");
      expect(sites.rows).toEqual([{ id: made.body.id, name: "North ward" }]);
      // The instance shows itself in pg_stat_activity by its name.
      const sessions = await pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'coldtrail instance-a'",
      );
      expect(sessions.rows[0].n).toBeGreaterThan(0);

      await server.stop();
      // Stopped, it has closed its connections.
      const after = await pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'coldtrail instance-a'",
      );
      expect(after.rows[0].n).toBe(0);
      // The data folder's SQLite file (journal, readings) has none of it.
      const local = new Database(join(data, "coldtrail.sqlite"), { readonly: true });
      try {
        expect(local.prepare("SELECT count(*) AS n FROM invitation").get()).toEqual({ n: 0 });
        expect(local.prepare("SELECT count(*) AS n FROM site").get()).toEqual({ n: 0 });
      } finally {
        local.close();
      }
    } finally {
      await server.stop();
      await pool.end();
    }
  }, 120_000);

  it("stops start-up with exit 2 when nothing answers at the URL, naming the variable and masking the password", async () => {
    const port = await freePort();
    const { code, stderr } = await startRefused({
      COLDTRAIL_DATABASE_URL: `postgres://coldtrail:s3cret-Pw0rd@127.0.0.1:${port}/coldtrail`,
    });
    expect(code).toBe(2);
    expect(stderr).toContain(
      `coldtrail: cannot reach PostgreSQL at postgres://coldtrail:***@127.0.0.1:${port}/coldtrail (COLDTRAIL_DATABASE_URL): nothing answers at 127.0.0.1:${port}`,
    );
    expect(stderr).toContain("start PostgreSQL there, or correct the host and port");
    expect(stderr).not.toContain("s3cret-Pw0rd");
  }, 90_000);

  it("stops start-up with exit 2 when the database does not exist on the server", async () => {
    const url = new URL(postgres.url);
    url.password = "not-Needed-9";
    url.pathname = "/no_such_database";
    const { code, stderr } = await startRefused({ COLDTRAIL_DATABASE_URL: url.toString() });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/no_such_database \(COLDTRAIL_DATABASE_URL\): database "no_such_database" does not exist on 127\.0\.0\.1:\d+: create it/,
    );
    expect(stderr).not.toContain("not-Needed-9");
  }, 90_000);

  it("refuses a URL that is not PostgreSQL's as a configuration error, with the password masked", async () => {
    const { code, stderr } = await startRefused({
      COLDTRAIL_DATABASE_URL: "mysql://coldtrail:s3cret-Pw0rd@db:3306/coldtrail",
    });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'COLDTRAIL_DATABASE_URL: COLDTRAIL_DATABASE_URL must start with postgres:// or postgresql:// (got mysql://); unset it to keep the registry in SQLite in the data folder (got "mysql://coldtrail:***@db:3306/coldtrail")',
    );
    expect(stderr).not.toContain("s3cret-Pw0rd");
  }, 90_000);
});
