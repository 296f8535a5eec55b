import { beforeEach, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { createBatches } from "../registry/batches.js";
import { type AccountsWorld, MIN, openAccountsWorld, PASSWORD, T0 } from "./test-world.js";

// Her units and probes are exported too: erasure.test.ts covers those on SQLite.
describeBackends("accounts: data export", (open) => {
  let w: AccountsWorld;
  beforeEach(async () => {
    w = await openAccountsWorld(await open());
  });

  it("holds her account, site, tokens, sessions and audit entries; nobody else's, and no secrets", async () => {
    const siteId = await w.site("Northside milk bank");
    const { email, caller } = await w.activeMember("donor", siteId, "Ana");
    const other = await w.activeMember("donor", siteId, "Bob");
    w.advance(MIN);
    const signedIn = await w.accounts.signIn({ email, password: PASSWORD, address: "192.0.2.1" });
    if (!signedIn.ok) throw new Error(signedIn.message);
    const { token } = await w.accounts.createToken(caller, "script");
    await w.accounts.createToken(other.caller, "bob's script");

    const data = await w.accounts.exportData(caller);
    expect(data).toMatchObject({
      exportedAt: new Date(T0 + MIN).toISOString(),
      account: {
        id: caller.accountId,
        email: "ana@example.org",
        name: "Ana",
        role: "donor",
        siteId,
        createdAt: new Date(T0).toISOString(),
        disabledAt: null,
        deletedAt: null,
      },
      site: { id: siteId, name: "Northside milk bank", createdAt: new Date(T0).toISOString() },
      units: [],
      probes: [],
      batches: [],
      alerts: [],
      apiTokens: [{ name: "script", createdAt: new Date(T0 + MIN).toISOString(), revokedAt: null }],
      sessions: [{ createdAt: new Date(T0 + MIN).toISOString() }],
    });
    expect((data.audit as { action: string }[]).map((e) => e.action)).toEqual([
      "account.invited",
      "account.activated",
      "session.created",
      "token.created",
    ]);
    const text = JSON.stringify(data);
    for (const foreign of [other.caller.accountId, "Bob", "bob's script"])
      expect(text).not.toContain(foreign);
    for (const secret of [token, signedIn.sessionToken, "tokenHash", "passwordHash", "$scrypt$"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("holds her batches with their custody and reviews, and the audit of them", async () => {
    const siteId = await w.site("Northside milk bank");
    const { caller } = await w.activeMember("donor", siteId, "Ana");
    const nora = await w.member("staff", siteId, "Nora Staff");
    for (const [id, owner] of [
      ["u_home", caller.accountId],
      ["u_bank", nora.accountId],
    ])
      await w.sql.run(
        "INSERT INTO unit (id, owner_id, name, kind, profile, created_ms) VALUES (?, ?, ?, 'freezer', 'freezer', ?)",
        [id as string, owner as string, id as string, T0],
      );
    const batches = createBatches(w.sql);
    const batch = await batches.create(
      caller,
      { unitId: "u_home", expressedAtMs: T0 - MIN, atMs: T0, donorRef: "ana-1" },
      T0,
    );
    await batches.move(nora, batch.id, { unitId: "u_bank", atMs: T0 + MIN }, T0 + MIN);
    await batches.review(nora, batch.id, "release", "received cold", T0 + 2 * MIN);

    const data = (await w.accounts.exportData(caller)) as { batches: unknown[]; audit: { action: string }[] };
    expect(data.batches).toEqual([
      expect.objectContaining({
        id: batch.id,
        code: batch.code,
        donorRef: "ana-1",
        expressedAt: new Date(T0 - MIN).toISOString(),
        custody: [
          { unitId: "u_home", from: new Date(T0).toISOString(), to: new Date(T0 + MIN).toISOString() },
          { unitId: "u_bank", from: new Date(T0 + MIN).toISOString(), to: null },
        ],
        reviews: [
          {
            actor: nora.accountId,
            decision: "release",
            comment: "received cold",
            at: new Date(T0 + 2 * MIN).toISOString(),
          },
        ],
      }),
    ]);
    expect(data.audit.map((e) => e.action)).toEqual(
      expect.arrayContaining(["batch.created", "batch.moved", "batch.reviewed"]),
    );
    // Audit entries are timed by `at`, as GET /batches/{id}/audit words them (not `atAt`).
    const reviewed = data.audit.find((e) => e.action === "batch.reviewed");
    expect(reviewed).toMatchObject({
      entity: "batch",
      entityId: batch.id,
      at: new Date(T0 + 2 * MIN).toISOString(),
    });
    expect(JSON.stringify(data)).not.toContain('"atAt"');
  });
});
