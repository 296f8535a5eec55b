/**
 * What the staff lists read (issue #11): GET /units with owner, site, safe range, online probes and
 * open vs acknowledged alert counts; GET /batches filtered by state, site and a loosely typed code,
 * page by page, and never past the caller's tenancy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import type { Account } from "../../accounts/index.js";
import { subjectText } from "../../alerts/types.js";
import { ADMIN, type Caller } from "../../registry/caller.js";
import type { batchList } from "../schemas/batches.js";
import type { unitList } from "../schemas/units.js";
import { createTestApi, T0, type TestApi } from "../test-api.js";

type Units = z.output<typeof unitList>;
type Batches = z.output<typeof batchList>;
type ApiError = { error: { code: string; message: string } };
const MIN = 60_000;
const HOUR = 60 * MIN;

let t: TestApi;
let siteA: string;
let siteB: string;
const tokens: Record<string, string> = {};
const callers: Record<string, Caller> = {};

const callerOf = (a: Account): Caller => ({ accountId: a.id, role: a.role, siteId: a.siteId, name: a.name });

async function as<T>(who: string, url: string, method = "GET", body?: unknown) {
  const res = await t.app.inject({
    method: method as "GET",
    url,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(body !== undefined && { payload: body as object }),
  });
  return { status: res.statusCode, body: res.json() as T };
}

/** A frozen batch placed in `unitId` by `who`, `hoursAgo` hours ago. */
function batchOf(who: string, unitId: string, hoursAgo: number, state: "frozen" | "fresh" = "frozen") {
  const at = T0 - hoursAgo * HOUR;
  return t.registry.batches.create(
    callers[who] as Caller,
    { unitId, expressedAtMs: at - HOUR, atMs: at, state },
    at + MIN,
  );
}

async function raiseAlert(
  owner: Caller,
  unit: { id: string; name: string },
  kind: "probe-offline" | "excursion",
) {
  const [a] = await t.alerting.store.apply([
    {
      op: "raise",
      key: { kind, subject: { type: "unit", unitId: unit.id } },
      kind,
      subject: subjectText({ type: "unit", unitId: unit.id }),
      ownerId: owner.accountId,
      unitId: unit.id,
      unitName: unit.name,
      probeId: null,
      batchIds: [],
      severity: "warning",
      title: `${kind} on ${unit.name}`,
      message: "test alert",
      details: {},
      startedMs: T0 - HOUR,
      atMs: T0 - HOUR,
    },
  ]);
  if (!a) throw new Error("the test alert was not raised");
  return a.alert;
}

let annaFreezer: { id: string; name: string };
let bellaFridge: { id: string; name: string };
let annaProbe: string;

beforeAll(async () => {
  t = await createTestApi();
  siteA = (await t.accounts.createSite(ADMIN, "Northside milk bank")).id;
  siteB = (await t.accounts.createSite(ADMIN, "Southside milk bank")).id;
  const people = {
    staffA: await t.accounts.invite(ADMIN, {
      email: "s@a.org",
      name: "Sam Staff",
      role: "staff",
      siteId: siteA,
    }),
    anna: await t.accounts.invite(ADMIN, {
      email: "anna@a.org",
      name: "Anna Donor",
      role: "donor",
      siteId: siteA,
    }),
    bella: await t.accounts.invite(ADMIN, {
      email: "bella@a.org",
      name: "Bella Donor",
      role: "donor",
      siteId: siteA,
    }),
    cleo: await t.accounts.invite(ADMIN, {
      email: "cleo@b.org",
      name: "Cleo Donor",
      role: "donor",
      siteId: siteB,
    }),
  };
  for (const [who, { account }] of Object.entries(people)) {
    const { inviteToken } = await t.accounts.reinvite(ADMIN, account.id);
    const ok = await t.accounts.acceptInvitation(inviteToken, "correct horse battery staple");
    if (!ok.ok) throw new Error(ok.message);
    callers[who] = callerOf(account);
    tokens[who] = (await t.accounts.createToken(callerOf(account), "lists")).token;
  }
  callers.admin = ADMIN;
  const anna = callers.anna as Caller;
  annaFreezer = await t.registry.units.create(
    anna,
    { name: "Anna's freezer", kind: "freezer" },
    T0 - 48 * HOUR,
  );
  bellaFridge = await t.registry.units.create(
    callers.bella as Caller,
    { name: "Bella's fridge", kind: "fridge" },
    T0 - 48 * HOUR,
  );
  annaProbe = (await t.registry.probes.create(anna, { unitId: annaFreezer.id }, T0 - 48 * HOUR)).probe.id;
  await t.registry.units.create(
    callers.cleo as Caller,
    { name: "Cleo's freezer", kind: "freezer" },
    T0 - 48 * HOUR,
  );
});
afterAll(async () => t?.close());

describe("GET /api/v1/units for the staff tiles", () => {
  it("names each unit's owner and site and gives its safe range from the profile", async () => {
    const r = await as<Units>("staffA", "/api/v1/units");
    expect(r.status).toBe(200);
    const byName = new Map(r.body.units.map((u) => [u.name, u]));
    // Staff of site A see site A's donors' units, not site B's.
    expect([...byName.keys()].sort()).toEqual(["Anna's freezer", "Bella's fridge"]);
    expect(byName.get("Anna's freezer")).toMatchObject({
      ownerName: "Anna Donor",
      ownerSite: { id: siteA, name: "Northside milk bank" },
      // home-freezer profile, RULES.md §3 / FZ-1: ≤ −18 °C.
      safeRange: { minC: null, maxC: -18 },
      alertCounts: { open: 0, acknowledged: 0 },
    });
    // fridge profile, FR-1: 0–4 °C.
    expect(byName.get("Bella's fridge")?.safeRange).toEqual({ minC: 0, maxC: 4 });
  });

  it("a probe is online once heard and offline after the probe-offline silence", async () => {
    t.registry.live.update(annaProbe, { lastSeenMs: T0 - MIN, status: "online" });
    const online = await as<Units>("anna", "/api/v1/units");
    expect(online.body.units[0]).toMatchObject({ probes: [annaProbe], probesOnline: [annaProbe] });
    t.registry.live.update(annaProbe, { lastSeenMs: T0 - 16 * MIN });
    const silent = await as<Units>("anna", "/api/v1/units");
    expect(silent.body.units[0]?.probesOnline).toEqual([]);
    t.registry.live.update(annaProbe, { lastSeenMs: T0 - MIN, status: "offline" });
    const announced = await as<Units>("anna", "/api/v1/units");
    expect(announced.body.units[0]?.probesOnline).toEqual([]);
  });

  it("counts open and acknowledged alerts apart, and openAlerts keeps counting both", async () => {
    const first = await raiseAlert(callers.anna as Caller, annaFreezer, "probe-offline");
    await raiseAlert(callers.anna as Caller, annaFreezer, "excursion");
    const before = await as<Units>("staffA", "/api/v1/units");
    expect(before.body.units.find((u) => u.id === annaFreezer.id)).toMatchObject({
      openAlerts: 2,
      alertCounts: { open: 2, acknowledged: 0 },
    });
    const ack = await as("staffA", `/api/v1/alerts/${first.id}/ack`, "POST", { comment: "on it" });
    expect(ack.status).toBe(200);
    const after = await as<Units>("staffA", "/api/v1/units");
    expect(after.body.units.find((u) => u.id === annaFreezer.id)).toMatchObject({
      openAlerts: 2,
      alertCounts: { open: 1, acknowledged: 1 },
    });
  });
});

describe("GET /api/v1/batches for the batch list", () => {
  let annaOld: { id: string; code: string };
  let annaFresh: { id: string; code: string };
  let bellaBatch: { id: string; code: string };
  let cleoBatch: { id: string; code: string };
  beforeAll(async () => {
    annaOld = await batchOf("anna", annaFreezer.id, 30);
    annaFresh = await batchOf("anna", annaFreezer.id, 2, "fresh");
    bellaBatch = await batchOf("bella", bellaFridge.id, 3, "fresh");
    const cleoUnit = (await t.registry.units.list(callers.cleo as Caller))[0] as { id: string };
    cleoBatch = await batchOf("cleo", cleoUnit.id, 4);
  });

  it("finds a batch by a loosely typed code: lower case, dashes, spaces, O for 0 and I or L for 1", async () => {
    const messy = ` ${annaOld.code.toLowerCase().replace(/0/g, "o").replace(/1/g, "l")}`
      .replace(/(.{4})/g, "$1- ")
      .trim();
    const exact = await as<Batches>("staffA", `/api/v1/batches?code=${encodeURIComponent(messy)}`);
    expect(exact.body.batches.map((b) => b.id)).toEqual([annaOld.id]);
    const prefix = await as<Batches>(
      "staffA",
      `/api/v1/batches?codePrefix=${encodeURIComponent(messy.slice(0, 6))}`,
    );
    expect(prefix.body.batches.map((b) => b.id)).toContain(annaOld.id);
    for (const b of prefix.body.batches) expect(b.code.startsWith(annaOld.code.slice(0, 5))).toBe(true);
    const none = await as<Batches>("staffA", "/api/v1/batches?codePrefix=U*");
    expect(none.body).toEqual({ batches: [], next: null });
  });

  it("a donor sees only her own batches, whatever she searches for", async () => {
    const mine = await as<Batches>("anna", "/api/v1/batches");
    expect(mine.body.batches.map((b) => b.id).sort()).toEqual([annaOld.id, annaFresh.id].sort());
    const hers = await as<Batches>("anna", `/api/v1/batches?code=${bellaBatch.code}`);
    expect(hers.body.batches).toEqual([]);
    const bySite = await as<Batches>("anna", `/api/v1/batches?siteId=${siteA}`);
    expect(bySite.body.batches.map((b) => b.id)).not.toContain(bellaBatch.id);
    const otherSite = await as<Batches>("staffA", `/api/v1/batches?code=${cleoBatch.code}`);
    expect(otherSite.body.batches).toEqual([]);
  });

  it("filters by site (the owner's) and by the milk's state, and names the unit", async () => {
    const siteOnly = await as<Batches>("staffA", `/api/v1/batches?siteId=${siteB}`);
    expect(siteOnly.body.batches.map((b) => b.id)).toEqual([]);
    const admin = await t.api<Batches>("GET", `/api/v1/batches?siteId=${siteB}`);
    expect(admin.body.batches.map((b) => b.id)).toEqual([cleoBatch.id]);
    const fresh = await as<Batches>("staffA", "/api/v1/batches?state=fresh");
    expect(fresh.body.batches.map((b) => b.id).sort()).toEqual([annaFresh.id, bellaBatch.id].sort());
    expect(new Set(fresh.body.batches.map((b) => b.state))).toEqual(new Set(["fresh"]));
    expect(fresh.body.batches.find((b) => b.id === bellaBatch.id)).toMatchObject({
      unitId: bellaFridge.id,
      unitName: "Bella's fridge",
    });
  });

  it("pages with next until the list runs out, newest first, with no batch twice", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/batches?limit=1${after ? `&after=${encodeURIComponent(after)}` : ""}`;
      const r: { status: number; body: Batches } = await as<Batches>("staffA", url);
      expect(r.status).toBe(200);
      seen.push(...r.body.batches.map((b) => b.id));
      after = r.body.next;
      pages++;
    } while (after && pages < 10);
    expect(seen).toEqual([annaFresh.id, bellaBatch.id, annaOld.id]);
    // With a filter the page fills from further down the list.
    const frozen = await as<Batches>("staffA", "/api/v1/batches?state=frozen&limit=1");
    expect(frozen.body.batches.map((b) => b.id)).toEqual([annaOld.id]);
    expect(frozen.body.next).toBeNull();
    const bad = await as<ApiError>("staffA", "/api/v1/batches?after=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("after must be the `next` value");
  });
});
