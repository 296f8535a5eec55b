/**
 * The SQL client for the configuration (open-client.ts), on a real SQLite file and a real
 * PostgreSQL (test/postgres.ts). Start-up as a whole, with the refusals, is in
 * server/test/database-url.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../../test/processes.js";
import { type PostgresHarness, startPostgres } from "../../../test/postgres.js";
import { SCHEMA_MIGRATIONS } from "../migrations.js";
import { openDatabase } from "../open.js";
import { maskDatabaseUrl } from "./database-url.js";
import { explainConnectError, type OpenedSqlClient, openSqlClient } from "./open-client.js";

const skipPostgres = process.env.COLDTRAIL_SKIP_POSTGRES === "1";
const dir = mkdtempSync(join(tmpdir(), "coldtrail-open-client-"));
let postgres: PostgresHarness | undefined;
beforeAll(async () => {
  if (!skipPostgres) postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function opened(result: OpenedSqlClient) {
  if (!result.ok) throw new Error(`expected a client, got: ${result.reason}`);
  return result;
}

describe("the SQL client for the configuration", () => {
  it("is the data folder's SQLite file when no database URL is set, already migrated by openDatabase", async () => {
    const db = openDatabase(dir);
    const result = opened(await openSqlClient({ database: { kind: "sqlite" }, db }));
    try {
      expect(result.sql.backend).toBe("sqlite");
      expect(result.migration).toEqual({ version: SCHEMA_MIGRATIONS.length, applied: 0 });
      expect(result.where).toBe(`sqlite:${join(dir, "coldtrail.sqlite")}`);
      await result.sql.run("INSERT INTO site (id, name, created_ms) VALUES ('s1', 'North', 1)");
      expect(db.prepare("SELECT name FROM site").all()).toEqual([{ name: "North" }]);
    } finally {
      await result.sql.close();
      db.close();
    }
  });

  it.skipIf(skipPostgres)(
    "migrates a PostgreSQL once when two instances open it together",
    async () => {
      const url = await (postgres as PostgresHarness).createDatabase("open");
      const db = openDatabase(dir, "unused.sqlite");
      const both = await Promise.all(
        ["a", "b"].map(async (name) =>
          opened(
            await openSqlClient({
              database: { kind: "postgres", url },
              db,
              applicationName: `coldtrail ${name}`,
            }),
          ),
        ),
      );
      try {
        expect(both.map((o) => o.sql.backend)).toEqual(["postgres", "postgres"]);
        expect(both.map((o) => o.migration.version)).toEqual([
          SCHEMA_MIGRATIONS.length,
          SCHEMA_MIGRATIONS.length,
        ]);
        const [a, b] = both as [(typeof both)[0], (typeof both)[0]];
        expect(a.migration.applied + b.migration.applied).toBe(SCHEMA_MIGRATIONS.length);
        expect(a.where).toBe(url);
        const names = await a.sql.query<{ application_name: string }>(
          "SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE 'coldtrail %' ORDER BY 1",
        );
        expect(names.map((n) => n.application_name)).toEqual(["coldtrail a", "coldtrail b"]);
      } finally {
        for (const o of both) await o.sql.close();
        db.close();
      }
    },
    60_000,
  );

  it("refuses a PostgreSQL nothing answers at, masking the password", async () => {
    const port = await freePort();
    const url = `postgres://coldtrail:pa55-word-x@127.0.0.1:${port}/coldtrail`;
    const db = openDatabase(dir, "refused.sqlite");
    try {
      const result = await openSqlClient({ database: { kind: "postgres", url }, db });
      expect(result).toEqual({
        ok: false,
        reason: expect.stringContaining(
          `cannot reach PostgreSQL at postgres://coldtrail:***@127.0.0.1:${port}/coldtrail (COLDTRAIL_DATABASE_URL): nothing answers at 127.0.0.1:${port}`,
        ),
      });
      expect(JSON.stringify(result)).not.toContain("pa55-word-x");
    } finally {
      db.close();
    }
  });
});

describe("database URLs in messages", () => {
  it.each([
    ["postgres://u:secret@h:5432/d", "postgres://u:***@h:5432/d"],
    ["postgresql://u@h/d", "postgresql://u@h/d"],
    ["postgres://h/d?password=secret&sslmode=require", "postgres://h/d?password=***&sslmode=require"],
    ["postgres://u:sec ret@h:5432/d", "postgres://u:***@h:5432/d"],
  ])("%s is shown as %s", (url, shown) => {
    expect(maskDatabaseUrl(url)).toBe(shown);
  });

  it("explains a refused login and a missing database with what to do", () => {
    const url = "postgres://milk:pw@db:5432/bank";
    expect(
      explainConnectError({ code: "28P01", message: 'password authentication failed for user "milk"' }, url),
    ).toBe(
      'PostgreSQL refused the login of user "milk" (password authentication failed for user "milk"): check the user and password',
    );
    expect(explainConnectError({ code: "3D000", message: 'database "bank" does not exist' }, url)).toBe(
      'database "bank" does not exist on db:5432: create it (createdb bank) or name an existing one',
    );
  });
});
