import type { Caller } from "../registry/caller.js";
import type { SqliteOnlyDeps } from "./deps.js";
import type { Directory } from "./directory.js";

/** Columns that are secrets (or hashes of them) and never leave the server, not even to her. */
const SECRET_COLUMNS = new Set(["password_hash", "secret_hash", "ble_bindkey", "secret", "token_hash"]);
/** Columns holding JSON text, exported as JSON values. */
const JSON_COLUMNS = new Set([
  "details",
  "verdict_json",
  "profile_overrides",
  "batch_ids",
  "unit_ids",
  "alert_kinds",
]);

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A row as exported: camelCase keys, `…_ms` times as ISO 8601 strings named `…At` (DESIGN.md:
 * times in responses are ISO strings), JSON columns parsed, secrets left out.
 */
export function exportRow(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (SECRET_COLUMNS.has(k)) continue;
    if (k.endsWith("_ms")) {
      const base = k.slice(0, -3);
      const key = base === "from" || base === "to" || base.endsWith("_at") ? base : `${base}_at`;
      out[camel(key)] = typeof v === "number" ? new Date(v).toISOString() : null;
    } else if (JSON_COLUMNS.has(k) && typeof v === "string") {
      out[camel(k)] = JSON.parse(v);
    } else {
      out[camel(k)] = v;
    }
  }
  return out;
}

/**
 * Still on the synchronous SQLite connection (SQLite's json_each; one read transaction): it needs
 * converting to the SQL client before PostgreSQL is wired in.
 *
 * Everything that is the caller's, as one JSON object (GET /me/export): her account and site,
 * units, probes and their attachments, batches with custody and reviews, alerts, alert channels,
 * API tokens and sessions (without secrets), and the audit entries she made or that are about
 * her rows. Readings live in the readings store; a route adds them per probe if wanted.
 */
export function createDataExport({ db, now }: SqliteOnlyDeps, directory: Directory) {
  const all = (sql: string, ...params: unknown[]) =>
    (db.prepare(sql).all(...params) as Record<string, unknown>[]).map(exportRow);
  return {
    async exportData(caller: Caller): Promise<Record<string, unknown>> {
      const id = caller.accountId;
      const account = await directory.find(id);
      return db.transaction(() => {
        const [me] = all("SELECT * FROM account WHERE id = ?", id);
        const units = all("SELECT * FROM unit WHERE owner_id = ? ORDER BY created_ms, id", id);
        const probes = all("SELECT * FROM probe WHERE owner_id = ? ORDER BY created_ms, id", id);
        const batches = all("SELECT * FROM batch WHERE owner_id = ? ORDER BY created_ms, id", id).map(
          (b): Record<string, unknown> => ({
            ...b,
            custody: all(
              "SELECT unit_id, from_ms, to_ms FROM custody WHERE batch_id = ? ORDER BY from_ms, id",
              b.id,
            ),
            reviews: all(
              "SELECT actor, decision, comment, at_ms FROM review WHERE batch_id = ? ORDER BY id",
              b.id,
            ),
          }),
        );
        const ownIds = JSON.stringify([id, ...[...units, ...probes, ...batches].map((r) => r.id)]);
        return {
          exportedAt: new Date(now()).toISOString(),
          account: me ?? null,
          site: account?.siteId ? (all("SELECT * FROM site WHERE id = ?", account.siteId)[0] ?? null) : null,
          units,
          probes,
          probeAttachments: all(
            `SELECT probe_id, unit_id, from_ms, to_ms FROM probe_attachment
             WHERE probe_id IN (SELECT id FROM probe WHERE owner_id = ?) ORDER BY probe_id, from_ms`,
            id,
          ),
          batches,
          alerts: all("SELECT * FROM alert WHERE owner_id = ? ORDER BY opened_ms, id", id),
          alertChannels: all("SELECT * FROM alert_channel WHERE owner_id = ? ORDER BY created_ms, id", id),
          apiTokens: all(
            "SELECT id, name, created_ms, last_used_ms, revoked_ms FROM api_token WHERE account_id = ? ORDER BY created_ms, id",
            id,
          ),
          sessions: all(
            "SELECT id, created_ms, last_seen_ms, expires_ms FROM session WHERE account_id = ? ORDER BY created_ms, id",
            id,
          ),
          audit: all(
            `SELECT id, at_ms, actor, action, entity, entity_id, details FROM audit
             WHERE actor = ? OR entity_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
            id,
            ownIds,
          ),
        };
      })();
    },
  };
}
export type DataExport = ReturnType<typeof createDataExport>;
