/**
 * The schema migrations on both backends (test/backends.ts): applied once, safe when two instances
 * start together, all-or-nothing per migration, and one schema: PostgreSQL's tables, columns,
 * keys and indexes are SQLite's, as the synchronous runner (db/migrate.ts) builds them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { describeBackends } from "../../../test/backends.js";
import { migrate } from "../migrate.js";
import { MIGRATIONS, SCHEMA_MIGRATIONS, shared } from "../migrations.js";
import type { SqlClient } from "./client.js";
import { migrateSql } from "./migrate.js";
import { createSqliteClient } from "./sqlite.js";

interface ColumnShape {
  name: string;
  type: "integer" | "real" | "text" | "blob";
  notNull: boolean;
  default: string | null;
}

interface Catalogue {
  tables: Record<string, { columns: ColumnShape[]; primaryKey: string; unique: string[] }>;
  indexes: Record<string, { table: string; unique: boolean; partial: boolean; columns: string }>;
}

/** Indexes on an expression on one side: SQLite's `name COLLATE NOCASE` is `lower(name)` on PostgreSQL. */
const EXPRESSION_INDEXES = new Set(["site_name"]);

function sqliteFamily(declared: string): ColumnShape["type"] {
  const t = declared.toUpperCase();
  if (t.includes("INT")) return "integer";
  if (/CHAR|CLOB|TEXT/.test(t)) return "text";
  if (/REAL|FLOA|DOUB/.test(t)) return "real";
  if (t === "" || t.includes("BLOB")) return "blob";
  throw new Error(`unexpected SQLite column type ${declared}`);
}

function postgresFamily(dataType: string): ColumnShape["type"] {
  const family = {
    bigint: "integer",
    integer: "integer",
    smallint: "integer",
    "double precision": "real",
    text: "text",
    bytea: "blob",
  }[dataType] as ColumnShape["type"] | undefined;
  if (!family) throw new Error(`unexpected PostgreSQL column type ${dataType}`);
  return family;
}

async function sqliteCatalogue(client: SqlClient): Promise<Catalogue> {
  const catalogue: Catalogue = { tables: {}, indexes: {} };
  const tables = await client.query<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  for (const { name: table } of tables) {
    const columns = await client.query<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }>('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid', [table]);
    const primaryKey = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name)
      .join(",");
    const unique: string[] = [];
    const indexList = await client.query<{ name: string; unique: number; origin: string; partial: number }>(
      'SELECT name, "unique", origin, partial FROM pragma_index_list(?)',
      [table],
    );
    for (const index of indexList) {
      const indexColumns = (
        await client.query<{ name: string | null }>("SELECT name FROM pragma_index_info(?) ORDER BY seqno", [
          index.name,
        ])
      )
        .map((c) => c.name ?? "(expression)")
        .join(",");
      if (index.origin === "u") unique.push(indexColumns);
      if (index.origin === "c") {
        catalogue.indexes[index.name] = {
          table,
          unique: index.unique === 1,
          partial: index.partial === 1,
          columns: EXPRESSION_INDEXES.has(index.name) ? "(expression)" : indexColumns,
        };
      }
    }
    catalogue.tables[table] = {
      columns: columns.map((c) => ({
        name: c.name,
        type: sqliteFamily(c.type),
        notNull: c.notnull === 1 || c.pk > 0,
        default: c.dflt_value,
      })),
      primaryKey,
      unique: unique.sort(),
    };
  }
  return catalogue;
}

async function postgresCatalogue(client: SqlClient): Promise<Catalogue> {
  const catalogue: Catalogue = { tables: {}, indexes: {} };
  const columns = await client.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }>(
    `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name <> 'coldtrail_schema' ORDER BY table_name, ordinal_position`,
  );
  for (const c of columns) {
    catalogue.tables[c.table_name] ??= { columns: [], primaryKey: "", unique: [] };
    catalogue.tables[c.table_name]?.columns.push({
      name: c.column_name,
      type: postgresFamily(c.data_type),
      notNull: c.is_nullable === "NO",
      default: c.column_default === null ? null : c.column_default.replace(/::[a-z ]+$/, ""),
    });
  }
  const constraints = await client.query<{ table_name: string; contype: string; columns: string }>(
    `SELECT t.relname AS table_name, c.contype,
            array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), ',') AS columns
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      WHERE c.connamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u') AND t.relname <> 'coldtrail_schema'`,
  );
  for (const c of constraints) {
    const table = catalogue.tables[c.table_name];
    if (!table) continue;
    if (c.contype === "p") table.primaryKey = c.columns;
    else table.unique.push(c.columns);
  }
  for (const table of Object.values(catalogue.tables)) table.unique.sort();
  const indexes = await client.query<{
    name: string;
    table_name: string;
    unique: boolean;
    partial: boolean;
    columns: string;
  }>(
    `SELECT x.relname AS name, t.relname AS table_name, i.indisunique AS "unique", i.indpred IS NOT NULL AS partial,
            array_to_string(ARRAY(SELECT coalesce(a.attname, '(expression)') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
              LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), ',') AS columns
       FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
      WHERE t.relnamespace = current_schema()::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
  );
  for (const x of indexes) {
    catalogue.indexes[x.name] = {
      table: x.table_name,
      unique: x.unique,
      partial: x.partial,
      columns: x.columns,
    };
  }
  return catalogue;
}

/** The catalogue of a SQLite database migrated by the synchronous runner, as `openDatabase` does. */
async function referenceCatalogue(): Promise<Catalogue> {
  const db = new Database(":memory:");
  migrate(db);
  const client = createSqliteClient(db, { ownsConnection: true });
  try {
    return await sqliteCatalogue(client);
  } finally {
    await client.close();
  }
}

const catalogueOf = (client: SqlClient) =>
  client.backend === "sqlite" ? sqliteCatalogue(client) : postgresCatalogue(client);

describeBackends("schema migrations", (open) => {
  it("bring an empty database to the latest version once, with the bootstrap admin", async () => {
    const { client } = await open();
    expect(await migrateSql(client)).toEqual({
      version: SCHEMA_MIGRATIONS.length,
      applied: SCHEMA_MIGRATIONS.length,
    });
    expect(await migrateSql(client)).toEqual({ version: SCHEMA_MIGRATIONS.length, applied: 0 });
    expect(await client.query("SELECT id, name, role, created_ms FROM account")).toEqual([
      { id: "admin", name: "bootstrap admin", role: "admin", created_ms: 0 },
    ]);
  });

  it("build the same tables, columns, keys and indexes as SQLite's synchronous runner", async () => {
    const { client } = await open();
    await migrateSql(client);
    const reference = await referenceCatalogue();
    const actual = await catalogueOf(client);
    expect(Object.keys(actual.tables).sort()).toEqual(Object.keys(reference.tables).sort());
    for (const [table, shape] of Object.entries(reference.tables))
      expect({ table, ...actual.tables[table] }).toEqual({ table, ...shape });
    expect(actual.indexes).toEqual(reference.indexes);
  });

  it("apply each migration once when two instances start at the same time", async () => {
    const { client, connect } = await open();
    const other = await connect();
    const [a, b] = await Promise.all([migrateSql(client), migrateSql(other)]);
    expect([a.version, b.version]).toEqual([SCHEMA_MIGRATIONS.length, SCHEMA_MIGRATIONS.length]);
    expect(a.applied + b.applied).toBe(SCHEMA_MIGRATIONS.length);
    expect(await client.query("SELECT id FROM account")).toEqual([{ id: "admin" }]);
  });

  it("leave the version and the schema as they were when a migration fails", async () => {
    const { client } = await open();
    const migrations = [
      shared("CREATE TABLE first (x INTEGER NOT NULL)"),
      shared("CREATE TABLE second (x INTEGER NOT NULL)", "INSERT INTO no_such_table (x) VALUES (1)"),
    ];
    await expect(migrateSql(client, migrations)).rejects.toThrow(/no_such_table/);
    expect(await migrateSql(client, migrations.slice(0, 1))).toEqual({ version: 1, applied: 0 });
    await expect(client.query("SELECT x FROM second")).rejects.toThrow(/second/);
    expect(await client.query("SELECT x FROM first")).toEqual([]);
  });

  it("refuse a database from a newer coldtrail", async () => {
    const { client } = await open();
    const migrations = [shared("CREATE TABLE first (x INTEGER)"), shared("CREATE TABLE second (x INTEGER)")];
    await migrateSql(client, migrations);
    await expect(migrateSql(client, migrations.slice(0, 1))).rejects.toThrow(
      "database schema version 2 is newer than this coldtrail (1): upgrade coldtrail or restore a matching backup",
    );
  });
});

describe("schema migrations on an existing SQLite file", () => {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-migrate-sql-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("carry on where the synchronous runner stopped, keeping the rows", async () => {
    const db = new Database(join(dir, "half.sqlite"));
    for (const statements of MIGRATIONS.slice(0, 4)) for (const sql of statements) db.exec(sql);
    db.pragma("user_version = 4");
    db.prepare(
      "INSERT INTO journal (probe_id, ts, temp_c, seq, server_timed, received_ms) VALUES ('p-1', 1780000000000, -19.5, 7, 0, 1780000000500)",
    ).run();
    const client = createSqliteClient(db, { ownsConnection: true });
    expect(await migrateSql(client)).toEqual({
      version: SCHEMA_MIGRATIONS.length,
      applied: SCHEMA_MIGRATIONS.length - 4,
    });
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_MIGRATIONS.length);
    expect(await client.query("SELECT probe_id, count, readings FROM journal_message")).toEqual([
      { probe_id: "p-1", count: 1, readings: "[[1780000000000,-19.5,7,0]]" },
    ]);
    expect(await sqliteCatalogue(client)).toEqual(await referenceCatalogue());
    await client.close();
  });
});
