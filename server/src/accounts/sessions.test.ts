import { beforeEach, describe, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { ADMIN } from "../registry/caller.js";
import { hashPassword, parsePasswordHash } from "./passwords.js";
import { hashToken } from "./secrets.js";
import { type AccountsWorld, DAY, HOUR, MIN, openAccountsWorld, PASSWORD, T0 } from "./test-world.js";

describeBackends("accounts: sessions", (open) => {
  let w: AccountsWorld;
  let siteId: string;
  beforeEach(async () => {
    w = await openAccountsWorld(await open());
    siteId = await w.site("Northside milk bank");
  });

  const ADDR = "192.0.2.10";

  describe("invitation → password → session", () => {
    it("invite, accept, sign in, resolve the session, check CSRF, sign out", async () => {
      const invited = await w.accounts.invite(ADMIN, {
        email: " Ana@Example.ORG ",
        name: "Ana",
        role: "donor",
        siteId,
      });
      expect(invited.account).toEqual({
        id: invited.id,
        email: "ana@example.org",
        name: "Ana",
        role: "donor",
        siteId,
        status: "invited",
        createdMs: T0,
        disabledMs: null,
        deletedMs: null,
      });
      expect(invited.expiresAtMs).toBe(T0 + 7 * DAY);
      expect(invited.inviteToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Only the hash is stored.
      expect(
        (
          await w.sql.get<{ n: number }>("SELECT count(*) AS n FROM invitation WHERE token_hash = ?", [
            invited.inviteToken,
          ])
        )?.n,
      ).toBe(0);
      expect(
        (
          await w.sql.get<{ n: number }>("SELECT count(*) AS n FROM invitation WHERE token_hash = ?", [
            hashToken(invited.inviteToken),
          ])
        )?.n,
      ).toBe(1);

      // A failed sign-in before the password is set.
      expect(
        await w.accounts.signIn({ email: "ana@example.org", password: PASSWORD, address: ADDR }),
      ).toMatchObject({
        ok: false,
        reason: "invalid-credentials",
      });

      w.advance(HOUR);
      const accepted = await w.accounts.acceptInvitation(invited.inviteToken, PASSWORD);
      expect(accepted).toMatchObject({ ok: true, account: { id: invited.id, status: "active" } });

      const signedIn = await w.accounts.signIn({
        email: "ANA@example.org",
        password: PASSWORD,
        address: ADDR,
      });
      if (!signedIn.ok) throw new Error(signedIn.message);
      expect(signedIn.account.id).toBe(invited.id);
      expect(signedIn.caller).toEqual({ accountId: invited.id, role: "donor", siteId, name: "Ana" });
      expect(signedIn.expiresAtMs).toBe(w.now() + 12 * HOUR);
      expect(signedIn.sessionToken).not.toBe(signedIn.csrfToken);

      const session = await w.accounts.resolveSession(signedIn.sessionToken);
      expect(session).toMatchObject({ caller: signedIn.caller, csrfToken: signedIn.csrfToken });
      if (!session) throw new Error("no session");
      expect(w.accounts.checkCsrf(session, signedIn.csrfToken)).toEqual({ ok: true });
      expect(w.accounts.checkCsrf(session, undefined)).toMatchObject({ ok: false, reason: "csrf-missing" });
      expect(w.accounts.checkCsrf(session, `${signedIn.csrfToken.slice(0, -1)}x`)).toMatchObject({
        ok: false,
        reason: "csrf-mismatch",
      });

      // A second session has its own CSRF token; one session's token does not pass for the other.
      const second = await w.accounts.signIn({ email: "ana@example.org", password: PASSWORD, address: ADDR });
      if (!second.ok) throw new Error(second.message);
      expect(w.accounts.checkCsrf(session, second.csrfToken)).toMatchObject({
        ok: false,
        reason: "csrf-mismatch",
      });

      expect(await w.accounts.signOut(signedIn.sessionToken)).toBe(true);
      expect(await w.accounts.resolveSession(signedIn.sessionToken)).toBeNull();
      expect(await w.accounts.signOut(signedIn.sessionToken)).toBe(false);
      expect(await w.accounts.resolveSession(second.sessionToken)).not.toBeNull();
      expect(await w.accounts.resolveSession(undefined)).toBeNull();
      expect(await w.accounts.resolveSession("not-a-session")).toBeNull();

      expect((await w.auditOf("account", invited.id)).map((e) => [e.actor, e.action])).toEqual([
        ["admin", "account.invited"],
        [invited.id, "account.activated"],
      ]);
      expect((await w.auditOf("session", session.sessionId)).map((e) => [e.actor, e.action])).toEqual([
        [invited.id, "session.created"],
        [invited.id, "session.ended"],
      ]);
    });

    it("refuses an expired invitation and says to ask for a new one, which works", async () => {
      const invited = await w.accounts.invite(ADMIN, {
        email: "bea@example.org",
        name: "Bea",
        role: "donor",
        siteId,
      });
      w.advance(7 * DAY);
      expect(await w.accounts.acceptInvitation(invited.inviteToken, PASSWORD)).toEqual({
        ok: false,
        reason: "invitation-expired",
        message: `this invitation expired on ${new Date(T0 + 7 * DAY).toISOString()}; ask whoever invited you for a new one`,
      });
      const again = await w.accounts.reinvite(ADMIN, invited.id);
      expect(again.expiresAtMs).toBe(w.now() + 7 * DAY);
      expect(await w.accounts.acceptInvitation(again.inviteToken, PASSWORD)).toMatchObject({ ok: true });
    });

    it("refuses a used invitation, an unknown one, and a short password (leaving the invitation usable)", async () => {
      const invited = await w.accounts.invite(ADMIN, {
        email: "cai@example.org",
        name: "Cai",
        role: "staff",
        siteId,
      });
      expect(await w.accounts.acceptInvitation(invited.inviteToken, "too short")).toMatchObject({
        ok: false,
        reason: "password-too-short",
      });
      expect(await w.accounts.acceptInvitation(invited.inviteToken, PASSWORD)).toMatchObject({ ok: true });
      w.advance(MIN);
      expect(await w.accounts.acceptInvitation(invited.inviteToken, "another long password")).toEqual({
        ok: false,
        reason: "invitation-used",
        message: `this invitation was already accepted on ${new Date(T0).toISOString()}; sign in with your email and password`,
      });
      expect(await w.accounts.acceptInvitation("made-up-token", PASSWORD)).toMatchObject({
        ok: false,
        reason: "invitation-unknown",
      });
      // The first password still signs in: the refused second acceptance changed nothing.
      expect(
        await w.accounts.signIn({ email: "cai@example.org", password: PASSWORD, address: ADDR }),
      ).toMatchObject({
        ok: true,
      });
    });

    it("a reinvitation closes the earlier open one", async () => {
      const first = await w.accounts.invite(ADMIN, {
        email: "dee@example.org",
        name: "Dee",
        role: "donor",
        siteId,
      });
      const second = await w.accounts.reinvite(ADMIN, first.id);
      expect(await w.accounts.acceptInvitation(first.inviteToken, PASSWORD)).toMatchObject({
        reason: "invitation-expired",
      });
      expect(await w.accounts.acceptInvitation(second.inviteToken, PASSWORD)).toMatchObject({ ok: true });
      await expect(w.accounts.reinvite(ADMIN, first.id)).rejects.toThrow(/is active, not waiting/);
    });
  });

  describe("signing in", () => {
    it("answers a wrong password and an unknown email the same way", async () => {
      const { email } = await w.activeMember("donor", siteId, "Eva");
      const wrong = await w.accounts.signIn({ email, password: "wrong password, long", address: ADDR });
      const unknown = await w.accounts.signIn({
        email: "nobody@example.org",
        password: PASSWORD,
        address: ADDR,
      });
      expect(wrong).toEqual({
        ok: false,
        reason: "invalid-credentials",
        message:
          "email or password is wrong; check both, or ask for a new invitation if you never set a password",
      });
      expect(unknown).toEqual(wrong);
      expect(await w.accounts.signIn({ email, password: "x".repeat(2000), address: ADDR })).toEqual(wrong);
    });

    it("locks after 5 failures, even for the right password, and unlocks 15 minutes later", async () => {
      const { email } = await w.activeMember("donor", siteId, "Fay");
      for (let i = 0; i < 5; i++) {
        expect(
          await w.accounts.signIn({ email, password: `wrong password ${i}`, address: ADDR }),
        ).toMatchObject({
          reason: "invalid-credentials",
        });
        w.advance(MIN);
      }
      expect(await w.accounts.signIn({ email, password: PASSWORD, address: "198.51.100.3" })).toEqual({
        ok: false,
        reason: "throttled",
        // Locked at the fifth failure (4 minutes in) for 15 minutes; it is now 5 minutes in.
        retryAfterMs: 14 * MIN,
        message: "too many failed sign-ins for this email or from this address; try again in 14 min",
      });
      w.advance(14 * MIN - 1);
      expect(await w.accounts.signIn({ email, password: PASSWORD, address: ADDR })).toMatchObject({
        reason: "throttled",
        retryAfterMs: 1,
      });
      w.advance(1);
      expect(await w.accounts.signIn({ email, password: PASSWORD, address: ADDR })).toMatchObject({
        ok: true,
      });
    });

    it("upgrades a hash made with weaker parameters at the next successful sign-in", async () => {
      const { email, caller } = await w.activeMember("donor", siteId, "Gil");
      await w.sql.run("UPDATE account SET password_hash = ? WHERE id = ?", [
        await hashPassword(PASSWORD, { ln: 14, r: 8, p: 1 }),
        caller.accountId,
      ]);
      expect(await w.accounts.signIn({ email, password: PASSWORD, address: ADDR })).toMatchObject({
        ok: true,
      });
      const stored = await w.sql.get<{ password_hash: string }>(
        "SELECT password_hash FROM account WHERE id = ?",
        [caller.accountId],
      );
      const parsed = parsePasswordHash(stored?.password_hash as string);
      expect(parsed.ok && parsed.hash.params).toEqual({ ln: 15, r: 8, p: 3 });
    });

    it("ends a session idle for 12 hours, and any session 30 days after sign-in", async () => {
      const { email } = await w.activeMember("staff", siteId, "Hal");
      const a = await w.accounts.signIn({ email, password: PASSWORD, address: ADDR });
      if (!a.ok) throw new Error(a.message);
      w.advance(12 * HOUR - 1);
      expect((await w.accounts.resolveSession(a.sessionToken))?.expiresAtMs).toBe(w.now() + 12 * HOUR);
      w.advance(12 * HOUR - 1);
      expect(await w.accounts.resolveSession(a.sessionToken)).not.toBeNull();
      w.advance(12 * HOUR);
      expect(await w.accounts.resolveSession(a.sessionToken)).toBeNull();

      const b = await w.accounts.signIn({ email, password: PASSWORD, address: ADDR });
      if (!b.ok) throw new Error(b.message);
      const started = w.now();
      // Used every 11 hours, it lives until the absolute expiry.
      while (w.now() + 11 * HOUR < started + 30 * DAY) {
        w.advance(11 * HOUR);
        expect(await w.accounts.resolveSession(b.sessionToken)).not.toBeNull();
      }
      expect((await w.accounts.resolveSession(b.sessionToken))?.expiresAtMs).toBe(started + 30 * DAY);
      w.setNow(started + 30 * DAY);
      expect(await w.accounts.resolveSession(b.sessionToken)).toBeNull();
      expect((await w.sql.get<{ n: number }>("SELECT count(*) AS n FROM session"))?.n).toBe(0);
    });

    it("refuses a disabled account and ends its sessions", async () => {
      const { email, caller } = await w.activeMember("donor", siteId, "Ivy");
      const s = await w.accounts.signIn({ email, password: PASSWORD, address: ADDR });
      if (!s.ok) throw new Error(s.message);
      await w.accounts.updateAccount(ADMIN, caller.accountId, { disabled: true });
      expect(await w.accounts.resolveSession(s.sessionToken)).toBeNull();
      expect(await w.accounts.signIn({ email, password: PASSWORD, address: ADDR })).toMatchObject({
        ok: false,
        reason: "account-disabled",
      });
      await w.accounts.updateAccount(ADMIN, caller.accountId, { disabled: false });
      expect(await w.accounts.signIn({ email, password: PASSWORD, address: ADDR })).toMatchObject({
        ok: true,
      });
    });

    it("purges expired sessions", async () => {
      const { email } = await w.activeMember("donor", siteId, "Jo");
      await w.accounts.signIn({ email, password: PASSWORD, address: ADDR });
      w.advance(6 * HOUR);
      await w.accounts.signIn({ email, password: PASSWORD, address: ADDR });
      w.advance(6 * HOUR);
      expect(await w.accounts.purgeExpiredSessions()).toBe(1);
      expect((await w.sql.get<{ n: number }>("SELECT count(*) AS n FROM session"))?.n).toBe(1);
    });
  });
});
