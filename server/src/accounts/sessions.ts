import { recordAudit } from "../registry/audit.js";
import type { Caller } from "../registry/caller.js";
import { newAccountsId } from "./account-ids.js";
import type { AccountsDeps } from "./deps.js";
import { type Account, callerOf, normaliseEmail, toAccount } from "./directory.js";
import { hashPassword, needsRehash, PASSWORD_MAX_CHARS, verifyPassword } from "./passwords.js";
import { csrfTokenFor, hashToken, newSessionToken, sameSecret } from "./secrets.js";
import type { SignInThrottle } from "./throttle.js";

/** A working day at the bench: a session left alone this long ends (OWASP Session Management: idle timeout). */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
/** However active, a session ends after 30 days and the person signs in again (absolute timeout). */
export const SESSION_ABSOLUTE_MS = 30 * 24 * 60 * 60_000;
/** `last_seen` is written at most once a minute, not on every request. */
export const SESSION_TOUCH_MS = 60_000;

export interface SignedIn {
  ok: true;
  /** The cookie value (`coldtrail_session`); only its hash is stored. */
  sessionToken: string;
  /** Sent back in `X-CSRF-Token` on cookie-authenticated writes. */
  csrfToken: string;
  account: Account;
  caller: Caller;
  /** When the session ends if left idle (the absolute expiry may come first). */
  expiresAtMs: number;
}

export type SignInFailure =
  | { ok: false; reason: "throttled"; retryAfterMs: number; message: string }
  | { ok: false; reason: "invalid-credentials"; message: string }
  | { ok: false; reason: "account-disabled"; message: string };

export interface ResolvedSession {
  sessionId: string;
  account: Account;
  caller: Caller;
  csrfToken: string;
  expiresAtMs: number;
}

const INVALID: SignInFailure = {
  ok: false,
  reason: "invalid-credentials",
  message: "email or password is wrong; check both, or ask for a new invitation if you never set a password",
};

const SESSION_BY_HASH = `SELECT s.id AS session_id, s.last_seen_ms, s.expires_ms, a.*
     FROM session s JOIN account a ON a.id = s.account_id WHERE s.token_hash = ?`;

export function createSessions({ sql, now }: AccountsDeps, throttle: SignInThrottle) {
  // An unknown email costs one scrypt like a known one, so timing does not reveal who has an account.
  // Made once, up front, so the first unknown email does not cost two derivations.
  const dummyHash = hashPassword(newSessionToken());

  const expiresAt = (lastSeenMs: number, absoluteMs: number) =>
    Math.min(lastSeenMs + SESSION_IDLE_MS, absoluteMs);

  return {
    /**
     * Checks the password and opens a session. `address` is the client's address (for the
     * throttle). Unknown email and wrong password give the same answer at the same cost.
     */
    async signIn(input: {
      email: string;
      password: string;
      address: string;
    }): Promise<SignedIn | SignInFailure> {
      const email = normaliseEmail(input.email);
      const attempt = { email, address: input.address };
      const allowed = throttle.check(attempt);
      if (!allowed.ok) {
        return {
          ok: false,
          reason: "throttled",
          retryAfterMs: allowed.retryAfterMs,
          message: `too many failed sign-ins for this email or from this address; try again in ${Math.ceil(allowed.retryAfterMs / 60_000)} min`,
        };
      }
      const row = await sql.get<Record<string, unknown>>(
        "SELECT * FROM account WHERE email = ? AND deleted_ms IS NULL",
        [email],
      );
      const stored = (row?.password_hash as string | null | undefined) ?? null;
      // Over-long input is refused after the same work, so length gives nothing away either.
      const tooLong = [...input.password].length > PASSWORD_MAX_CHARS;
      const matches = await verifyPassword(tooLong ? "" : input.password, stored ?? (await dummyHash));
      if (!row || stored === null || !matches || tooLong) {
        throttle.fail(attempt);
        return INVALID;
      }
      throttle.succeed(attempt);
      const account = toAccount(row);
      if (account.status === "disabled") {
        return {
          ok: false,
          reason: "account-disabled",
          message: "this account is disabled; ask the staff of your milk bank or an admin",
        };
      }
      if (needsRehash(stored)) {
        const rehashed = await hashPassword(input.password);
        await sql.run("UPDATE account SET password_hash = ? WHERE id = ?", [rehashed, account.id]);
      }
      const sessionToken = newSessionToken();
      const sessionId = newAccountsId("ses");
      const nowMs = now();
      const absoluteMs = nowMs + SESSION_ABSOLUTE_MS;
      await sql.transaction(async (tx) => {
        await tx.run(
          "INSERT INTO session (id, account_id, token_hash, created_ms, last_seen_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
          [sessionId, account.id, hashToken(sessionToken), nowMs, nowMs, absoluteMs],
        );
        await recordAudit(tx, nowMs, account.id, "session.created", "session", sessionId, {
          address: input.address,
        });
      });
      return {
        ok: true,
        sessionToken,
        csrfToken: csrfTokenFor(sessionToken),
        account,
        caller: callerOf(account),
        expiresAtMs: expiresAt(nowMs, absoluteMs),
      };
    },

    /**
     * The session a cookie stands for, or null when it is unknown, idle too long, past its
     * absolute expiry, or its account is disabled or deleted. Keeps an active session alive.
     */
    async resolveSession(sessionToken: string | undefined): Promise<ResolvedSession | null> {
      if (!sessionToken) return null;
      const r = await sql.get<Record<string, unknown>>(SESSION_BY_HASH, [hashToken(sessionToken)]);
      if (!r) return null;
      const nowMs = now();
      const sessionId = r.session_id as string;
      let lastSeenMs = r.last_seen_ms as number;
      const absoluteMs = r.expires_ms as number;
      if (nowMs >= expiresAt(lastSeenMs, absoluteMs)) {
        await sql.run("DELETE FROM session WHERE id = ?", [sessionId]);
        return null;
      }
      const account = toAccount(r);
      if (account.status !== "active") return null;
      if (nowMs - lastSeenMs >= SESSION_TOUCH_MS) {
        await sql.run("UPDATE session SET last_seen_ms = ? WHERE id = ?", [nowMs, sessionId]);
        lastSeenMs = nowMs;
      }
      return {
        sessionId,
        account,
        caller: callerOf(account),
        csrfToken: csrfTokenFor(sessionToken),
        expiresAtMs: expiresAt(lastSeenMs, absoluteMs),
      };
    },

    /** Ends the session of this cookie; false if there was none. */
    async signOut(sessionToken: string | undefined): Promise<boolean> {
      if (!sessionToken) return false;
      const r = await sql.get<Record<string, unknown>>(SESSION_BY_HASH, [hashToken(sessionToken)]);
      if (!r) return false;
      const nowMs = now();
      await sql.transaction(async (tx) => {
        const removed = await tx.run("DELETE FROM session WHERE id = ?", [r.session_id as string]);
        // Signed out twice at once: one audit entry, for the request that ended it.
        if (removed.changes === 1) {
          await recordAudit(tx, nowMs, r.id as string, "session.ended", "session", r.session_id as string);
        }
      });
      return true;
    },

    /**
     * Cookie-authenticated writes must carry the session's CSRF token in `X-CSRF-Token`: another
     * site can make the browser send the cookie, but cannot read the token.
     */
    checkCsrf(
      session: ResolvedSession,
      header: string | string[] | undefined,
    ): { ok: true } | { ok: false; reason: "csrf-missing" | "csrf-mismatch"; message: string } {
      const value = Array.isArray(header) ? header[0] : header;
      if (!value) {
        return {
          ok: false,
          reason: "csrf-missing",
          message:
            "missing X-CSRF-Token header: send the csrfToken from sign-in (or GET /me) with every write",
        };
      }
      return sameSecret(value, session.csrfToken)
        ? { ok: true }
        : {
            ok: false,
            reason: "csrf-mismatch",
            message: "X-CSRF-Token does not belong to this session; reload the page to get the current one",
          };
    },

    /** Deletes sessions past either expiry; for a periodic job. Returns how many went. */
    async purgeExpired(): Promise<number> {
      const nowMs = now();
      const removed = await sql.run("DELETE FROM session WHERE expires_ms <= ? OR last_seen_ms <= ?", [
        nowMs,
        nowMs - SESSION_IDLE_MS,
      ]);
      return removed.changes;
    },
  };
}
export type Sessions = ReturnType<typeof createSessions>;
