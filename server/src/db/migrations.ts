import { ACCOUNTS_DDL } from "../accounts/schema.js";
import { NOTIFY_DDL } from "../alerts/notify-schema.js";
import { ALERTS_DDL } from "../alerts/schema.js";
import { SQLITE_READINGS_DDL } from "../stores/sqlite.js";
import { POSTGRES_SCHEMA_AT_VERSION_10 } from "./postgres-schema.js";

/**
 * One schema migration, with its statements for each backend. Where the SQL reads the same on
 * both, write it once with `shared(...)`; where it does not, give each its own list (an empty list:
 * nothing to do on that backend).
 */
export interface Migration {
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

/** A migration whose statements are the same text on SQLite and PostgreSQL. */
export function shared(...statements: string[]): Migration {
  return { sqlite: statements, postgres: statements };
}

/**
 * SQLite's migrations 1–10, from before PostgreSQL: as they shipped, never to be edited.
 * PostgreSQL gets the schema they lead to in one step (postgres-schema.ts).
 */
const SQLITE_MIGRATIONS_1_TO_10: readonly (readonly string[])[] = [
  [
    // Accounts exist from day one so that every row has an owner; the bootstrap admin is one.
    `CREATE TABLE account (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL,
       role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'donor')),
       created_ms INTEGER NOT NULL)`,
    `INSERT INTO account (id, name, role, created_ms) VALUES ('admin', 'bootstrap admin', 'admin', 0)`,
    `CREATE TABLE unit (
       id TEXT PRIMARY KEY,
       owner_id TEXT NOT NULL REFERENCES account(id),
       name TEXT NOT NULL,
       kind TEXT NOT NULL CHECK (kind IN ('freezer', 'fridge', 'cool-bag')),
       site TEXT NOT NULL DEFAULT 'household' CHECK (site IN ('household', 'milk-bank')),
       profile TEXT NOT NULL,
       profile_overrides TEXT,
       created_ms INTEGER NOT NULL)`,
    `CREATE INDEX unit_owner ON unit (owner_id)`,
    `CREATE TABLE probe (
       id TEXT PRIMARY KEY,
       owner_id TEXT NOT NULL REFERENCES account(id),
       name TEXT,
       secret_hash TEXT NOT NULL,
       calibration_offset_c REAL NOT NULL DEFAULT 0,
       expected_interval_ms INTEGER NOT NULL DEFAULT 60000,
       battery_pct REAL,
       battery_mv INTEGER,
       rssi INTEGER,
       status TEXT,
       fw TEXT,
       last_seen_ms INTEGER,
       created_ms INTEGER NOT NULL)`,
    `CREATE INDEX probe_owner ON probe (owner_id)`,
    // Attachment history: a probe is on at most one unit at a time; to_ms NULL = still attached.
    `CREATE TABLE probe_attachment (
       id INTEGER PRIMARY KEY,
       probe_id TEXT NOT NULL REFERENCES probe(id),
       unit_id TEXT NOT NULL REFERENCES unit(id),
       from_ms INTEGER NOT NULL,
       to_ms INTEGER,
       CHECK (to_ms IS NULL OR to_ms > from_ms))`,
    `CREATE INDEX probe_attachment_probe ON probe_attachment (probe_id, from_ms)`,
    `CREATE INDEX probe_attachment_unit ON probe_attachment (unit_id, from_ms)`,
    `CREATE TABLE audit (
       id INTEGER PRIMARY KEY,
       at_ms INTEGER NOT NULL,
       actor TEXT NOT NULL,
       action TEXT NOT NULL,
       entity TEXT NOT NULL,
       entity_id TEXT NOT NULL,
       details TEXT)`,
    `CREATE INDEX audit_entity ON audit (entity, entity_id, id)`,
    `CREATE TABLE deadletter (
       id INTEGER PRIMARY KEY,
       at_ms INTEGER NOT NULL,
       probe_id TEXT,
       client_id TEXT,
       topic TEXT NOT NULL,
       reason TEXT NOT NULL,
       message TEXT NOT NULL,
       payload_head BLOB NOT NULL,
       payload_bytes INTEGER NOT NULL)`,
    `CREATE INDEX deadletter_probe ON deadletter (probe_id, id)`,
    // The journal: readings acknowledged to devices, waiting to be forwarded to the store.
    `CREATE TABLE journal (
       id INTEGER PRIMARY KEY,
       probe_id TEXT NOT NULL,
       ts INTEGER NOT NULL,
       temp_c REAL NOT NULL,
       seq INTEGER,
       server_timed INTEGER NOT NULL,
       received_ms INTEGER NOT NULL)`,
    ...SQLITE_READINGS_DDL,
  ],
  [
    // Batches of milk, their custody chain and staff reviews (issue 3).
    `CREATE TABLE batch (
       id TEXT PRIMARY KEY,
       owner_id TEXT NOT NULL REFERENCES account(id),
       code TEXT NOT NULL UNIQUE,
       donor_ref TEXT,
       expressed_at_ms INTEGER NOT NULL,
       volume_ml REAL,
       initial_state TEXT NOT NULL CHECK (initial_state IN ('fresh', 'frozen', 'thawed')),
       container TEXT NOT NULL DEFAULT 'bag' CHECK (container IN ('bag', 'bottle')),
       thawed_at_ms INTEGER,
       created_ms INTEGER NOT NULL,
       verdict TEXT,
       verdict_json TEXT,
       verdict_at_ms INTEGER)`,
    `CREATE INDEX batch_owner ON batch (owner_id)`,
    `CREATE INDEX batch_verdict ON batch (verdict)`,
    `CREATE TABLE custody (
       id INTEGER PRIMARY KEY,
       batch_id TEXT NOT NULL REFERENCES batch(id),
       unit_id TEXT REFERENCES unit(id),
       from_ms INTEGER NOT NULL,
       to_ms INTEGER,
       CHECK (to_ms IS NULL OR to_ms >= from_ms))`,
    `CREATE INDEX custody_batch ON custody (batch_id, from_ms)`,
    `CREATE INDEX custody_unit ON custody (unit_id, from_ms)`,
    `CREATE TABLE review (
       id INTEGER PRIMARY KEY,
       batch_id TEXT NOT NULL REFERENCES batch(id),
       actor TEXT NOT NULL,
       decision TEXT NOT NULL CHECK (decision IN ('release', 'hold', 'discard')),
       comment TEXT NOT NULL,
       at_ms INTEGER NOT NULL)`,
    `CREATE INDEX review_batch ON review (batch_id, id)`,
  ],
  // Alerts, channels, outbox, SSE events and live monitor state (issue 4).
  [...ALERTS_DDL],
  // BLE sensors: the MAC an OpenMQTTGateway/Theengs gateway reports, mapped to a probe (issue 6).
  [
    "ALTER TABLE probe ADD COLUMN ble_mac TEXT",
    "ALTER TABLE probe ADD COLUMN ble_bindkey TEXT",
    "CREATE UNIQUE INDEX probe_ble_mac ON probe (ble_mac) WHERE ble_mac IS NOT NULL",
  ],
  // The journal keeps one row per message, not per reading: a replayed buffer of 500 readings is
  // one insert and one delete instead of 500 of each.
  [
    `CREATE TABLE journal_message (
       id INTEGER PRIMARY KEY,
       probe_id TEXT NOT NULL,
       received_ms INTEGER NOT NULL,
       count INTEGER NOT NULL,
       readings TEXT NOT NULL)`,
    `INSERT INTO journal_message (probe_id, received_ms, count, readings)
       SELECT probe_id, received_ms, 1, json_array(json_array(ts, temp_c, seq, server_timed)) FROM journal ORDER BY id`,
    "DROP TABLE journal",
  ],
  // A readings message is refused reading by reading (issue #9): its one dead letter lists them.
  ["ALTER TABLE deadletter ADD COLUMN refused_readings TEXT"],
  // Accounts sign in: email, site, password hash; sites, invitations, sessions, API tokens (issue 14).
  [...ACCOUNTS_DDL],
  // Verdicts a nurse would sign (issue 9): how a batch left custody; reviews shown to recipients
  // only when staff say so; whether a probe's reporting interval was declared or is to be learned.
  [
    "ALTER TABLE custody ADD COLUMN left_how TEXT",
    "ALTER TABLE review ADD COLUMN show_to_recipient INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE probe ADD COLUMN interval_declared INTEGER NOT NULL DEFAULT 0",
    // Probes registered before this with an interval other than the old default declared it.
    "UPDATE probe SET interval_declared = 1 WHERE expected_interval_ms <> 60000",
  ],
  // How each person is told (issue 11): web push channels, and each account's chosen alert kinds.
  [...NOTIFY_DDL],
  // Year-long verdicts fast after a restart (issue 12): where each batch's stays were last walked.
  [
    `CREATE TABLE verdict_checkpoint (
       batch_id TEXT NOT NULL,
       stay_from_ms INTEGER NOT NULL,
       source_key TEXT NOT NULL,
       through_ms INTEGER NOT NULL,
       readings INTEGER NOT NULL,
       body BLOB NOT NULL,
       saved_ms INTEGER NOT NULL,
       PRIMARY KEY (batch_id, stay_from_ms)) WITHOUT ROWID`,
    // Hourly rollups of each probe's readings, for charts of long histories (readings/hour-rollups.ts).
    `CREATE TABLE reading_hour (
       probe_id TEXT NOT NULL,
       hour_ms INTEGER NOT NULL,
       min_c REAL,
       max_c REAL,
       sum_c REAL NOT NULL,
       n INTEGER NOT NULL,
       PRIMARY KEY (probe_id, hour_ms)) WITHOUT ROWID`,
  ],
];

if (SQLITE_MIGRATIONS_1_TO_10.length !== 10) {
  throw new Error(
    `db/migrations.ts: SQLite's history has ${SQLITE_MIGRATIONS_1_TO_10.length} migrations, not 10: append new migrations to SCHEMA_MIGRATIONS, with SQL for both backends`,
  );
}

/**
 * Append-only list of schema migrations for both backends; index + 1 is the version it leads to
 * (SQLite's `user_version`, PostgreSQL's `coldtrail_schema.version`). Never edit one that has shipped.
 */
export const SCHEMA_MIGRATIONS: readonly Migration[] = [
  ...SQLITE_MIGRATIONS_1_TO_10.map(
    (sqlite, i): Migration => ({ sqlite, postgres: i === 0 ? POSTGRES_SCHEMA_AT_VERSION_10 : [] }),
  ),
  // Unit leases (issue #13, ha/unit-leases.ts): one instance at a time judges a unit. Never deleted:
  // the epoch (fencing token) must only ever grow, so a released lease stays as an expired row.
  shared(
    `CREATE TABLE unit_lease (
       unit_id TEXT PRIMARY KEY,
       holder TEXT NOT NULL,
       epoch BIGINT NOT NULL,
       acquired_ms BIGINT NOT NULL,
       renewed_ms BIGINT NOT NULL,
       expires_ms BIGINT NOT NULL)`,
    "CREATE INDEX unit_lease_holder ON unit_lease (holder)",
  ),
  // Whether the last run stopped cleanly, so checkpoints and rollups it kept can be trusted
  // without reading the store again (readings/clean-stop.ts).
  shared("CREATE TABLE clean_stop (id INTEGER PRIMARY KEY CHECK (id = 1), stopped_ms BIGINT NOT NULL)"),
  // The outbox's heads query (the oldest undelivered row of each channel, alerts/outbox.ts) seeks
  // the undelivered rows instead of scanning every row ever delivered; pruning seeks the old ones.
  shared("CREATE INDEX alert_outbox_heads ON alert_outbox (status, channel_id, id)"),
  // Outbox claims (issue #13, alerts/outbox.ts): an instance claims the rows it is about to send
  // and renews the claim while they are in flight, so two instances never send one row at once; a
  // claim left by an instance that died expires and any instance sends the row (same delivery id).
  shared(
    "ALTER TABLE alert_outbox ADD COLUMN claimed_by TEXT",
    "ALTER TABLE alert_outbox ADD COLUMN claim_until_ms BIGINT",
  ),
];

/** SQLite's statements of each migration, for the synchronous runner (migrate.ts). */
export const MIGRATIONS: readonly (readonly string[])[] = SCHEMA_MIGRATIONS.map((m) => m.sqlite);
