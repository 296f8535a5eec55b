import { beforeEach, describe, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { ADMIN, type Caller } from "../registry/caller.js";
import { type AccountsWorld, openAccountsWorld } from "./test-world.js";

describeBackends("accounts: permissions", (open) => {
  let w: AccountsWorld;
  let north: string;
  let south: string;
  let staffN: Caller;
  let donorN: Caller;
  let donorS: Caller;
  beforeEach(async () => {
    w = await openAccountsWorld(await open());
    north = await w.site("Northside milk bank");
    south = await w.site("Southside milk bank");
    staffN = await w.member("staff", north, "Nora Staff");
    donorN = await w.member("donor", north, "Nell Donor");
    donorS = await w.member("donor", south, "Sue Donor");
  });

  describe("inviting", () => {
    it("staff invite donors of their own site, into their site by default", async () => {
      const { account } = await w.accounts.invite(staffN, {
        email: "new@example.org",
        name: "New",
        role: "donor",
      });
      expect(account).toMatchObject({ role: "donor", siteId: north, status: "invited" });
      expect((await w.auditOf("account", account.id))[0]).toMatchObject({
        actor: staffN.accountId,
        action: "account.invited",
      });
    });

    it("staff cannot invite staff or admins, nor donors to another site; donors invite nobody", async () => {
      await expect(
        w.accounts.invite(staffN, { email: "s@example.org", name: "S", role: "staff" }),
      ).rejects.toThrow("staff may invite donors only, not a staff; ask an admin");
      await expect(
        w.accounts.invite(staffN, { email: "a@example.org", name: "A", role: "admin" }),
      ).rejects.toThrow(/not a admin/);
      await expect(
        w.accounts.invite(staffN, { email: "d@example.org", name: "D", role: "donor", siteId: south }),
      ).rejects.toThrow(`staff may invite donors to their own site ("${north}") only, not to "${south}"`);
      await expect(
        w.accounts.invite(donorN, { email: "d@example.org", name: "D", role: "donor" }),
      ).rejects.toThrow("donors cannot invite people; ask the staff of your milk bank");
    });

    it("admins invite any role; staff and donors need an existing site, admins none", async () => {
      expect(
        (await w.accounts.invite(ADMIN, { email: "a2@example.org", name: "A2", role: "admin" })).account
          .siteId,
      ).toBeNull();
      await expect(
        w.accounts.invite(ADMIN, { email: "s2@example.org", name: "S2", role: "staff" }),
      ).rejects.toThrow("a staff belongs to a site: give siteId (an admin creates sites)");
      await expect(
        w.accounts.invite(ADMIN, { email: "a3@example.org", name: "A3", role: "admin", siteId: north }),
      ).rejects.toThrow(/an admin belongs to no site/);
      await expect(
        w.accounts.invite(ADMIN, { email: "s3@example.org", name: "S3", role: "staff", siteId: "site_nope" }),
      ).rejects.toThrow('site "site_nope" does not exist');
    });

    it("emails are unique whatever their case, and must look like emails", async () => {
      await expect(
        w.accounts.invite(ADMIN, {
          email: "NELL.DONOR@example.org",
          name: "X",
          role: "donor",
          siteId: north,
        }),
      ).rejects.toThrow('an account with email "nell.donor@example.org" exists already');
      await expect(
        w.accounts.invite(ADMIN, { email: "not an email", name: "X", role: "donor", siteId: north }),
      ).rejects.toThrow(/email must look like name@example.org/);
    });

    it("only admins create sites, with unique names", async () => {
      await expect(w.accounts.createSite(staffN, "Elsewhere")).rejects.toThrow("only an admin creates sites");
      await expect(w.accounts.createSite(ADMIN, "northside MILK bank")).rejects.toThrow(/exists already/);
      expect((await w.accounts.listSites(staffN)).map((s) => s.id)).toEqual([north]);
      expect((await w.accounts.listSites(ADMIN)).map((s) => s.name)).toEqual([
        "Northside milk bank",
        "Southside milk bank",
      ]);
    });
  });

  describe("managing accounts", () => {
    it("lists: admin all, staff their site and themselves, a donor herself", async () => {
      const names = async (c: Caller) => (await w.accounts.listAccounts(c)).map((a) => a.name).sort();
      expect(await names(ADMIN)).toEqual(["Nell Donor", "Nora Staff", "Sue Donor", "bootstrap admin"]);
      expect(await names(staffN)).toEqual(["Nell Donor", "Nora Staff"]);
      expect(await names(donorN)).toEqual(["Nell Donor"]);
    });

    it("staff disable and rename donors of their site, but not other sites' donors, nor staff, nor roles", async () => {
      expect(
        await w.accounts.updateAccount(staffN, donorN.accountId, { disabled: true, name: "Nell D." }),
      ).toMatchObject({
        status: "disabled",
        name: "Nell D.",
      });
      expect((await w.auditOf("account", donorN.accountId)).at(-1)).toMatchObject({
        actor: staffN.accountId,
        action: "account.updated",
        details: {
          before: { role: "donor", siteId: north, disabled: false },
          after: { role: "donor", siteId: north, disabled: true },
          nameChanged: true,
        },
      });
      await expect(w.accounts.updateAccount(staffN, donorS.accountId, { disabled: true })).rejects.toThrow(
        `account "${donorS.accountId}" does not exist (or is not yours)`,
      );
      await expect(w.accounts.deleteAccount(staffN, donorS.accountId)).rejects.toThrow(/does not exist/);
      const otherStaff = await w.member("staff", north, "Ned Staff");
      await expect(
        w.accounts.updateAccount(staffN, otherStaff.accountId, { disabled: true }),
      ).rejects.toThrow(/staff manage the donors of their own site only/);
      await expect(w.accounts.updateAccount(staffN, donorN.accountId, { role: "staff" })).rejects.toThrow(
        "only an admin changes an account's role or site",
      );
    });

    it("nobody changes their own role or disables themselves; everyone may rename themselves", async () => {
      await expect(w.accounts.updateAccount(staffN, staffN.accountId, { role: "admin" })).rejects.toThrow(
        /cannot change your own role/,
      );
      expect((await w.accounts.updateAccount(donorN, donorN.accountId, { name: "Nell" })).name).toBe("Nell");
      await expect(w.accounts.updateAccount(donorN, donorS.accountId, { name: "X" })).rejects.toThrow(
        /does not exist/,
      );
      await expect(w.accounts.updateAccount(ADMIN, "admin", { name: "root" })).resolves.toMatchObject({
        name: "root",
      });
      await expect(w.accounts.updateAccount(ADMIN, "admin", { disabled: true })).rejects.toThrow(/your own/);
    });

    it("admins move people between roles and sites under the site rules", async () => {
      const promoted = await w.accounts.updateAccount(ADMIN, donorN.accountId, { role: "staff" });
      expect(promoted).toMatchObject({ role: "staff", siteId: north });
      expect(await w.accounts.updateAccount(ADMIN, donorN.accountId, { role: "admin" })).toMatchObject({
        role: "admin",
        siteId: null,
      });
      await expect(w.accounts.updateAccount(ADMIN, donorN.accountId, { role: "donor" })).rejects.toThrow(
        /a donor belongs to a site/,
      );
      expect(
        (await w.accounts.updateAccount(ADMIN, donorN.accountId, { role: "donor", siteId: south })).siteId,
      ).toBe(south);
    });
  });
});
