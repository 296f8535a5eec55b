/**
 * The schema migrations on both backends (test/backends.ts): applied once, safe when two instances
 * start together, all-or-nothing per migration, and one schema: PostgreSQL's tables, columns,
 * keys and indexes are SQLite's as the synchronous runner (db/migrate.ts) builds them, and a row
 * written to each table reads back the same on both.
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

/**
 * One row for every table, written with the same SQL on both backends in foreign-key order: only
 * the columns without defaults, so that defaults, identity ids, checks and value types all show.
 */
const ROWS: readonly [table: string, sql: string, params: readonly (string | number | Buffer | null)[]][] = [
  [
    "site",
    "INSERT INTO site (id, name, created_ms) VALUES (?, ?, ?)",
    ["s-1", "Milk Bank North", 1_780_000_000_000],
  ],
  [
    "account",
    "INSERT INTO account (id, name, role, created_ms, email, site_id) VALUES (?, ?, ?, ?, ?, ?)",
    ["a-1", "Nurse", "staff", 1_780_000_000_001, "nurse@example.org", "s-1"],
  ],
  [
    "unit",
    "INSERT INTO unit (id, owner_id, name, kind, profile, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
    ["u-1", "a-1", "Freezer", "freezer", "household-freezer", 2],
  ],
  [
    "probe",
    "INSERT INTO probe (id, owner_id, secret_hash, created_ms, ble_mac) VALUES (?, ?, ?, ?, ?)",
    ["p-1", "a-1", "$scrypt$x", 3, "A4:C1:38:00:00:01"],
  ],
  [
    "probe_attachment",
    "INSERT INTO probe_attachment (probe_id, unit_id, from_ms) VALUES (?, ?, ?)",
    ["p-1", "u-1", 4],
  ],
  [
    "audit",
    "INSERT INTO audit (at_ms, actor, action, entity, entity_id) VALUES (?, ?, ?, ?, ?)",
    [5, "a-1", "create", "unit", "u-1"],
  ],
  [
    "deadletter",
    "INSERT INTO deadletter (at_ms, topic, reason, message, payload_head, payload_bytes) VALUES (?, ?, ?, ?, ?, ?)",
    [6, "coldtrail/v1/probes/p-1/readings", "bad-json", "not JSON", Buffer.from([0x7b, 0xff]), 2],
  ],
  [
    "journal_message",
    "INSERT INTO journal_message (probe_id, received_ms, count, readings) VALUES (?, ?, ?, ?)",
    ["p-1", 7, 1, "[[7,-19.5,1,0]]"],
  ],
  [
    "reading",
    "INSERT INTO reading (probe_id, ts, temp_c, seq, server_timed) VALUES (?, ?, ?, ?, ?)",
    ["p-1", 8, -19.4375, 4_294_967_295, 1],
  ],
  [
    "batch",
    "INSERT INTO batch (id, owner_id, code, expressed_at_ms, volume_ml, initial_state, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ["b-1", "a-1", "CT-0001", 9, 120.5, "frozen", 10],
  ],
  ["custody", "INSERT INTO custody (batch_id, unit_id, from_ms) VALUES (?, ?, ?)", ["b-1", "u-1", 11]],
  [
    "review",
    "INSERT INTO review (batch_id, actor, decision, comment, at_ms) VALUES (?, ?, ?, ?, ?)",
    ["b-1", "a-1", "hold", "check the log", 12],
  ],
  [
    "alert",
    `INSERT INTO alert (id, kind, subject, state, severity, owner_id, title, message, started_ms, opened_ms, episode_ms, updated_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ["al-1", "excursion", "unit:u-1", "open", "critical", "a-1", "Too warm", "−10 °C", 13, 13, 13, 13],
  ],
  [
    "alert_event",
    "INSERT INTO alert_event (alert_id, type, at_ms, owner_id, body) VALUES (?, ?, ?, ?, ?)",
    ["al-1", "opened", 14, "a-1", "{}"],
  ],
  [
    "alert_channel",
    "INSERT INTO alert_channel (id, owner_id, kind, target, created_ms) VALUES (?, ?, ?, ?, ?)",
    ["c-1", "a-1", "webpush", "{}", 15],
  ],
  [
    "alert_outbox",
    "INSERT INTO alert_outbox (delivery_id, event_id, event_type, alert_id, channel_id, status, next_attempt_ms, created_ms, claimed_by, claim_until_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ["d-1", 1, "opened", "al-1", "c-1", "pending", 16, 16, "host/1/ab", 16_016],
  ],
  [
    "alert_monitor",
    "INSERT INTO alert_monitor (unit_id, profile_key, state, saved_ms) VALUES (?, ?, ?, ?)",
    ["u-1", "household-freezer", "{}", 17],
  ],
  [
    "invitation",
    "INSERT INTO invitation (id, account_id, token_hash, invited_by, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
    ["i-1", "a-1", "ab12", "admin", 18, 19],
  ],
  [
    "session",
    "INSERT INTO session (id, account_id, token_hash, created_ms, last_seen_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
    ["se-1", "a-1", "cd34", 20, 20, 21],
  ],
  [
    "api_token",
    "INSERT INTO api_token (id, account_id, name, token_hash, created_ms) VALUES (?, ?, ?, ?, ?)",
    ["t-1", "a-1", "export", "ef56", 22],
  ],
  ["notify_pref", "INSERT INTO notify_pref (account_id, updated_ms) VALUES (?, ?)", ["a-1", 23]],
  [
    "verdict_checkpoint",
    "INSERT INTO verdict_checkpoint (batch_id, stay_from_ms, source_key, through_ms, readings, body, saved_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ["b-1", 11, "p-1", 24, 1, Buffer.from("checkpoint"), 25],
  ],
  [
    "reading_hour",
    "INSERT INTO reading_hour (probe_id, hour_ms, min_c, max_c, sum_c, n) VALUES (?, ?, ?, ?, ?, ?)",
    ["p-1", 0, -20, -19, -39, 2],
  ],
  [
    "unit_lease",
    "INSERT INTO unit_lease (unit_id, holder, epoch, acquired_ms, renewed_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
    ["u-1", "host/1/ab", 1, 26, 26, 27],
  ],
  ["clean_stop", "INSERT INTO clean_stop (id, stopped_ms) VALUES (?, ?)", [1, 28]],
];

/** Writes ROWS and reads every table back whole (rows in primary-key order). */
async function rowsInRowsOut(
  client: SqlClient,
  tables: readonly string[],
): Promise<Record<string, unknown[]>> {
  for (const [, sql, params] of ROWS) await client.run(sql, params);
  const out: Record<string, unknown[]> = {};
  for (const table of tables) out[table] = await client.query(`SELECT * FROM ${table} ORDER BY 1, 2`);
  return out;
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

  it("store a row in every table and give it back the same, defaults and ids included", async () => {
    const { client } = await open();
    await migrateSql(client);
    const tables = Object.keys((await referenceCatalogue()).tables).sort();
    expect(ROWS.map(([table]) => table).sort()).toEqual(tables);
    const referenceDb = new Database(":memory:");
    referenceDb.pragma("foreign_keys = ON");
    migrate(referenceDb);
    const reference = createSqliteClient(referenceDb, { ownsConnection: true });
    try {
      const expected = await rowsInRowsOut(reference, tables);
      expect(expected.alert?.[0]).toMatchObject({ batch_ids: "[]", escalation_level: 0, occurrences: 1 });
      expect(await rowsInRowsOut(client, tables)).toEqual(expected);
    } finally {
      await reference.close();
    }
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
