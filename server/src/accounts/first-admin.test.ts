import { beforeEach, describe, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { ADMIN } from "../registry/caller.js";
import { issueFirstAdminInvitation } from "./first-admin.js";
import { type AccountsWorld, openAccountsWorld, PASSWORD } from "./test-world.js";

describeBackends("accounts: first admin", (open) => {
  let w: AccountsWorld;
  beforeEach(async () => {
    w = await openAccountsWorld(await open());
  });

  const setupOf = (email = "boss@milkbank.example") =>
    issueFirstAdminInvitation(w.accounts, { email, publicHttpUrl: "https://coldtrail.example" });
  const tokenOf = (url: string) => url.slice(url.indexOf("#") + 1);

  describe("the first admin's setup link", () => {
    it("is issued until someone accepts it, each start's link replacing the last", async () => {
      const first = await setupOf();
      expect(first?.email).toBe("boss@milkbank.example");
      expect(first?.inviteUrl).toMatch(/^https:\/\/coldtrail\.example\/invite#.{20,}$/);
      const second = await setupOf();
      expect(second?.inviteUrl).not.toBe(first?.inviteUrl);
      // The earlier link stopped working; the newest one makes an admin who can sign in.
      expect((await w.accounts.acceptInvitation(tokenOf(first?.inviteUrl ?? ""), PASSWORD)).ok).toBe(false);
      const accepted = await w.accounts.acceptInvitation(tokenOf(second?.inviteUrl ?? ""), PASSWORD);
      expect(accepted).toMatchObject({ ok: true, account: { role: "admin", status: "active" } });
      const signedIn = await w.accounts.signIn({
        email: "boss@milkbank.example",
        password: PASSWORD,
        address: "::1",
      });
      expect(signedIn.ok).toBe(true);
      // From then on nothing is issued.
      expect(await setupOf()).toBeNull();
      expect(
        (await w.accounts.listAccounts(ADMIN)).filter((a) => a.role === "admin" && a.email !== null),
      ).toHaveLength(1);
    });
  });
});
