/**
 * The alerts module's tables, applied by the lead as one new migration in `db/migrations.ts`
 * (append-only). Alert rows are never deleted: they and the audit log are the record of what
 * staff were told and what they did.
 */
export const ALERTS_DDL: readonly string[] = [
  `CREATE TABLE alert (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     subject TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
     severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
     owner_id TEXT NOT NULL,
     unit_id TEXT,
     unit_name TEXT,
     probe_id TEXT,
     batch_ids TEXT NOT NULL DEFAULT '[]',
     title TEXT NOT NULL,
     message TEXT NOT NULL,
     details TEXT NOT NULL DEFAULT '{}',
     started_ms INTEGER NOT NULL,
     opened_ms INTEGER NOT NULL,
     episode_ms INTEGER NOT NULL,
     updated_ms INTEGER NOT NULL,
     cleared_ms INTEGER,
     acknowledged_ms INTEGER,
     acknowledged_by TEXT,
     comment TEXT,
     resolved_ms INTEGER,
     resolved_by TEXT,
     resolve_comment TEXT,
     last_notified_ms INTEGER,
     escalation_level INTEGER NOT NULL DEFAULT 0,
     occurrences INTEGER NOT NULL DEFAULT 1)`,
  // One unresolved alert per (subject, kind): the database enforces what the store relies on.
  `CREATE UNIQUE INDEX alert_one_active ON alert (subject, kind) WHERE state != 'resolved'`,
  `CREATE INDEX alert_unit ON alert (unit_id, opened_ms)`,
  `CREATE INDEX alert_state ON alert (state, opened_ms)`,
  `CREATE INDEX alert_subject ON alert (subject, kind, resolved_ms)`,
  // AUTOINCREMENT: event ids never go back or get reused after pruning, so SSE's Last-Event-ID
  // always means "everything after this".
  `CREATE TABLE alert_event (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     alert_id TEXT NOT NULL REFERENCES alert(id),
     type TEXT NOT NULL,
     at_ms INTEGER NOT NULL,
     owner_id TEXT NOT NULL,
     unit_id TEXT,
     body TEXT NOT NULL)`,
  `CREATE INDEX alert_event_alert ON alert_event (alert_id, id)`,
  `CREATE TABLE alert_channel (
     id TEXT PRIMARY KEY,
     owner_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('webhook', 'email', 'mqtt')),
     target TEXT NOT NULL,
     secret TEXT,
     unit_ids TEXT,
     alert_kinds TEXT,
     min_escalation INTEGER NOT NULL DEFAULT 0,
     created_ms INTEGER NOT NULL,
     deleted_ms INTEGER)`,
  // The durable outbox: one row per (notifying event, channel), written in the alert change's
  // transaction, delivered at least once, never deleted.
  `CREATE TABLE alert_outbox (
     id INTEGER PRIMARY KEY,
     delivery_id TEXT NOT NULL UNIQUE,
     event_id INTEGER NOT NULL,
     event_type TEXT NOT NULL,
     alert_id TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_ms INTEGER NOT NULL,
     last_error TEXT,
     created_ms INTEGER NOT NULL,
     delivered_ms INTEGER)`,
  `CREATE INDEX alert_outbox_due ON alert_outbox (channel_id, status, id)`,
  `CREATE INDEX alert_outbox_alert ON alert_outbox (alert_id, id)`,
  // Live unit monitors' state, so a restart (or another instance) continues running excursions.
  `CREATE TABLE alert_monitor (
     unit_id TEXT PRIMARY KEY,
     profile_key TEXT NOT NULL,
     state TEXT NOT NULL,
     saved_ms INTEGER NOT NULL)`,
];
