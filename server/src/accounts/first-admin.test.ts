import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ADMIN } from "../registry/caller.js";
import { issueFirstAdminInvitation } from "./first-admin.js";
import { type AccountsWorld, createAccountsWorld, PASSWORD } from "./test-world.js";

let w: AccountsWorld;
beforeEach(() => {
  w = createAccountsWorld();
});
afterEach(() => w.close());

const setupOf = (email = "boss@milkbank.example") =>
  issueFirstAdminInvitation(w.accounts, { email, publicHttpUrl: "https://coldtrail.example" });
const tokenOf = (url: string) => url.slice(url.indexOf("#") + 1);

describe("the first admin's setup link", () => {
  it("is issued until someone accepts it, each start's link replacing the last", async () => {
    const first = setupOf();
    expect(first?.email).toBe("boss@milkbank.example");
    expect(first?.inviteUrl).toMatch(/^https:\/\/coldtrail\.example\/invite#.{20,}$/);
    const second = setupOf();
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
    expect(setupOf()).toBeNull();
    expect(w.accounts.listAccounts(ADMIN).filter((a) => a.role === "admin" && a.email !== null)).toHaveLength(
      1,
    );
  });
});
