/**
 * Two coldtrail instances on one database (issue #13): what one does, the other sees, and two
 * doing the same thing at once end as one would alone.
 */
import { beforeEach, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { ConflictError } from "../errors.js";
import { ADMIN } from "../registry/caller.js";
import { type AccountsWorld, openAccountsWorld, PASSWORD } from "./test-world.js";

describeBackends("accounts: two instances on one database", (open) => {
  let one: AccountsWorld;
  let two: AccountsWorld;
  let siteId: string;
  beforeEach(async () => {
    const database = await open();
    one = await openAccountsWorld(database);
    two = await openAccountsWorld({ client: await database.connect() });
    siteId = await one.site("Northside milk bank");
  });

  it("a session opened on one instance resolves on the other, and ends on both when signed out on either", async () => {
    const { email, caller } = await one.activeMember("donor", siteId, "Ana");
    const signedIn = await one.accounts.signIn({ email, password: PASSWORD, address: "192.0.2.1" });
    if (!signedIn.ok) throw new Error(signedIn.message);
    expect((await two.accounts.resolveSession(signedIn.sessionToken))?.caller).toEqual(caller);
    expect(await two.accounts.signOut(signedIn.sessionToken)).toBe(true);
    expect(await one.accounts.resolveSession(signedIn.sessionToken)).toBeNull();
  });

  it("the same invitation accepted on both at once activates the account once", async () => {
    const { id, inviteToken } = await one.accounts.invite(ADMIN, {
      email: "bea@example.org",
      name: "Bea",
      role: "donor",
      siteId,
    });
    const outcomes = await Promise.all([
      one.accounts.acceptInvitation(inviteToken, PASSWORD),
      two.accounts.acceptInvitation(inviteToken, `${PASSWORD}!`),
    ]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.find((o) => !o.ok)).toMatchObject({ ok: false, reason: "invitation-used" });
    expect((await one.auditOf("account", id)).map((e) => e.action)).toEqual([
      "account.invited",
      "account.activated",
    ]);
  });

  it("the same email invited on both at once makes one account; the other is told it exists", async () => {
    const input = { email: "cy@example.org", name: "Cy", role: "donor" as const, siteId };
    const outcomes = await Promise.allSettled([
      one.accounts.invite(ADMIN, input),
      two.accounts.invite(ADMIN, input),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === "rejected");
    expect(refused?.reason).toBeInstanceOf(ConflictError);
    expect(refused?.reason).toMatchObject({
      message: 'an account with email "cy@example.org" exists already',
    });
    expect((await two.accounts.listAccounts(ADMIN)).filter((a) => a.email === "cy@example.org")).toHaveLength(
      1,
    );
  });
});
