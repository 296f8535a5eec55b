import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ADMIN, type Caller } from "../registry/caller.js";
import { type AccountsWorld, createAccountsWorld } from "./test-world.js";

let w: AccountsWorld;
let north: string;
let south: string;
let staffN: Caller;
let donorN: Caller;
let donorS: Caller;
beforeEach(() => {
  w = createAccountsWorld();
  north = w.site("Northside milk bank");
  south = w.site("Southside milk bank");
  staffN = w.member("staff", north, "Nora Staff");
  donorN = w.member("donor", north, "Nell Donor");
  donorS = w.member("donor", south, "Sue Donor");
});
afterEach(() => w.close());

describe("inviting", () => {
  it("staff invite donors of their own site, into their site by default", () => {
    const { account } = w.accounts.invite(staffN, { email: "new@example.org", name: "New", role: "donor" });
    expect(account).toMatchObject({ role: "donor", siteId: north, status: "invited" });
    expect(w.audit.forEntity("account", account.id)[0]).toMatchObject({
      actor: staffN.accountId,
      action: "account.invited",
    });
  });

  it("staff cannot invite staff or admins, nor donors to another site; donors invite nobody", () => {
    expect(() => w.accounts.invite(staffN, { email: "s@example.org", name: "S", role: "staff" })).toThrow(
      "staff may invite donors only, not a staff; ask an admin",
    );
    expect(() => w.accounts.invite(staffN, { email: "a@example.org", name: "A", role: "admin" })).toThrow(
      /not a admin/,
    );
    expect(() =>
      w.accounts.invite(staffN, { email: "d@example.org", name: "D", role: "donor", siteId: south }),
    ).toThrow(`staff may invite donors to their own site ("${north}") only, not to "${south}"`);
    expect(() => w.accounts.invite(donorN, { email: "d@example.org", name: "D", role: "donor" })).toThrow(
      "donors cannot invite people; ask the staff of your milk bank",
    );
  });

  it("admins invite any role; staff and donors need an existing site, admins none", () => {
    expect(
      w.accounts.invite(ADMIN, { email: "a2@example.org", name: "A2", role: "admin" }).account.siteId,
    ).toBeNull();
    expect(() => w.accounts.invite(ADMIN, { email: "s2@example.org", name: "S2", role: "staff" })).toThrow(
      "a staff belongs to a site: give siteId (an admin creates sites)",
    );
    expect(() =>
      w.accounts.invite(ADMIN, { email: "a3@example.org", name: "A3", role: "admin", siteId: north }),
    ).toThrow(/an admin belongs to no site/);
    expect(() =>
      w.accounts.invite(ADMIN, { email: "s3@example.org", name: "S3", role: "staff", siteId: "site_nope" }),
    ).toThrow('site "site_nope" does not exist');
  });

  it("emails are unique whatever their case, and must look like emails", () => {
    expect(() =>
      w.accounts.invite(ADMIN, { email: "NELL.DONOR@example.org", name: "X", role: "donor", siteId: north }),
    ).toThrow('an account with email "nell.donor@example.org" exists already');
    expect(() =>
      w.accounts.invite(ADMIN, { email: "not an email", name: "X", role: "donor", siteId: north }),
    ).toThrow(/email must look like name@example.org/);
  });

  it("only admins create sites, with unique names", () => {
    expect(() => w.accounts.createSite(staffN, "Elsewhere")).toThrow("only an admin creates sites");
    expect(() => w.accounts.createSite(ADMIN, "northside MILK bank")).toThrow(/exists already/);
    expect(w.accounts.listSites(staffN).map((s) => s.id)).toEqual([north]);
    expect(w.accounts.listSites(ADMIN).map((s) => s.name)).toEqual([
      "Northside milk bank",
      "Southside milk bank",
    ]);
  });
});

describe("managing accounts", () => {
  it("lists: admin all, staff their site and themselves, a donor herself", () => {
    const names = (c: Caller) =>
      w.accounts
        .listAccounts(c)
        .map((a) => a.name)
        .sort();
    expect(names(ADMIN)).toEqual(["Nell Donor", "Nora Staff", "Sue Donor", "bootstrap admin"]);
    expect(names(staffN)).toEqual(["Nell Donor", "Nora Staff"]);
    expect(names(donorN)).toEqual(["Nell Donor"]);
  });

  it("staff disable and rename donors of their site, but not other sites' donors, nor staff, nor roles", () => {
    expect(
      w.accounts.updateAccount(staffN, donorN.accountId, { disabled: true, name: "Nell D." }),
    ).toMatchObject({
      status: "disabled",
      name: "Nell D.",
    });
    expect(w.audit.forEntity("account", donorN.accountId).at(-1)).toMatchObject({
      actor: staffN.accountId,
      action: "account.updated",
      details: {
        before: { role: "donor", siteId: north, disabled: false },
        after: { role: "donor", siteId: north, disabled: true },
        nameChanged: true,
      },
    });
    expect(() => w.accounts.updateAccount(staffN, donorS.accountId, { disabled: true })).toThrow(
      `account "${donorS.accountId}" does not exist (or is not yours)`,
    );
    expect(() => w.accounts.deleteAccount(staffN, donorS.accountId)).toThrow(/does not exist/);
    const otherStaff = w.member("staff", north, "Ned Staff");
    expect(() => w.accounts.updateAccount(staffN, otherStaff.accountId, { disabled: true })).toThrow(
      /staff manage the donors of their own site only/,
    );
    expect(() => w.accounts.updateAccount(staffN, donorN.accountId, { role: "staff" })).toThrow(
      "only an admin changes an account's role or site",
    );
  });

  it("nobody changes their own role or disables themselves; everyone may rename themselves", () => {
    expect(() => w.accounts.updateAccount(staffN, staffN.accountId, { role: "admin" })).toThrow(
      /cannot change your own role/,
    );
    expect(w.accounts.updateAccount(donorN, donorN.accountId, { name: "Nell" }).name).toBe("Nell");
    expect(() => w.accounts.updateAccount(donorN, donorS.accountId, { name: "X" })).toThrow(/does not exist/);
    expect(() => w.accounts.updateAccount(ADMIN, "admin", { name: "root" })).not.toThrow();
    expect(() => w.accounts.updateAccount(ADMIN, "admin", { disabled: true })).toThrow(/your own/);
  });

  it("admins move people between roles and sites under the site rules", () => {
    const promoted = w.accounts.updateAccount(ADMIN, donorN.accountId, { role: "staff" });
    expect(promoted).toMatchObject({ role: "staff", siteId: north });
    expect(w.accounts.updateAccount(ADMIN, donorN.accountId, { role: "admin" })).toMatchObject({
      role: "admin",
      siteId: null,
    });
    expect(() => w.accounts.updateAccount(ADMIN, donorN.accountId, { role: "donor" })).toThrow(
      /a donor belongs to a site/,
    );
    expect(w.accounts.updateAccount(ADMIN, donorN.accountId, { role: "donor", siteId: south }).siteId).toBe(
      south,
    );
  });
});
