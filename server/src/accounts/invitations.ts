import { conflict } from "../errors.js";
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

export function createInvitations({ db, audit, now }: AccountsDeps, directory: Directory) {
  const insertAccount = db.prepare(
    "INSERT INTO account (id, name, role, created_ms, email, site_id) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const emailTaken = db.prepare("SELECT id FROM account WHERE email = ?").pluck();
  const insertInvitation = db.prepare(
    "INSERT INTO invitation (id, account_id, token_hash, invited_by, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const byToken = db.prepare("SELECT * FROM invitation WHERE token_hash = ?");
  const consume = db.prepare("UPDATE invitation SET accepted_ms = ? WHERE id = ? AND accepted_ms IS NULL");
  const closeOpen = db.prepare(
    "UPDATE invitation SET expires_ms = min(expires_ms, ?) WHERE account_id = ? AND accepted_ms IS NULL",
  );
  const setPassword = db.prepare("UPDATE account SET password_hash = ? WHERE id = ? AND deleted_ms IS NULL");

  function issue(caller: Caller, accountId: string, nowMs: number) {
    const inviteToken = newSessionToken();
    const invitationId = newAccountsId("inv");
    const expiresAtMs = nowMs + INVITATION_TTL_MS;
    insertInvitation.run(
      invitationId,
      accountId,
      hashToken(inviteToken),
      caller.accountId,
      nowMs,
      expiresAtMs,
    );
    return { invitationId, inviteToken, expiresAtMs };
  }

  return {
    /**
     * Creates the account (status "invited", no password yet) and its invitation. admin: any
     * role; staff: donors of their own site (siteId defaults to theirs); donors: nobody.
     */
    invite(
      caller: Caller,
      input: { email: string; name: string; role: Role; siteId?: string | null | undefined },
    ): Invited {
      const role = checkRole(input.role);
      const siteId =
        input.siteId ?? (caller.role === "staff" && role === "donor" ? (caller.siteId ?? null) : null);
      enforce(canInvite(caller, role, siteId));
      const email = checkEmail(input.email);
      const name = checkName(input.name);
      directory.requireSite(siteId);
      if (emailTaken.get(email)) throw conflict(`an account with email "${email}" exists already`);
      const id = newAccountsId("acct");
      const nowMs = now();
      let issued = { invitationId: "", inviteToken: "", expiresAtMs: 0 };
      db.transaction(() => {
        insertAccount.run(id, name, role, nowMs, email, siteId);
        issued = issue(caller, id, nowMs);
        audit.record(nowMs, caller.accountId, "account.invited", "account", id, {
          role,
          siteId,
          invitationId: issued.invitationId,
          expiresAt: new Date(issued.expiresAtMs).toISOString(),
        });
      })();
      return { id, account: directory.find(id) as Account, ...issued };
    },

    /**
     * A new invitation for an account that has not set its password yet (the first one expired or
     * got lost); earlier open invitations of that account stop working.
     */
    reinvite(caller: Caller, accountId: string): Invited {
      const account = directory.get(caller, accountId);
      enforce(canManage(caller, refOf(account)));
      if (account.status !== "invited") {
        throw conflict(
          `account "${accountId}" is ${account.status}, not waiting for an invitation to be accepted`,
        );
      }
      const nowMs = now();
      let issued = { invitationId: "", inviteToken: "", expiresAtMs: 0 };
      db.transaction(() => {
        closeOpen.run(nowMs, accountId);
        issued = issue(caller, accountId, nowMs);
        audit.record(nowMs, caller.accountId, "account.reinvited", "account", accountId, {
          invitationId: issued.invitationId,
          expiresAt: new Date(issued.expiresAtMs).toISOString(),
        });
      })();
      return { id: accountId, account, ...issued };
    },

    /**
     * Sets the password and consumes the invitation. Unknown, expired and used tokens are told
     * apart so the person knows whether to ask for a new link or just sign in.
     */
    async accept(token: string, password: string): Promise<{ ok: true; account: Account } | AcceptFailure> {
      const r = byToken.get(hashToken(token)) as Record<string, unknown> | undefined;
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
      const outcome = db.transaction((): AcceptFailure | null => {
        if (consume.run(nowMs, r.id as string).changes !== 1) {
          return {
            ok: false,
            reason: "invitation-used",
            message: "this invitation was just accepted; sign in",
          };
        }
        if (setPassword.run(hash, accountId).changes !== 1) {
          return {
            ok: false,
            reason: "account-unavailable",
            message: "the account of this invitation was deleted; ask whoever invited you",
          };
        }
        audit.record(nowMs, accountId, "account.activated", "account", accountId, { invitationId: r.id });
        return null;
      })();
      return outcome ?? { ok: true, account: directory.find(accountId) as Account };
    },
  };
}
export type Invitations = ReturnType<typeof createInvitations>;
