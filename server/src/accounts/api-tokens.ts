import { conflict, notFound } from "../errors.js";
import { recordAudit } from "../registry/audit.js";
import type { Caller } from "../registry/caller.js";
import { newAccountsId } from "./account-ids.js";
import type { AccountsDeps } from "./deps.js";
import { type Account, callerOf, checkName, toAccount } from "./directory.js";
import { API_TOKEN_PREFIX, hashToken, newApiToken } from "./secrets.js";

/** `last_used` is written at most once a minute per token, not on every request. */
export const TOKEN_TOUCH_MS = 60_000;
/** Enough for every script someone runs; stops a runaway loop from minting tokens forever. */
export const TOKENS_PER_ACCOUNT_MAX = 50;

/** A token as listed: never its secret or hash. */
export interface ApiTokenInfo {
  id: string;
  name: string;
  createdMs: number;
  lastUsedMs: number | null;
  revokedMs: number | null;
}

const toInfo = (r: Record<string, unknown>): ApiTokenInfo => ({
  id: r.id as string,
  name: r.name as string,
  createdMs: r.created_ms as number,
  lastUsedMs: (r.last_used_ms as number | null) ?? null,
  revokedMs: (r.revoked_ms as number | null) ?? null,
});

/**
 * Personal API tokens for scripts: `Authorization: Bearer ct_…`. A token acts as its account
 * with that account's current role and site; it stops working when revoked or when the account
 * is disabled or deleted.
 */
export function createApiTokens({ sql, now }: AccountsDeps) {
  const byId = (id: string) => sql.get<Record<string, unknown>>("SELECT * FROM api_token WHERE id = ?", [id]);

  return {
    /** A new token for the caller; the secret is in the answer once and never again. */
    async createToken(caller: Caller, name: string): Promise<ApiTokenInfo & { token: string }> {
      const n = checkName(name, "token name");
      const live = await sql.get<{ n: number }>(
        "SELECT count(*) AS n FROM api_token WHERE account_id = ? AND revoked_ms IS NULL",
        [caller.accountId],
      );
      if ((live?.n ?? 0) >= TOKENS_PER_ACCOUNT_MAX) {
        throw conflict(
          `you have ${TOKENS_PER_ACCOUNT_MAX} tokens already, the most one account may hold; revoke one you no longer use`,
        );
      }
      const token = newApiToken();
      const info: ApiTokenInfo = {
        id: newAccountsId("tok"),
        name: n,
        createdMs: now(),
        lastUsedMs: null,
        revokedMs: null,
      };
      await sql.transaction(async (tx) => {
        await tx.run(
          "INSERT INTO api_token (id, account_id, name, token_hash, created_ms) VALUES (?, ?, ?, ?, ?)",
          [info.id, caller.accountId, n, hashToken(token), info.createdMs],
        );
        await recordAudit(tx, info.createdMs, caller.accountId, "token.created", "api_token", info.id, {
          name: n,
        });
      });
      return { ...info, token };
    },

    /** The caller's own tokens, revoked ones included (so she sees what stopped working). */
    async listTokens(caller: Caller): Promise<ApiTokenInfo[]> {
      const rows = await sql.query<Record<string, unknown>>(
        "SELECT id, name, created_ms, last_used_ms, revoked_ms FROM api_token WHERE account_id = ? ORDER BY created_ms, id",
        [caller.accountId],
      );
      return rows.map(toInfo);
    },

    /** Revokes one of the caller's tokens (an admin may revoke anyone's, e.g. a leaked one). */
    async revokeToken(caller: Caller, id: string): Promise<ApiTokenInfo> {
      const r = await byId(id);
      if (!r || (r.account_id !== caller.accountId && caller.role !== "admin")) throw notFound("token", id);
      const nowMs = now();
      return sql.transaction(async (tx) => {
        const revoked = await tx.run(
          "UPDATE api_token SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL",
          [nowMs, id],
        );
        if (revoked.changes === 1) {
          await recordAudit(tx, nowMs, caller.accountId, "token.revoked", "api_token", id, {
            accountId: r.account_id,
          });
        }
        return toInfo(
          (await tx.get<Record<string, unknown>>("SELECT * FROM api_token WHERE id = ?", [id])) ?? r,
        );
      });
    },

    /** The account a bearer token stands for, or null (unknown, revoked, account not active). */
    async resolveToken(
      token: string | undefined,
    ): Promise<{ tokenId: string; account: Account; caller: Caller } | null> {
      if (!token?.startsWith(API_TOKEN_PREFIX)) return null;
      const r = await sql.get<Record<string, unknown>>(
        `SELECT t.id AS token_id, t.last_used_ms, a.*
         FROM api_token t JOIN account a ON a.id = t.account_id
         WHERE t.token_hash = ? AND t.revoked_ms IS NULL`,
        [hashToken(token)],
      );
      if (!r) return null;
      const account = toAccount(r);
      if (account.status !== "active") return null;
      const nowMs = now();
      const lastUsedMs = r.last_used_ms as number | null;
      if (lastUsedMs === null || nowMs - lastUsedMs >= TOKEN_TOUCH_MS) {
        await sql.run("UPDATE api_token SET last_used_ms = ? WHERE id = ?", [nowMs, r.token_id as string]);
      }
      return { tokenId: r.token_id as string, account, caller: callerOf(account) };
    },
  };
}
export type ApiTokens = ReturnType<typeof createApiTokens>;
