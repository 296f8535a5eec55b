import type { SqlTransaction } from "../db/sql/client.js";
import { constraintViolation } from "../db/sql/violations.js";
import { conflict } from "../errors.js";
import { recordAudit } from "../registry/audit.js";
import type { Caller } from "../registry/caller.js";
import { newAccountsId } from "./account-ids.js";
import type { AccountsDeps } from "./deps.js";
import {
  type Account,
  checkEmail,
  checkName,
  checkRole,
  type Directory,
  enforce,
  refOf,
} from "./directory.js";
import { checkPasswordRules, hashPassword } from "./passwords.js";
import { canInvite, canManage, type Role } from "./permissions.js";
import { hashToken, newSessionToken } from "./secrets.js";

/**
 * Seven days: long enough for someone who reads email once a week, short enough that a link
 * forwarded or found in an old inbox soon stops working. A new one can be issued (`reinvite`).
 */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60_000;

export interface Invited {
  /** The new account's id. */
  id: string;
  account: Account;
  invitationId: string;
  /** Shown once (put it in the invitation link); only its hash is stored. */
  inviteToken: string;
  expiresAtMs: number;
}

export type AcceptFailure = {
  ok: false;
  reason:
    | "invitation-unknown"
    | "invitation-expired"
    | "invitation-used"
    | "account-unavailable"
    | "password-too-short"
    | "password-too-long";
  message: string;
};

export function createInvitations({ sql, now }: AccountsDeps, directory: Directory) {
  async function issue(tx: SqlTransaction, caller: Caller, accountId: string, nowMs: number) {
    const inviteToken = newSessionToken();
    const invitationId = newAccountsId("inv");
    const expiresAtMs = nowMs + INVITATION_TTL_MS;
    await tx.run(
      "INSERT INTO invitation (id, account_id, token_hash, invited_by, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
      [invitationId, accountId, hashToken(inviteToken), caller.accountId, nowMs, expiresAtMs],
    );
    return { invitationId, inviteToken, expiresAtMs };
  }

  return {
    /**
     * Creates the account (status "invited", no password yet) and its invitation. admin: any
     * role; staff: donors of their own site (siteId defaults to theirs); donors: nobody.
     */
    async invite(
      caller: Caller,
      input: { email: string; name: string; role: Role; siteId?: string | null | undefined },
    ): Promise<Invited> {
      const role = checkRole(input.role);
      const siteId =
        input.siteId ?? (caller.role === "staff" && role === "donor" ? (caller.siteId ?? null) : null);
      enforce(canInvite(caller, role, siteId));
      const email = checkEmail(input.email);
      const name = checkName(input.name);
      await directory.requireSite(siteId);
      const taken = () => conflict(`an account with email "${email}" exists already`);
      if (await sql.get("SELECT id FROM account WHERE email = ?", [email])) throw taken();
      const id = newAccountsId("acct");
      const nowMs = now();
      try {
        return await sql.transaction(async (tx) => {
          await tx.run(
            "INSERT INTO account (id, name, role, created_ms, email, site_id) VALUES (?, ?, ?, ?, ?, ?)",
            [id, name, role, nowMs, email, siteId],
          );
          const issued = await issue(tx, caller, id, nowMs);
          await recordAudit(tx, nowMs, caller.accountId, "account.invited", "account", id, {
            role,
            siteId,
            invitationId: issued.invitationId,
            expiresAt: new Date(issued.expiresAtMs).toISOString(),
          });
          return { id, account: (await directory.find(id, tx)) as Account, ...issued };
        });
      } catch (error) {
        // Two invitations of one email at once: the unique index refuses the second.
        if (constraintViolation(error) === "unique") throw taken();
        throw error;
      }
    },

    /**
     * A new invitation for an account that has not set its password yet (the first one expired or
     * got lost); earlier open invitations of that account stop working.
     */
    async reinvite(caller: Caller, accountId: string): Promise<Invited> {
      const account = await directory.get(caller, accountId);
      enforce(canManage(caller, refOf(account)));
      if (account.status !== "invited") {
        throw conflict(
          `account "${accountId}" is ${account.status}, not waiting for an invitation to be accepted`,
        );
      }
      const nowMs = now();
      const issued = await sql.transaction(async (tx) => {
        await tx.run(
          "UPDATE invitation SET expires_ms = ? WHERE account_id = ? AND accepted_ms IS NULL AND expires_ms > ?",
          [nowMs, accountId, nowMs],
        );
        const fresh = await issue(tx, caller, accountId, nowMs);
        await recordAudit(tx, nowMs, caller.accountId, "account.reinvited", "account", accountId, {
          invitationId: fresh.invitationId,
          expiresAt: new Date(fresh.expiresAtMs).toISOString(),
        });
        return fresh;
      });
      return { id: accountId, account, ...issued };
    },

    /**
     * `reinvite`, unless the account already has an open invitation: then that one's id and expiry,
     * and nothing is issued. Instances starting at once on one database issue one invitation: the
     * account row is written first, so PostgreSQL holds the row lock until the winner commits and
     * the others' check then sees its invitation (SQLite's write lock does the same).
     */
    async reinviteUnlessOpen(
      caller: Caller,
      accountId: string,
    ): Promise<{ issued: Invited } | { open: { invitationId: string; expiresAtMs: number } }> {
      const account = await directory.get(caller, accountId);
      enforce(canManage(caller, refOf(account)));
      const nowMs = now();
      return sql.transaction(async (tx) => {
        const locked = await tx.run(
          "UPDATE account SET name = name WHERE id = ? AND password_hash IS NULL AND deleted_ms IS NULL",
          [accountId],
        );
        if (locked.changes !== 1) {
          throw conflict(`account "${accountId}" is no longer waiting for an invitation to be accepted`);
        }
        const open = await tx.get<{ id: string; expires_ms: number }>(
          "SELECT id, expires_ms FROM invitation WHERE account_id = ? AND accepted_ms IS NULL AND expires_ms > ? ORDER BY expires_ms DESC LIMIT 1",
          [accountId, nowMs],
        );
        if (open) return { open: { invitationId: open.id, expiresAtMs: Number(open.expires_ms) } };
        const fresh = await issue(tx, caller, accountId, nowMs);
        await recordAudit(tx, nowMs, caller.accountId, "account.reinvited", "account", accountId, {
          invitationId: fresh.invitationId,
          expiresAt: new Date(fresh.expiresAtMs).toISOString(),
        });
        return { issued: { id: accountId, account, ...fresh } };
      });
    },

    /**
     * Sets the password and consumes the invitation. Unknown, expired and used tokens are told
     * apart so the person knows whether to ask for a new link or just sign in.
     */
    async accept(token: string, password: string): Promise<{ ok: true; account: Account } | AcceptFailure> {
      const r = await sql.get<Record<string, unknown>>("SELECT * FROM invitation WHERE token_hash = ?", [
        hashToken(token),
      ]);
      if (!r) {
        return {
          ok: false,
          reason: "invitation-unknown",
          message: "this invitation link is not valid; check that it was copied whole, or ask for a new one",
        };
      }
      if (r.accepted_ms !== null) {
        return {
          ok: false,
          reason: "invitation-used",
          message: `this invitation was already accepted on ${new Date(r.accepted_ms as number).toISOString()}; sign in with your email and password`,
        };
      }
      if ((r.expires_ms as number) <= now()) {
        return {
          ok: false,
          reason: "invitation-expired",
          message: `this invitation expired on ${new Date(r.expires_ms as number).toISOString()}; ask whoever invited you for a new one`,
        };
      }
      const rules = checkPasswordRules(password);
      if (!rules.ok) return rules;
      const hash = await hashPassword(password);
      const accountId = r.account_id as string;
      const nowMs = now();
      // Checked again inside the transaction: two tabs may accept the same link at once.
      return sql.transaction(async (tx): Promise<{ ok: true; account: Account } | AcceptFailure> => {
        const consumed = await tx.run(
          "UPDATE invitation SET accepted_ms = ? WHERE id = ? AND accepted_ms IS NULL",
          [nowMs, r.id as string],
        );
        if (consumed.changes !== 1) {
          return {
            ok: false,
            reason: "invitation-used",
            message: "this invitation was just accepted; sign in",
          };
        }
        const set = await tx.run("UPDATE account SET password_hash = ? WHERE id = ? AND deleted_ms IS NULL", [
          hash,
          accountId,
        ]);
        if (set.changes !== 1) {
          return {
            ok: false,
            reason: "account-unavailable",
            message: "the account of this invitation was deleted; ask whoever invited you",
          };
        }
        await recordAudit(tx, nowMs, accountId, "account.activated", "account", accountId, {
          invitationId: r.id,
        });
        return { ok: true, account: (await directory.find(accountId, tx)) as Account };
      });
    },
  };
}
export type Invitations = ReturnType<typeof createInvitations>;
