import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createUnitHistory } from "../history/unit-history.js";
import { createUnitReadings } from "../readings/unit-readings.js";
import { ADMIN } from "../registry/caller.js";
import { createSqliteReadingsStore } from "../stores/sqlite.js";
import { createBatchVerdicts } from "../verdicts/batch-verdict.js";
import { createAccountsWorld, DAY, HOUR, MIN, PASSWORD, type SqliteAccountsWorld, T0 } from "./test-world.js";

let w: SqliteAccountsWorld;
beforeEach(async () => {
  w = createAccountsWorld();
});
afterEach(async () => w.close());

/**
 * Ana, a donor of the north site, has a home freezer (probe attached) and an empty spare one
 * (probe attached) and a probe in a drawer. Three of her batches: one went to the milk bank's
 * freezer (received), one was handed over directly (left custody), one is still at home.
 */
async function scene() {
  const north = await w.site("Northside milk bank");
  const ana = await w.activeMember("donor", north, "Ana");
  const nora = await w.member("staff", north, "Nora Staff");
  const store = createSqliteReadingsStore(w.db);
  const home = await w.units.create(ana.caller, { name: "Ana's kitchen freezer", kind: "freezer" }, T0);
  const spare = await w.units.create(ana.caller, { name: "Ana's garage freezer", kind: "freezer" }, T0);
  const homeProbe = (
    await w.probes.create(ana.caller, { name: "kitchen probe", unitId: home.id, intervalS: 600 }, T0)
  ).probe;
  const spareProbe = (await w.probes.create(ana.caller, { unitId: spare.id, intervalS: 600 }, T0)).probe;
  const drawerProbe = (await w.probes.create(ana.caller, { name: "spare probe" }, T0)).probe;
  const bank = await w.units.create(nora, { name: "Bank freezer 1", kind: "freezer", site: "milk-bank" }, T0);
  const bankProbe = (await w.probes.create(nora, { unitId: bank.id, intervalS: 600 }, T0)).probe;
  const readings = [];
  for (let t = T0; t < T0 + 3 * DAY; t += 10 * MIN) {
    for (const p of [homeProbe, spareProbe, bankProbe]) {
      // A real freezer cycles; a flat line for 6 h would be a stuck probe.
      const tempC = -21 + (((t - T0) / (10 * MIN)) % 4) / 16;
      readings.push({ probeId: p.id, tsMs: t, tempC, seq: null, serverTimed: false });
    }
  }
  await store.write(readings);
  const batch = (donorRef: string) =>
    w.batches.create(
      ana.caller,
      { unitId: home.id, expressedAtMs: T0 + HOUR - 10 * MIN, atMs: T0 + HOUR, donorRef },
      T0 + HOUR,
    );
  const received = await batch("ana-1");
  await w.batches.move(nora, received.id, { unitId: bank.id, atMs: T0 + DAY }, T0 + DAY);
  const handedOver = await batch("ana-2");
  await w.batches.move(
    ana.caller,
    handedOver.id,
    { unitId: null, atMs: T0 + 2 * DAY, how: "handed-over" },
    T0 + 2 * DAY,
  );
  const atHome = await batch("ana-3");
  const unitReadings = createUnitReadings(w.probes, store, () => 0);
  const verdicts = createBatchVerdicts({
    batches: w.batches,
    units: w.units,
    history: createUnitHistory({ probes: w.probes, unitReadings }),
  });
  /** What the public passport route computes, by code, without a caller. */
  const passport = async (code: string) => {
    const b = await w.batches.byCode(code);
    if (!b) return null;
    const v = await verdicts.compute(b, T0 + 3 * DAY);
    return {
      verdict: v.verdict.verdict,
      custody: v.custody.map((c) => [c.unit?.kind ?? null, c.fromMs, c.toMs]),
    };
  };
  return {
    north,
    ana,
    nora,
    home,
    spare,
    homeProbe,
    spareProbe,
    drawerProbe,
    bank,
    received,
    handedOver,
    atHome,
    passport,
  };
}

describe("deleting a donor's account", () => {
  it("keeps received and handed-over batches' passports, deletes the rest, and leaves an anonymous tombstone", async () => {
    const s = await scene();
    const before = {
      received: await s.passport(s.received.code),
      handedOver: await s.passport(s.handedOver.code),
    };
    expect(before.received).toEqual({
      verdict: "safe",
      custody: [
        ["freezer", T0 + HOUR, T0 + DAY],
        ["freezer", T0 + DAY, null],
      ],
    });
    expect(before.handedOver?.custody).toEqual([["freezer", T0 + HOUR, T0 + 2 * DAY]]);
    const { token } = await w.accounts.createToken(s.ana.caller, "script");
    const homeSecret = w.probes.auth(s.homeProbe.id)?.secretHash;

    w.setNow(T0 + 3 * DAY);
    const erased = await w.accounts.deleteAccount(s.ana.caller, s.ana.caller.accountId);
    expect(erased).toEqual({
      accountId: s.ana.caller.accountId,
      batchesDeleted: 1,
      batchesKept: 2,
      unitsDeleted: 1,
      unitsKept: 1,
      probesDeleted: 2,
      probesKept: [s.homeProbe.id],
    });

    // Passports work exactly as before: same verdict, same custody, readings still there.
    expect(await s.passport(s.received.code)).toEqual(before.received);
    expect(await s.passport(s.handedOver.code)).toEqual(before.handedOver);
    expect(await s.passport(s.atHome.code)).toBeNull();

    // Kept rows no longer say who she was; the probe cannot publish any more.
    expect((await w.batches.get(ADMIN, s.received.id)).donorRef).toBeNull();
    expect((await w.units.get(ADMIN, s.home.id)).name).toBe("deleted account (freezer)");
    expect(await w.probes.get(ADMIN, s.homeProbe.id)).toMatchObject({ name: null, bleMac: null });
    expect(w.probes.auth(s.homeProbe.id)?.secretHash).not.toBe(homeSecret);
    expect(w.probes.currentAttachment(s.homeProbe.id)).toBeNull();
    await expect(w.units.get(ADMIN, s.spare.id)).rejects.toThrow(/does not exist/);
    expect(w.probes.auth(s.spareProbe.id)).toBeNull();
    expect(w.probes.auth(s.drawerProbe.id)).toBeNull();
    expect(w.db.prepare("SELECT count(*) FROM reading WHERE probe_id = ?").pluck().get(s.spareProbe.id)).toBe(
      0,
    );
    expect(w.db.prepare("SELECT count(*) FROM custody WHERE batch_id = ?").pluck().get(s.atHome.id)).toBe(0);

    // The milk bank's staff still see and manage the batch in their freezer.
    expect((await w.batches.get(s.nora, s.received.id)).code).toBe(s.received.code);

    // The account is a tombstone: no email, no name, cannot sign in, tokens gone.
    expect(await w.accounts.getAccount(ADMIN, s.ana.caller.accountId)).toMatchObject({
      email: null,
      name: "deleted account",
      status: "deleted",
      deletedMs: T0 + 3 * DAY,
    });
    expect(
      w.db.prepare("SELECT password_hash FROM account WHERE id = ?").pluck().get(s.ana.caller.accountId),
    ).toBeNull();
    expect(await w.accounts.resolveToken(token)).toBeNull();
    expect(
      await w.accounts.signIn({ email: s.ana.email, password: PASSWORD, address: "192.0.2.1" }),
    ).toMatchObject({
      reason: "invalid-credentials",
    });
    expect(w.audit.forEntity("account", s.ana.caller.accountId).at(-1)).toMatchObject({
      actor: s.ana.caller.accountId,
      action: "account.deleted",
      details: { batchesDeleted: 1, batchesKept: 2 },
    });
    // Nothing about a tombstone changes any more, and its email is free for a new invitation.
    await expect(w.accounts.updateAccount(ADMIN, s.ana.caller.accountId, { name: "Ana" })).rejects.toThrow(
      /was deleted/,
    );
    expect(
      (await w.accounts.invite(ADMIN, { email: s.ana.email, name: "Ana", role: "donor", siteId: s.north }))
        .account.status,
    ).toBe("invited");
  });

  it("is refused to other donors (404) and to staff of another site; staff delete their site's donors", async () => {
    const north = await w.site("Northside milk bank");
    const south = await w.site("Southside milk bank");
    const ana = await w.member("donor", north, "Ana");
    const bob = await w.member("donor", north, "Bob");
    const sam = await w.member("staff", south, "Sam Staff");
    const nora = await w.member("staff", north, "Nora Staff");
    await expect(w.accounts.deleteAccount(bob, ana.accountId)).rejects.toThrow(
      `account "${ana.accountId}" does not exist`,
    );
    await expect(w.accounts.deleteAccount(sam, ana.accountId)).rejects.toThrow(/does not exist/);
    await expect(w.accounts.deleteAccount(ADMIN, "admin")).rejects.toThrow(/bootstrap admin/);
    expect(await w.accounts.deleteAccount(nora, ana.accountId)).toMatchObject({ batchesDeleted: 0 });
    expect((await w.accounts.getAccount(nora, ana.accountId)).status).toBe("deleted");
  });

  it("keeps a staff member's units, probes and batches for the site, and removes her alert channels' targets", async () => {
    const north = await w.site("Northside milk bank");
    const nora = await w.member("staff", north, "Nora Staff");
    const ned = await w.member("staff", north, "Ned Staff");
    const bank = await w.units.create(
      nora,
      { name: "Bank freezer 1", kind: "freezer", site: "milk-bank" },
      T0,
    );
    const probe = (await w.probes.create(nora, { unitId: bank.id }, T0)).probe;
    w.db
      .prepare(
        "INSERT INTO alert_channel (id, owner_id, kind, target, secret, created_ms) VALUES ('c_1', ?, 'email', 'nora@example.org', NULL, ?)",
      )
      .run(nora.accountId, T0);
    const erased = await w.accounts.deleteAccount(ADMIN, nora.accountId);
    expect(erased).toMatchObject({ unitsDeleted: 0, probesDeleted: 0 });
    expect((await w.units.get(ned, bank.id)).name).toBe("Bank freezer 1");
    expect(w.probes.auth(probe.id)).not.toBeNull();
    expect(w.db.prepare("SELECT target, deleted_ms FROM alert_channel WHERE id = 'c_1'").get()).toEqual({
      target: "",
      deleted_ms: T0,
    });
  });
});

describe("exporting her data", () => {
  it("contains her rows and nobody else's, with ISO times and no secrets", async () => {
    const s = await scene();
    const bob = await w.member("donor", s.north, "Bob");
    const bobUnit = await w.units.create(bob, { name: "Bob's freezer", kind: "freezer" }, T0);
    const bobBatch = await w.batches.create(bob, { unitId: bobUnit.id, expressedAtMs: T0, atMs: T0 }, T0);
    const { token } = await w.accounts.createToken(s.ana.caller, "script");
    await w.accounts.signIn({ email: s.ana.email, password: PASSWORD, address: "192.0.2.1" });

    const data = (await w.accounts.exportData(s.ana.caller)) as Record<string, unknown> & {
      units: { id: string }[];
      probes: { id: string }[];
      batches: { id: string; custody: unknown[]; donorRef: string }[];
      account: Record<string, unknown>;
    };
    expect(data.account).toEqual({
      id: s.ana.caller.accountId,
      email: "ana@example.org",
      name: "Ana",
      role: "donor",
      siteId: s.north,
      createdAt: new Date(T0).toISOString(),
      disabledAt: null,
      deletedAt: null,
    });
    expect(data.site).toMatchObject({ id: s.north, name: "Northside milk bank" });
    expect(data.units.map((u) => u.id).sort()).toEqual([s.home.id, s.spare.id].sort());
    expect(data.probes.map((p) => p.id).sort()).toEqual(
      [s.homeProbe.id, s.spareProbe.id, s.drawerProbe.id].sort(),
    );
    expect(data.batches.map((b) => b.id).sort()).toEqual(
      [s.received.id, s.handedOver.id, s.atHome.id].sort(),
    );
    const received = data.batches.find((b) => b.id === s.received.id);
    expect(received?.donorRef).toBe("ana-1");
    expect(received?.custody).toEqual([
      { unitId: s.home.id, from: new Date(T0 + HOUR).toISOString(), to: new Date(T0 + DAY).toISOString() },
      { unitId: s.bank.id, from: new Date(T0 + DAY).toISOString(), to: null },
    ]);
    expect(data.apiTokens).toEqual([expect.objectContaining({ name: "script", revokedAt: null })]);
    expect(data.sessions).toHaveLength(1);
    expect((data.audit as { action: string }[]).map((e) => e.action)).toEqual(
      expect.arrayContaining([
        "account.invited",
        "account.activated",
        "unit.created",
        "batch.created",
        "token.created",
      ]),
    );

    const text = JSON.stringify(data);
    for (const foreign of [bob.accountId, bobUnit.id, bobBatch.id, "Bob", "Nora", "Bank freezer 1"]) {
      expect(text).not.toContain(foreign);
    }
    for (const secret of [token, "secretHash", "passwordHash", "tokenHash", "bleBindkey", "$scrypt$"]) {
      expect(text).not.toContain(secret);
    }
  });
});
