import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccountsWorld, type SqliteAccountsWorld, T0 } from "../accounts/test-world.js";
import { ADMIN, type Caller, ownedBy } from "./caller.js";

let w: SqliteAccountsWorld;
let people: Record<string, Caller>;
let unitOf: Record<string, string>;
beforeEach(async () => {
  w = createAccountsWorld();
  const north = await w.site("Northside milk bank");
  const south = await w.site("Southside milk bank");
  people = {
    admin: ADMIN,
    staffN: await w.member("staff", north, "Nora Staff"),
    donorN: await w.member("donor", north, "Nell Donor"),
    donorN2: await w.member("donor", north, "Nina Donor"),
    staffS: await w.member("staff", south, "Sam Staff"),
    donorS: await w.member("donor", south, "Sue Donor"),
  };
  people.loneStaff = await w.member("staff", north, "Lone Staff");
  w.db.prepare("UPDATE account SET site_id = NULL WHERE id = ?").run(people.loneStaff?.accountId);
  people.loneStaff = { ...(people.loneStaff as Caller), siteId: null };
  unitOf = {};
  for (const [who, caller] of Object.entries(people)) {
    unitOf[who] = (await w.units.create(caller, { name: `${who}'s freezer`, kind: "freezer" }, T0)).id;
  }
});
afterEach(async () => w.close());

/** Which people's units `who` sees, through a real registry query. */
const seenBy = async (who: string) =>
  (await w.units.list(people[who] as Caller))
    .map((u) => Object.entries(unitOf).find(([, id]) => id === u.id)?.[0])
    .sort();

describe("ownedBy against real unit rows", () => {
  it("admin sees every row", async () => {
    expect(await seenBy("admin")).toEqual(
      ["admin", "staffN", "donorN", "donorN2", "staffS", "donorS", "loneStaff"].sort(),
    );
  });

  it("staff see their own rows and those of their site's accounts, not other sites' or the admin's", async () => {
    expect(await seenBy("staffN")).toEqual(["donorN", "donorN2", "staffN"]);
    expect(await seenBy("staffS")).toEqual(["donorS", "staffS"]);
    await expect(w.units.get(people.staffN as Caller, unitOf.donorS as string)).rejects.toThrow(
      /does not exist/,
    );
    expect((await w.units.get(people.staffN as Caller, unitOf.donorN as string)).ownerId).toBe(
      people.donorN?.accountId,
    );
  });

  it("a donor sees only her own rows, not her site's other donors' or staff's", async () => {
    expect(await seenBy("donorN")).toEqual(["donorN"]);
    expect(await seenBy("donorS")).toEqual(["donorS"]);
    await expect(w.units.get(people.donorN as Caller, unitOf.donorN2 as string)).rejects.toThrow(
      /does not exist/,
    );
    await expect(w.units.get(people.donorN as Caller, unitOf.staffN as string)).rejects.toThrow(
      /does not exist/,
    );
  });

  it("staff without a site, and callers from before accounts (no siteId), see only their own", async () => {
    expect(await seenBy("loneStaff")).toEqual(["loneStaff"]);
    const legacy: Caller = { accountId: people.staffN?.accountId as string, role: "staff" };
    expect((await w.units.list(legacy)).map((u) => u.id)).toEqual([unitOf.staffN]);
  });

  it("keeps the {sql, params} shape, parenthesised so it joins with AND", async () => {
    expect(ownedBy(ADMIN)).toEqual({ sql: "1 = 1", params: [] });
    expect(ownedBy({ accountId: "acct_d", role: "donor", siteId: "site_n" })).toEqual({
      sql: "owner_id = ?",
      params: ["acct_d"],
    });
    expect(ownedBy({ accountId: "acct_s", role: "staff", siteId: "site_n" }, "c.owner_id")).toEqual({
      sql: "(c.owner_id = ? OR c.owner_id IN (SELECT id FROM account WHERE site_id = ?))",
      params: ["acct_s", "site_n"],
    });
  });
});
