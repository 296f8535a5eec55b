/**
 * The authorisation matrix: every route in /api/openapi.json, called by each role, on an object
 * of site A's donor and on one of site B's donor, with the status each cell must answer. Another
 * tenant's object answers 404 exactly like a missing one (DESIGN.md "Accounts and sessions").
 * A route in the document without a row here fails the test, so new routes get decided on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, PASSWORD_MIN_CHARS } from "../accounts/index.js";
import { subjectText } from "../alerts/types.js";
import { ADMIN, type Caller } from "../registry/caller.js";
import { createTestApi, T0, TEST_TOKEN, type TestApi } from "./test-api.js";

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const PASSWORD = "correct horse battery staple";

const ROLES = ["admin", "staffA", "donorA", "otherDonorA", "staffB"] as const;
type Role = (typeof ROLES)[number];
/** A: objects of site A's donor (donorA owns them); B: objects of site B's donor. */
const TARGETS = ["A", "B"] as const;
type Target = (typeof TARGETS)[number];

/** Fresh objects of one tenant, made for each cell so writes in one cell never change another. */
interface Objects {
  siteId: string;
  unitId: string;
  probeId: string;
  batchId: string;
  batchCode: string;
  alertId: string;
  channelId: string;
  /** A web push endpoint the tenant's donor subscribed. */
  pushEndpoint: string;
  /** A new personal token of the tenant's donor (made on demand: an account holds at most 50). */
  tokenId: () => Promise<string>;
  /** Another donor of the tenant's site (so deleting or disabling it harms no other cell). */
  accountId: string;
  /** An open invitation to the tenant's site. */
  inviteToken: string;
  n: number;
}

type Request = { method: string; url: string; body?: unknown };
type Cell = number | readonly [a: number, b: number];
interface Row {
  route: string;
  req: (o: Objects) => Request | Promise<Request>;
  expect: Record<Role, Cell>;
}

/** The same status for every role and target. */
const everyone = (status: number): Record<Role, Cell> =>
  Object.fromEntries(ROLES.map((r) => [r, status])) as Record<Role, Cell>;
/** Only an admin may. */
const adminOnly = (ok: number, refused = 403): Record<Role, Cell> => ({
  ...everyone(refused),
  admin: ok,
});
/** A unit, probe, batch, alert or channel: the owner, her site's staff and admins see it. */
const owned = (ok: number) =>
  ({
    admin: [ok, ok],
    staffA: [ok, 404],
    donorA: [ok, 404],
    otherDonorA: [404, 404],
    staffB: [404, ok],
  }) as const;
/** Another donor's account: admins and her site's staff manage it; donors do not see it. */
const managed = (ok: number) =>
  ({
    admin: [ok, ok],
    staffA: [ok, 404],
    donorA: [404, 404],
    otherDonorA: [404, 404],
    staffB: [404, ok],
  }) as const;

const MATRIX: Row[] = [
  // Accounts, sessions, tokens, sites.
  {
    route: "POST /api/v1/accounts",
    req: (o) => ({
      method: "POST",
      url: "/api/v1/accounts",
      body: { email: `new${o.n}@example.org`, name: "New donor", role: "donor", siteId: o.siteId },
    }),
    // Staff invite donors to their own site only; donors invite nobody.
    expect: {
      admin: [201, 201],
      staffA: [201, 403],
      donorA: [403, 403],
      otherDonorA: [403, 403],
      staffB: [403, 201],
    },
  },
  {
    route: "POST /api/v1/invitations/{token}/accept",
    req: (o) => ({
      method: "POST",
      url: `/api/v1/invitations/${o.inviteToken}/accept`,
      body: { password: PASSWORD },
    }),
    expect: everyone(200),
  },
  {
    route: "POST /api/v1/sessions",
    req: () => ({
      method: "POST",
      url: "/api/v1/sessions",
      body: { email: SIGN_IN_EMAIL, password: PASSWORD },
    }),
    expect: everyone(201),
  },
  {
    route: "DELETE /api/v1/sessions/current",
    req: () => ({ method: "DELETE", url: "/api/v1/sessions/current" }),
    expect: everyone(204),
  },
  { route: "GET /api/v1/me", req: () => ({ method: "GET", url: "/api/v1/me" }), expect: everyone(200) },
  {
    route: "GET /api/v1/me/export",
    req: () => ({ method: "GET", url: "/api/v1/me/export" }),
    expect: everyone(200),
  },
  {
    route: "POST /api/v1/tokens",
    req: () => ({ method: "POST", url: "/api/v1/tokens", body: { name: "script" } }),
    expect: everyone(201),
  },
  {
    route: "GET /api/v1/tokens",
    req: () => ({ method: "GET", url: "/api/v1/tokens" }),
    expect: everyone(200),
  },
  {
    route: "DELETE /api/v1/tokens/{id}",
    req: async (o) => ({ method: "DELETE", url: `/api/v1/tokens/${await o.tokenId()}` }),
    // One's own tokens; an admin revokes anyone's (a leaked one).
    expect: {
      admin: [204, 204],
      staffA: [404, 404],
      donorA: [204, 404],
      otherDonorA: [404, 404],
      staffB: [404, 404],
    },
  },
  {
    route: "GET /api/v1/accounts",
    req: () => ({ method: "GET", url: "/api/v1/accounts" }),
    expect: everyone(200),
  },
  {
    route: "GET /api/v1/accounts/{id}",
    req: (o) => ({ method: "GET", url: `/api/v1/accounts/${o.accountId}` }),
    expect: managed(200),
  },
  {
    route: "PATCH /api/v1/accounts/{id}",
    req: (o) => ({ method: "PATCH", url: `/api/v1/accounts/${o.accountId}`, body: { disabled: true } }),
    expect: managed(200),
  },
  {
    route: "DELETE /api/v1/accounts/{id}",
    req: (o) => ({ method: "DELETE", url: `/api/v1/accounts/${o.accountId}` }),
    expect: managed(200),
  },
  {
    route: "POST /api/v1/sites",
    req: (o) => ({ method: "POST", url: "/api/v1/sites", body: { name: `Site ${o.n}` } }),
    expect: adminOnly(201),
  },
  { route: "GET /api/v1/sites", req: () => ({ method: "GET", url: "/api/v1/sites" }), expect: everyone(200) },
  // System.
  {
    route: "GET /api/v1/healthz",
    req: () => ({ method: "GET", url: "/api/v1/healthz" }),
    expect: everyone(200),
  },
  // Units.
  {
    route: "POST /api/v1/units",
    req: () => ({ method: "POST", url: "/api/v1/units", body: { name: "Freezer", kind: "freezer" } }),
    expect: everyone(201),
  },
  { route: "GET /api/v1/units", req: () => ({ method: "GET", url: "/api/v1/units" }), expect: everyone(200) },
  {
    route: "PATCH /api/v1/units/{id}",
    req: (o) => ({ method: "PATCH", url: `/api/v1/units/${o.unitId}`, body: { name: "Renamed" } }),
    expect: owned(200),
  },
  {
    route: "GET /api/v1/units/{id}",
    req: (o) => ({ method: "GET", url: `/api/v1/units/${o.unitId}` }),
    expect: owned(200),
  },
  {
    route: "GET /api/v1/units/{id}/readings",
    req: (o) => ({ method: "GET", url: `/api/v1/units/${o.unitId}/readings` }),
    expect: owned(200),
  },
  // Probes.
  {
    route: "POST /api/v1/probes",
    req: () => ({ method: "POST", url: "/api/v1/probes", body: {} }),
    expect: everyone(201),
  },
  {
    route: "GET /api/v1/probes",
    req: () => ({ method: "GET", url: "/api/v1/probes" }),
    expect: everyone(200),
  },
  {
    route: "POST /api/v1/probes/{id}/secret",
    req: (o) => ({ method: "POST", url: `/api/v1/probes/${o.probeId}/secret` }),
    expect: owned(201),
  },
  {
    route: "GET /api/v1/probes/{id}",
    req: (o) => ({ method: "GET", url: `/api/v1/probes/${o.probeId}` }),
    expect: owned(200),
  },
  {
    route: "PATCH /api/v1/probes/{id}",
    req: (o) => ({ method: "PATCH", url: `/api/v1/probes/${o.probeId}`, body: { calibrationOffsetC: -0.5 } }),
    // Correcting a calibration is staff's call; the donor sees her probe but may not change it.
    expect: {
      admin: [200, 200],
      staffA: [200, 404],
      donorA: [403, 404],
      otherDonorA: [404, 404],
      staffB: [404, 200],
    },
  },
  {
    route: "PUT /api/v1/probes/{id}/unit",
    req: (o) => ({ method: "PUT", url: `/api/v1/probes/${o.probeId}/unit`, body: { unitId: null } }),
    expect: owned(200),
  },
  {
    route: "GET /api/v1/probes/{id}/readings",
    req: (o) => ({ method: "GET", url: `/api/v1/probes/${o.probeId}/readings` }),
    expect: owned(200),
  },
  // Batches.
  {
    route: "POST /api/v1/batches",
    req: (o) => ({
      method: "POST",
      url: "/api/v1/batches",
      body: { unitId: o.unitId, expressedAt: iso(T0 - 3 * HOUR), at: iso(T0 - 2 * HOUR), state: "frozen" },
    }),
    // Milk goes into a unit the caller may see.
    expect: owned(201),
  },
  {
    route: "GET /api/v1/batches",
    req: () => ({ method: "GET", url: "/api/v1/batches" }),
    expect: everyone(200),
  },
  {
    route: "POST /api/v1/batches/{id}/moves",
    req: (o) => ({
      method: "POST",
      url: `/api/v1/batches/${o.batchId}/moves`,
      body: { unitId: null, at: iso(T0 - HOUR), how: "fed" },
    }),
    expect: owned(200),
  },
  {
    route: "GET /api/v1/batches/{id}",
    req: (o) => ({ method: "GET", url: `/api/v1/batches/${o.batchId}` }),
    expect: owned(200),
  },
  {
    route: "POST /api/v1/batches/{id}/reviews",
    req: (o) => ({
      method: "POST",
      url: `/api/v1/batches/${o.batchId}/reviews`,
      body: { decision: "hold", comment: "label smudged" },
    }),
    // Staff review; a donor sees her batch but does not release her own milk.
    expect: {
      admin: [201, 201],
      staffA: [201, 404],
      donorA: [403, 404],
      otherDonorA: [404, 404],
      staffB: [404, 201],
    },
  },
  {
    route: "GET /api/v1/batches/{id}/audit",
    req: (o) => ({ method: "GET", url: `/api/v1/batches/${o.batchId}/audit` }),
    expect: owned(200),
  },
  {
    route: "GET /api/v1/batches/{id}/readings.csv",
    req: (o) => ({ method: "GET", url: `/api/v1/batches/${o.batchId}/readings.csv` }),
    expect: owned(200),
  },
  {
    route: "GET /api/v1/batches/{id}/report.pdf",
    req: (o) => ({ method: "GET", url: `/api/v1/batches/${o.batchId}/report.pdf` }),
    expect: owned(200),
  },
  {
    route: "GET /api/v1/passports/{code}",
    req: (o) => ({ method: "GET", url: `/api/v1/passports/${o.batchCode}` }),
    // Public: the passport is what a recipient without an account reads.
    expect: everyone(200),
  },
  // Dead letters.
  {
    route: "GET /api/v1/deadletters",
    req: () => ({ method: "GET", url: "/api/v1/deadletters" }),
    expect: everyone(200),
  },
  // Alerts and channels.
  {
    route: "GET /api/v1/alerts",
    req: () => ({ method: "GET", url: "/api/v1/alerts" }),
    expect: everyone(200),
  },
  {
    route: "GET /api/v1/alerts/stream",
    req: () => ({ method: "GET", url: "/api/v1/alerts/stream" }),
    expect: everyone(200),
  },
  {
    route: "GET /api/v1/alerts/{id}",
    req: (o) => ({ method: "GET", url: `/api/v1/alerts/${o.alertId}` }),
    expect: owned(200),
  },
  {
    route: "POST /api/v1/alerts/{id}/ack",
    req: (o) => ({ method: "POST", url: `/api/v1/alerts/${o.alertId}/ack`, body: { comment: "on it" } }),
    expect: owned(200),
  },
  {
    route: "POST /api/v1/alerts/{id}/resolve",
    req: (o) => ({ method: "POST", url: `/api/v1/alerts/${o.alertId}/resolve`, body: {} }),
    expect: owned(200),
  },
  {
    route: "POST /api/v1/channels",
    req: (o) => ({
      method: "POST",
      url: "/api/v1/channels",
      body: { kind: "webhook", target: "https://hooks.example.org/coldtrail", unitIds: [o.unitId] },
    }),
    // A channel may name only units the caller sees.
    expect: owned(201),
  },
  {
    route: "GET /api/v1/channels",
    req: () => ({ method: "GET", url: "/api/v1/channels" }),
    expect: everyone(200),
  },
  {
    route: "DELETE /api/v1/channels/{id}",
    req: (o) => ({ method: "DELETE", url: `/api/v1/channels/${o.channelId}` }),
    expect: owned(204),
  },
  // How I am told: each person's own choices and browsers; nobody reaches another's.
  {
    route: "GET /api/v1/me/notifications",
    req: () => ({ method: "GET", url: "/api/v1/me/notifications" }),
    expect: everyone(200),
  },
  {
    route: "PUT /api/v1/me/notifications",
    req: () => ({
      method: "PUT",
      url: "/api/v1/me/notifications",
      body: { email: false, alertKinds: ["excursion", "probable-thaw"] },
    }),
    expect: everyone(200),
  },
  {
    // Allowed for everyone; with nothing switched on the answer says so (400). Only the donor of
    // site A has a browser subscribed (in fresh()): her test goes to it alone.
    route: "POST /api/v1/me/notifications/test",
    req: () => ({ method: "POST", url: "/api/v1/me/notifications/test" }),
    expect: { ...everyone(400), donorA: 200 },
  },
  {
    route: "GET /api/v1/push/key",
    req: () => ({ method: "GET", url: "/api/v1/push/key" }),
    expect: everyone(200),
  },
  {
    route: "POST /api/v1/push/subscriptions",
    req: (o) => ({
      method: "POST",
      url: "/api/v1/push/subscriptions",
      body: {
        endpoint: `https://push.example.org/send/${o.n}`,
        keys: {
          p256dh: Buffer.alloc(65, 4).toString("base64url"),
          auth: Buffer.alloc(16, 1).toString("base64url"),
        },
      },
    }),
    expect: everyone(201),
  },
  {
    // The tenant's donor subscribed this endpoint: only she may unsubscribe it.
    route: "DELETE /api/v1/push/subscriptions",
    req: (o) => ({ method: "DELETE", url: "/api/v1/push/subscriptions", body: { endpoint: o.pushEndpoint } }),
    expect: {
      admin: [404, 404],
      staffA: [404, 404],
      donorA: [204, 404],
      otherDonorA: [404, 404],
      staffB: [404, 404],
    },
  },
];

const SIGN_IN_EMAIL = "signs.in@example.org";

let t: TestApi;
let port: number;
const bearer = {} as Record<Role, string>;
const donors = {} as Record<Target, Caller>;
const sites = {} as Record<Target, string>;
let n = 0;

const callerOf = (a: Account): Caller => ({ accountId: a.id, role: a.role, siteId: a.siteId, name: a.name });

async function invite(siteId: string, role: "staff" | "donor", name: string): Promise<Account> {
  n += 1;
  return (await t.accounts.invite(ADMIN, { email: `${role}${n}@example.org`, name, role, siteId })).account;
}

async function fresh(target: Target): Promise<Objects> {
  const r = t.registry;
  const donor = donors[target];
  const siteId = sites[target];
  n += 1;
  const now = t.now();
  const unit = await r.units.create(donor, { name: `Freezer ${n}`, kind: "freezer" }, now - 10 * HOUR);
  const { probe } = await r.probes.create(donor, { unitId: unit.id }, now - 10 * HOUR);
  const batch = await r.batches.create(
    donor,
    { unitId: unit.id, expressedAtMs: now - 9 * HOUR, atMs: now - 8 * HOUR, state: "frozen" },
    now,
  );
  const [raised] = await t.alerting.store.apply([
    {
      op: "raise",
      key: { kind: "probe-offline", subject: { type: "unit", unitId: unit.id } },
      kind: "probe-offline",
      subject: subjectText({ type: "unit", unitId: unit.id }),
      ownerId: donor.accountId,
      unitId: unit.id,
      unitName: unit.name,
      probeId: null,
      batchIds: [],
      severity: "warning",
      title: "Freezer silent",
      message: "no readings for 20 min",
      details: {},
      startedMs: now - HOUR,
      atMs: now - HOUR,
    },
  ]);
  const { channel } = await t.alerting.http.channels.channels.create(
    donor,
    { kind: "webhook", target: "https://hooks.example.org/donor" },
    now,
  );
  // Port 9 on loopback refuses at once: a test notification to it fails without leaving the machine.
  const pushEndpoint = `https://127.0.0.1:9/donor/${target}/${n}`;
  await t.alerting.http.notify.prefs.subscribe(
    donor,
    {
      endpoint: pushEndpoint,
      keys: {
        p256dh: Buffer.alloc(65, 4).toString("base64url"),
        auth: Buffer.alloc(16, 1).toString("base64url"),
      },
    },
    now,
  );
  const other = await invite(siteId, "donor", `Other donor ${n}`);
  n += 1;
  const { inviteToken } = await t.accounts.invite(ADMIN, {
    email: `invited${n}@example.org`,
    name: `Invited ${n}`,
    role: "donor",
    siteId,
  });
  if (!raised) throw new Error("the test alert was not raised");
  return {
    siteId,
    unitId: unit.id,
    probeId: probe.id,
    batchId: batch.id,
    batchCode: batch.code,
    alertId: raised.alert.id,
    channelId: channel.id,
    pushEndpoint,
    tokenId: async () => (await t.accounts.createToken(donor, `token ${n}`)).id,
    accountId: other.id,
    inviteToken,
    n,
  };
}

/** The stream never ends: its status over a real socket, then the connection is dropped. */
async function streamStatus(authorization: string): Promise<number> {
  const abort = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/alerts/stream`, {
    headers: { authorization },
    signal: abort.signal,
  });
  abort.abort();
  return res.status;
}

async function call(role: Role, req: Request): Promise<number> {
  const authorization = `Bearer ${bearer[role]}`;
  if (req.url === "/api/v1/alerts/stream") return streamStatus(authorization);
  const res = await t.app.inject({
    method: req.method as "GET",
    url: req.url,
    headers: { authorization },
    ...(req.body !== undefined && { payload: req.body as object }),
  });
  if (res.statusCode >= 500) throw new Error(`${req.method} ${req.url}: ${res.body}`);
  return res.statusCode;
}

beforeAll(async () => {
  t = await createTestApi();
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const addr = t.app.server.address();
  port = typeof addr === "object" && addr ? addr.port : 0;
  sites.A = (await t.accounts.createSite(ADMIN, "Milk bank A")).id;
  sites.B = (await t.accounts.createSite(ADMIN, "Milk bank B")).id;
  const accounts: Record<Exclude<Role, "admin">, Account> = {
    staffA: await invite(sites.A, "staff", "Staff A"),
    donorA: await invite(sites.A, "donor", "Donor A"),
    otherDonorA: await invite(sites.A, "donor", "Other donor A"),
    staffB: await invite(sites.B, "staff", "Staff B"),
  };
  donors.A = callerOf(accounts.donorA);
  donors.B = callerOf(await invite(sites.B, "donor", "Donor B"));
  bearer.admin = TEST_TOKEN;
  for (const [role, a] of Object.entries(accounts)) {
    // An invited account's token works once it is active: accept its invitation first.
    const { inviteToken } = await t.accounts.reinvite(ADMIN, a.id);
    const ok = await t.accounts.acceptInvitation(inviteToken, PASSWORD);
    if (!ok.ok) throw new Error(ok.message);
    bearer[role as Role] = (await t.accounts.createToken(callerOf(a), "matrix")).token;
  }
  const signer = await t.accounts.invite(ADMIN, {
    email: SIGN_IN_EMAIL,
    name: "Signs in",
    role: "donor",
    siteId: sites.A,
  });
  const accepted = await t.accounts.acceptInvitation(signer.inviteToken, PASSWORD);
  if (!accepted.ok) throw new Error(accepted.message);
  expect(PASSWORD.length).toBeGreaterThanOrEqual(PASSWORD_MIN_CHARS);
});
afterAll(async () => t?.close());

describe("the authorisation matrix", () => {
  it("has a row for every route in the OpenAPI document, and no row for a route that is not there", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/api/openapi.json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const rows = MATRIX.map((r) => r.route);
    expect(documented.filter((r) => !rows.includes(r))).toEqual([]);
    expect(rows.filter((r) => !documented.includes(r))).toEqual([]);
    expect(new Set(rows).size).toBe(rows.length);
  });

  for (const row of MATRIX) {
    it(`${row.route}: ${ROLES.map((r) => `${r} ${String(row.expect[r])}`).join(", ")}`, async () => {
      const got: Record<string, Cell> = {};
      for (const role of ROLES) {
        const want = row.expect[role];
        if (typeof want === "number") {
          got[role] = await call(role, await row.req(await fresh("A")));
        } else {
          got[role] = [
            await call(role, await row.req(await fresh("A"))),
            await call(role, await row.req(await fresh("B"))),
          ];
        }
      }
      expect(got).toEqual(row.expect);
    });
  }
});

describe("alerts follow the same ownership as every other row", () => {
  it("the live stream and alert channels reach the owner, her site's staff and admins only", async () => {
    const store = t.alerting.store;
    const staff = (site: Target): Caller => ({ accountId: "x", role: "staff", siteId: sites[site] });
    expect([
      await store.ownerVisibleTo(donors.A, donors.A.accountId),
      await store.ownerVisibleTo(staff("A"), donors.A.accountId),
      await store.ownerVisibleTo(ADMIN, donors.A.accountId),
      await store.ownerVisibleTo(staff("B"), donors.A.accountId),
      await store.ownerVisibleTo(donors.B, donors.A.accountId),
    ]).toEqual([true, true, true, false, false]);

    const o = await fresh("A");
    const alert = await store.get(ADMIN, o.alertId);
    const channels = t.alerting.http.channels.channels;
    const channelOf = async (caller: Caller) =>
      (await channels.create(caller, { kind: "webhook", target: "https://hooks.example.org/x" }, t.now()))
        .channel.id;
    const staffA = (await t.accounts.listAccounts(ADMIN)).find((a) => a.name === "Staff A") as Account;
    const staffB = (await t.accounts.listAccounts(ADMIN)).find((a) => a.name === "Staff B") as Account;
    const hears = await channelOf(callerOf(staffA));
    const deaf = await channelOf(callerOf(staffB));
    const heard = (await channels.channelsFor(alert)).map((c) => c.id);
    expect(heard).toContain(o.channelId);
    expect(heard).toContain(hears);
    expect(heard).not.toContain(deaf);
  });

  it("an acknowledgement names the person, and the alert's history too", async () => {
    const o = await fresh("A");
    const res = await t.app.inject({
      method: "POST",
      url: `/api/v1/alerts/${o.alertId}/ack`,
      headers: { authorization: `Bearer ${bearer.staffA}` },
      payload: { comment: "moved the milk" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: "acknowledged", acknowledgedByName: "Staff A" });
    const detail = await t.app.inject({
      method: "GET",
      url: `/api/v1/alerts/${o.alertId}`,
      headers: { authorization: `Bearer ${bearer.donorA}` },
    });
    const history = detail.json().history as { action: string; actorName: string | null }[];
    expect(history.find((h) => h.action === "alert.acknowledged")?.actorName).toBe("Staff A");
  });
});
