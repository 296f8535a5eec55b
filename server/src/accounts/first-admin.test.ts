import { beforeEach, describe, expect, it } from "vitest";
import { describeBackends, type TestDatabase } from "../../test/backends.js";
import { ADMIN } from "../registry/caller.js";
import { type FirstAdminSetup, issueFirstAdminInvitation } from "./first-admin.js";
import { INVITATION_TTL_MS } from "./index.js";
import { type AccountsWorld, DAY, openAccountsWorld, PASSWORD, T0 } from "./test-world.js";

const EMAIL = "boss@milkbank.example";

describeBackends("accounts: first admin", (open) => {
  let database: TestDatabase;
  let w: AccountsWorld;
  beforeEach(async () => {
    database = await open();
    w = await openAccountsWorld(database);
  });

  const setupOn = (world: AccountsWorld, once: boolean) =>
    issueFirstAdminInvitation(world.accounts, {
      email: EMAIL,
      publicHttpUrl: "https://coldtrail.example",
      once,
    });
  const tokenOf = (url: string) => url.slice(url.indexOf("#") + 1);
  const linkOf = (setup: FirstAdminSetup | null): string => {
    if (setup?.kind !== "issued")
      throw new Error(`expected an issued invitation, got ${JSON.stringify(setup)}`);
    return setup.inviteUrl;
  };
  const adminsOf = async (world: AccountsWorld) =>
    (await world.accounts.listAccounts(ADMIN)).filter((a) => a.role === "admin" && a.email !== null);
  const openInvitations = async (world: AccountsWorld) =>
    world.sql.query("SELECT id FROM invitation WHERE accepted_ms IS NULL AND expires_ms > ?", [world.now()]);

  describe("one instance (once: false)", () => {
    it("is issued until someone accepts it, each start's link replacing the last", async () => {
      const first = await setupOn(w, false);
      expect(first).toMatchObject({ kind: "issued", email: EMAIL });
      expect(linkOf(first)).toMatch(/^https:\/\/coldtrail\.example\/invite#.{20,}$/);
      const second = await setupOn(w, false);
      expect(linkOf(second)).not.toBe(linkOf(first));
      // The earlier link stopped working; the newest one makes an admin who can sign in.
      expect((await w.accounts.acceptInvitation(tokenOf(linkOf(first)), PASSWORD)).ok).toBe(false);
      const accepted = await w.accounts.acceptInvitation(tokenOf(linkOf(second)), PASSWORD);
      expect(accepted).toMatchObject({ ok: true, account: { role: "admin", status: "active" } });
      const signedIn = await w.accounts.signIn({ email: EMAIL, password: PASSWORD, address: "::1" });
      expect(signedIn.ok).toBe(true);
      // From then on nothing is issued.
      expect(await setupOn(w, false)).toBeNull();
      expect(await adminsOf(w)).toHaveLength(1);
    });
  });

  describe("instances sharing accounts (once: true)", () => {
    let two: AccountsWorld;
    beforeEach(async () => {
      two = await openAccountsWorld({ client: await database.connect() });
    });

    it("the first start issues it; a later start elsewhere reports it pending, and the link still works", async () => {
      const first = await setupOn(w, true);
      const link = linkOf(first);
      const later = await setupOn(two, true);
      const admin = (await adminsOf(two))[0];
      expect(later).toEqual({
        kind: "pending",
        email: EMAIL,
        accountId: admin?.id,
        expiresAtMs: T0 + INVITATION_TTL_MS,
      });
      // No secret in what a pending start gets.
      expect(JSON.stringify(later)).not.toContain(tokenOf(link));
      expect(await openInvitations(w)).toHaveLength(1);
      const accepted = await two.accounts.acceptInvitation(tokenOf(link), PASSWORD);
      expect(accepted).toMatchObject({ ok: true, account: { role: "admin", status: "active" } });
      expect(await setupOn(w, true)).toBeNull();
      expect(await setupOn(two, true)).toBeNull();
    });

    it("a lost link: deleting the invited account with the admin token lets the next start issue a new one", async () => {
      const lost = linkOf(await setupOn(w, true));
      const pending = await setupOn(two, true);
      if (pending?.kind !== "pending") throw new Error(`expected pending, got ${JSON.stringify(pending)}`);
      await two.accounts.deleteAccount(ADMIN, pending.accountId);
      const fresh = await setupOn(two, true);
      expect(linkOf(fresh)).not.toBe(lost);
      expect((await w.accounts.acceptInvitation(tokenOf(lost), PASSWORD)).ok).toBe(false);
      expect((await w.accounts.acceptInvitation(tokenOf(linkOf(fresh)), PASSWORD)).ok).toBe(true);
    });

    it("once the open one expired, the next start issues a new one", async () => {
      const first = linkOf(await setupOn(w, true));
      w.setNow(T0 + INVITATION_TTL_MS + DAY);
      const renewed = await setupOn(w, true);
      expect(linkOf(renewed)).not.toBe(first);
      expect((await w.accounts.acceptInvitation(tokenOf(linkOf(renewed)), PASSWORD)).ok).toBe(true);
    });

    it("two instances starting at once with no admin yet make one account and one invitation", async () => {
      const outcomes = await Promise.all([setupOn(w, true), setupOn(two, true)]);
      expect(outcomes.map((o) => o?.kind).sort()).toEqual(["issued", "pending"]);
      expect(await adminsOf(w)).toHaveLength(1);
      expect(await openInvitations(w)).toHaveLength(1);
      const link = linkOf(outcomes.find((o) => o?.kind === "issued") ?? null);
      expect((await w.accounts.acceptInvitation(tokenOf(link), PASSWORD)).ok).toBe(true);
    });

    it("two instances starting at once after the invitation expired issue one new invitation", async () => {
      await setupOn(w, true);
      for (const world of [w, two]) world.setNow(T0 + INVITATION_TTL_MS + DAY);
      const outcomes = await Promise.all([setupOn(w, true), setupOn(two, true)]);
      expect(outcomes.map((o) => o?.kind).sort()).toEqual(["issued", "pending"]);
      expect(await openInvitations(w)).toHaveLength(1);
      const link = linkOf(outcomes.find((o) => o?.kind === "issued") ?? null);
      expect((await two.accounts.acceptInvitation(tokenOf(link), PASSWORD)).ok).toBe(true);
    });
  });
});
