import type { SqlValue } from "../db/sql/client.js";
import type { Caller } from "../registry/caller.js";
import type { AccountsDeps } from "./deps.js";
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
 * A row as exported: camelCase keys, `…_ms` times as ISO 8601 strings named `…At` (`at_ms`,
 * `from_ms` and `to_ms` as `at`, `from`, `to`; DESIGN.md: times in responses are ISO strings),
 * JSON columns parsed, secrets left out.
 */
export function exportRow(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (SECRET_COLUMNS.has(k)) continue;
    if (k.endsWith("_ms")) {
      const base = k.slice(0, -3);
      // `at_ms` is `at`, as in the API's audit entries and reviews; `from_ms`/`to_ms` are `from`/`to`.
      const key =
        base === "at" || base === "from" || base === "to" || base.endsWith("_at") ? base : `${base}_at`;
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
 * Everything that is the caller's, as one JSON object (GET /me/export): her account and site,
 * units, probes and their attachments, batches with custody and reviews, alerts, alert channels,
 * API tokens and sessions (without secrets), and the audit entries she made or that are about
 * her rows. Readings live in the readings store; a route adds them per probe if wanted. Read in
 * one transaction, so the parts agree with each other.
 */
export function createDataExport({ sql, now }: AccountsDeps, directory: Directory) {
  return {
    async exportData(caller: Caller): Promise<Record<string, unknown>> {
      const id = caller.accountId;
      const account = await directory.find(id);
      return sql.transaction(async (tx) => {
        const all = async (text: string, ...params: SqlValue[]) =>
          (await tx.query<Record<string, unknown>>(text, params)).map(exportRow);
        const [me] = await all("SELECT * FROM account WHERE id = ?", id);
        const units = await all("SELECT * FROM unit WHERE owner_id = ? ORDER BY created_ms, id", id);
        const probes = await all("SELECT * FROM probe WHERE owner_id = ? ORDER BY created_ms, id", id);
        const batches: Record<string, unknown>[] = [];
        for (const b of await all("SELECT * FROM batch WHERE owner_id = ? ORDER BY created_ms, id", id)) {
          batches.push({
            ...b,
            custody: await all(
              "SELECT unit_id, from_ms, to_ms FROM custody WHERE batch_id = ? ORDER BY from_ms, id",
              b.id as string,
            ),
            reviews: await all(
              "SELECT actor, decision, comment, at_ms FROM review WHERE batch_id = ? ORDER BY id",
              b.id as string,
            ),
          });
        }
        return {
          exportedAt: new Date(now()).toISOString(),
          account: me ?? null,
          site: account?.siteId
            ? ((await all("SELECT * FROM site WHERE id = ?", account.siteId))[0] ?? null)
            : null,
          units,
          probes,
          probeAttachments: await all(
            `SELECT probe_id, unit_id, from_ms, to_ms FROM probe_attachment
             WHERE probe_id IN (SELECT id FROM probe WHERE owner_id = ?) ORDER BY probe_id, from_ms`,
            id,
          ),
          batches,
          alerts: await all("SELECT * FROM alert WHERE owner_id = ? ORDER BY opened_ms, id", id),
          alertChannels: await all(
            "SELECT * FROM alert_channel WHERE owner_id = ? ORDER BY created_ms, id",
            id,
          ),
          apiTokens: await all(
            "SELECT id, name, created_ms, last_used_ms, revoked_ms FROM api_token WHERE account_id = ? ORDER BY created_ms, id",
            id,
          ),
          sessions: await all(
            "SELECT id, created_ms, last_seen_ms, expires_ms FROM session WHERE account_id = ? ORDER BY created_ms, id",
            id,
          ),
          // Entries she made, or about her account, units, probes or batches.
          audit: await all(
            `SELECT id, at_ms, actor, action, entity, entity_id, details FROM audit
             WHERE actor = ? OR entity_id = ?
                OR entity_id IN (SELECT id FROM unit WHERE owner_id = ?)
                OR entity_id IN (SELECT id FROM probe WHERE owner_id = ?)
                OR entity_id IN (SELECT id FROM batch WHERE owner_id = ?)
             ORDER BY id`,
            id,
            id,
            id,
            id,
            id,
          ),
        };
      });
    },
  };
}
export type DataExport = ReturnType<typeof createDataExport>;
