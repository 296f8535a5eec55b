import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ADMIN } from "../registry/caller.js";
import { hashToken } from "./secrets.js";
import { type AccountsWorld, createAccountsWorld, MIN, T0 } from "./test-world.js";

let w: AccountsWorld;
beforeEach(() => {
  w = createAccountsWorld();
});
afterEach(() => w.close());

describe("personal API tokens", () => {
  it("are created once, stored hashed, resolve to their account, list without secrets and revoke", () => {
    const siteId = w.site("Northside milk bank");
    const ana = w.member("donor", siteId, "Ana");
    // The invited account has no password yet but may not use tokens until it is active.
    w.db.prepare("UPDATE account SET password_hash = 'set' WHERE id = ?").run(ana.accountId);
    const created = w.accounts.createToken(ana, "  backup script ");
    expect(created).toEqual({
      id: created.id,
      name: "backup script",
      createdMs: T0,
      lastUsedMs: null,
      revokedMs: null,
      token: created.token,
    });
    expect(created.token).toMatch(/^ct_[A-Za-z0-9_-]{43}$/);
    const row = w.db.prepare("SELECT * FROM api_token WHERE id = ?").get(created.id) as Record<
      string,
      unknown
    >;
    expect(Object.values(row)).not.toContain(created.token);
    expect(row.token_hash).toBe(hashToken(created.token));

    w.advance(MIN);
    expect(w.accounts.resolveToken(created.token)).toEqual({
      tokenId: created.id,
      account: expect.objectContaining({ id: ana.accountId, status: "active" }),
      caller: ana,
    });
    expect(w.accounts.listTokens(ana)).toEqual([
      { id: created.id, name: "backup script", createdMs: T0, lastUsedMs: T0 + MIN, revokedMs: null },
    ]);
    expect(w.accounts.resolveToken(`${created.token}x`)).toBeNull();
    expect(w.accounts.resolveToken(created.token.replace(/^ct_/, ""))).toBeNull();
    expect(w.accounts.resolveToken(undefined)).toBeNull();

    // Someone else cannot see or revoke it: 404 as if it did not exist.
    const bob = w.member("donor", siteId, "Bob");
    expect(w.accounts.listTokens(bob)).toEqual([]);
    expect(() => w.accounts.revokeToken(bob, created.id)).toThrow(`token "${created.id}" does not exist`);

    w.advance(MIN);
    expect(w.accounts.revokeToken(ana, created.id)).toMatchObject({ revokedMs: T0 + 2 * MIN });
    expect(w.accounts.resolveToken(created.token)).toBeNull();
    expect(w.audit.forEntity("api_token", created.id).map((e) => [e.actor, e.action])).toEqual([
      [ana.accountId, "token.created"],
      [ana.accountId, "token.revoked"],
    ]);
  });

  it("stop resolving while the account is disabled; the bootstrap admin's tokens work", () => {
    const siteId = w.site("Northside milk bank");
    const cy = w.member("staff", siteId, "Cy");
    w.db.prepare("UPDATE account SET password_hash = 'set' WHERE id = ?").run(cy.accountId);
    const { token } = w.accounts.createToken(cy, "sensor import");
    w.accounts.updateAccount(ADMIN, cy.accountId, { disabled: true });
    expect(w.accounts.resolveToken(token)).toBeNull();
    w.accounts.updateAccount(ADMIN, cy.accountId, { disabled: false });
    expect(w.accounts.resolveToken(token)?.caller).toEqual(cy);
    const admin = w.accounts.createToken(ADMIN, "ops");
    expect(w.accounts.resolveToken(admin.token)?.caller).toEqual(ADMIN);
  });

  it("an admin revokes anyone's token (a leaked one)", () => {
    const siteId = w.site("Northside milk bank");
    const di = w.member("donor", siteId, "Di");
    const { id } = w.accounts.createToken(di, "laptop");
    expect(w.accounts.revokeToken(ADMIN, id).revokedMs).toBe(T0);
  });
});
