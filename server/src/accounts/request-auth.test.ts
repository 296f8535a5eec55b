import { beforeEach, describe, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { ADMIN } from "../registry/caller.js";
import { failureError } from "./index.js";
import {
  clearedSessionCookie,
  cookieValue,
  createRequestAuth,
  SESSION_COOKIE,
  sessionCookie,
} from "./request-auth.js";
import { type AccountsWorld, HOUR, openAccountsWorld, PASSWORD } from "./test-world.js";

const ADMIN_TOKEN = "bootstrap-admin-token-for-tests";

describeBackends("accounts: request authentication", (open) => {
  let w: AccountsWorld;
  beforeEach(async () => {
    w = await openAccountsWorld(await open());
  });

  describe("request authentication", () => {
    it("accepts a session cookie for reads, wants the CSRF token for writes, and ends with the session", async () => {
      const auth = createRequestAuth(w.accounts, { adminToken: ADMIN_TOKEN });
      const site = await w.site("Northside milk bank");
      const { email, caller } = await w.activeMember("donor", site, "Ana");
      const s = await w.accounts.signIn({ email, password: PASSWORD, address: "192.0.2.1" });
      if (!s.ok) throw new Error(s.message);
      const cookie = `theme=dark; ${SESSION_COOKIE}=${s.sessionToken}; other=1`;

      expect(await auth({ method: "GET", cookie })).toMatchObject({
        ok: true,
        via: "session",
        caller,
        csrfToken: s.csrfToken,
      });
      expect(await auth({ method: "POST", cookie })).toMatchObject({ ok: false, reason: "csrf-missing" });
      expect(await auth({ method: "DELETE", cookie, csrfToken: "forged" })).toMatchObject({
        ok: false,
        reason: "csrf-mismatch",
      });
      expect(await auth({ method: "PATCH", cookie, csrfToken: s.csrfToken })).toMatchObject({
        ok: true,
        caller,
      });

      w.advance(13 * HOUR);
      expect(await auth({ method: "GET", cookie })).toEqual({
        ok: false,
        reason: "invalid-session",
        message: "your session has ended; sign in again",
      });
      expect(await auth({ method: "GET" })).toMatchObject({ ok: false, reason: "unauthenticated" });
    });

    it("takes personal tokens and the bootstrap admin token as bearer tokens, without CSRF", async () => {
      const auth = createRequestAuth(w.accounts, { adminToken: ADMIN_TOKEN });
      const ana = await w.member("donor", await w.site("Northside milk bank"), "Ana");
      await w.sql.run("UPDATE account SET password_hash = 'set' WHERE id = ?", [ana.accountId]);
      const { token, id } = await w.accounts.createToken(ana, "script");
      expect(await auth({ method: "POST", authorization: `Bearer ${token}` })).toEqual({
        ok: true,
        caller: ana,
        via: "api-token",
        tokenId: id,
      });
      expect(await auth({ method: "POST", authorization: `bearer ${ADMIN_TOKEN}` })).toEqual({
        ok: true,
        caller: ADMIN,
        via: "admin-token",
      });
      expect(await auth({ method: "GET", authorization: "Bearer ct_nope" })).toMatchObject({
        ok: false,
        reason: "invalid-token",
      });
      expect(await auth({ method: "GET", authorization: `Basic ${ADMIN_TOKEN}` })).toMatchObject({
        ok: false,
        reason: "bad-authorization",
      });
    });

    it("builds the session cookie as DESIGN.md describes and parses it back", async () => {
      expect(sessionCookie("abc", { secure: true })).toBe(
        "coldtrail_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure",
      );
      expect(sessionCookie("abc", { secure: false })).toBe(
        "coldtrail_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000",
      );
      expect(clearedSessionCookie({ secure: false })).toBe(
        "coldtrail_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
      );
      expect(cookieValue("a=1; coldtrail_session=xyz", SESSION_COOKIE)).toBe("xyz");
      expect(cookieValue("xcoldtrail_session=xyz", SESSION_COOKIE)).toBeUndefined();
      expect(cookieValue(undefined, SESSION_COOKIE)).toBeUndefined();
    });

    it("maps refusals to catalogue errors with their message", async () => {
      const e = failureError({ reason: "csrf-missing", message: "missing X-CSRF-Token header" });
      expect([e.code, e.statusCode, e.message]).toEqual([
        "CT_ERR_FORBIDDEN",
        403,
        "missing X-CSRF-Token header",
      ]);
      expect(failureError({ reason: "invalid-session", message: "m" }).statusCode).toBe(401);
      expect(failureError({ reason: "invitation-expired", message: "m" }).statusCode).toBe(409);
      expect(failureError({ reason: "password-too-short", message: "m" }).statusCode).toBe(400);
    });
  });
});
