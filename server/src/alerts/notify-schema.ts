/**
 * Web push channels and each account's "how I am told" choices (issue 11). SQLite cannot change a
 * CHECK constraint in place, so `alert_channel` is rebuilt with `webpush` among its kinds (same
 * columns, same rows).
 */
export const NOTIFY_DDL: readonly string[] = [
  `CREATE TABLE alert_channel_new (
     id TEXT PRIMARY KEY,
     owner_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('webhook', 'email', 'mqtt', 'webpush')),
     target TEXT NOT NULL,
     secret TEXT,
     unit_ids TEXT,
     alert_kinds TEXT,
     min_escalation INTEGER NOT NULL DEFAULT 0,
     created_ms INTEGER NOT NULL,
     deleted_ms INTEGER)`,
  `INSERT INTO alert_channel_new (id, owner_id, kind, target, secret, unit_ids, alert_kinds, min_escalation, created_ms, deleted_ms)
     SELECT id, owner_id, kind, target, secret, unit_ids, alert_kinds, min_escalation, created_ms, deleted_ms FROM alert_channel ORDER BY rowid`,
  "DROP TABLE alert_channel",
  "ALTER TABLE alert_channel_new RENAME TO alert_channel",
  // One row per account that chose on the settings page; alert_kinds null = every kind.
  `CREATE TABLE notify_pref (
     account_id TEXT PRIMARY KEY,
     alert_kinds TEXT,
     updated_ms INTEGER NOT NULL)`,
];
