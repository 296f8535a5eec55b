import { beforeEach, describe, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { ADMIN } from "../registry/caller.js";
import { hashToken } from "./secrets.js";
import { type AccountsWorld, MIN, openAccountsWorld, T0 } from "./test-world.js";

describeBackends("accounts: API tokens", (open) => {
  let w: AccountsWorld;
  beforeEach(async () => {
    w = await openAccountsWorld(await open());
  });

  describe("personal API tokens", () => {
    it("are created once, stored hashed, resolve to their account, list without secrets and revoke", async () => {
      const siteId = await w.site("Northside milk bank");
      const ana = await w.member("donor", siteId, "Ana");
      // The invited account has no password yet but may not use tokens until it is active.
      await w.sql.run("UPDATE account SET password_hash = 'set' WHERE id = ?", [ana.accountId]);
      const created = await w.accounts.createToken(ana, "  backup script ");
      expect(created).toEqual({
        id: created.id,
        name: "backup script",
        createdMs: T0,
        lastUsedMs: null,
        revokedMs: null,
        token: created.token,
      });
      expect(created.token).toMatch(/^ct_[A-Za-z0-9_-]{43}$/);
      const row = (await w.sql.get<Record<string, unknown>>("SELECT * FROM api_token WHERE id = ?", [
        created.id,
      ])) as Record<string, unknown>;
      expect(Object.values(row)).not.toContain(created.token);
      expect(row.token_hash).toBe(hashToken(created.token));

      w.advance(MIN);
      expect(await w.accounts.resolveToken(created.token)).toEqual({
        tokenId: created.id,
        account: expect.objectContaining({ id: ana.accountId, status: "active" }),
        caller: ana,
      });
      expect(await w.accounts.listTokens(ana)).toEqual([
        { id: created.id, name: "backup script", createdMs: T0, lastUsedMs: T0 + MIN, revokedMs: null },
      ]);
      expect(await w.accounts.resolveToken(`${created.token}x`)).toBeNull();
      expect(await w.accounts.resolveToken(created.token.replace(/^ct_/, ""))).toBeNull();
      expect(await w.accounts.resolveToken(undefined)).toBeNull();

      // Someone else cannot see or revoke it: 404 as if it did not exist.
      const bob = await w.member("donor", siteId, "Bob");
      expect(await w.accounts.listTokens(bob)).toEqual([]);
      await expect(w.accounts.revokeToken(bob, created.id)).rejects.toThrow(
        `token "${created.id}" does not exist`,
      );

      w.advance(MIN);
      expect(await w.accounts.revokeToken(ana, created.id)).toMatchObject({ revokedMs: T0 + 2 * MIN });
      expect(await w.accounts.resolveToken(created.token)).toBeNull();
      expect((await w.auditOf("api_token", created.id)).map((e) => [e.actor, e.action])).toEqual([
        [ana.accountId, "token.created"],
        [ana.accountId, "token.revoked"],
      ]);
    });

    it("stop resolving while the account is disabled; the bootstrap admin's tokens work", async () => {
      const siteId = await w.site("Northside milk bank");
      const cy = await w.member("staff", siteId, "Cy");
      await w.sql.run("UPDATE account SET password_hash = 'set' WHERE id = ?", [cy.accountId]);
      const { token } = await w.accounts.createToken(cy, "sensor import");
      await w.accounts.updateAccount(ADMIN, cy.accountId, { disabled: true });
      expect(await w.accounts.resolveToken(token)).toBeNull();
      await w.accounts.updateAccount(ADMIN, cy.accountId, { disabled: false });
      expect((await w.accounts.resolveToken(token))?.caller).toEqual(cy);
      const admin = await w.accounts.createToken(ADMIN, "ops");
      expect((await w.accounts.resolveToken(admin.token))?.caller).toEqual(ADMIN);
    });

    it("an admin revokes anyone's token (a leaked one)", async () => {
      const siteId = await w.site("Northside milk bank");
      const di = await w.member("donor", siteId, "Di");
      const { id } = await w.accounts.createToken(di, "laptop");
      expect((await w.accounts.revokeToken(ADMIN, id)).revokedMs).toBe(T0);
    });
  });
});
