import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGN_IN_LOCK_MS, SIGN_IN_MAX_FAILURES } from "../../accounts/index.js";
import { createLogger, urlForLog } from "../../logger.js";
import { ADMIN } from "../../registry/caller.js";
import { createTestApi, PUBLIC_URL, type TestApi } from "../test-api.js";

const PASSWORD = "correct horse battery staple";
type Json = Record<string, unknown>;

let t: TestApi;
let logged = "";
let siteA: string;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged += chunk.toString();
      done();
    },
  });
  t = await createTestApi({ log: createLogger("debug", sink) });
  siteA = (await t.accounts.createSite(ADMIN, "Milk bank A")).id;
});
afterAll(async () => t?.close());

/** An injected request with optional cookie and CSRF header; status, JSON body and headers. */
async function req(
  method: string,
  url: string,
  opts: { body?: unknown; cookie?: string; csrf?: string } = {},
) {
  const res = await t.app.inject({
    method: method as "GET",
    url,
    headers: {
      ...(opts.cookie && { cookie: opts.cookie }),
      ...(opts.csrf && { "x-csrf-token": opts.csrf }),
    },
    ...(opts.body !== undefined && { payload: opts.body as object }),
  });
  const json = res.headers["content-type"]?.toString().includes("json");
  return { status: res.statusCode, body: (json ? res.json() : {}) as Json, headers: res.headers };
}

/** Invites (as the admin token), accepts the invitation over the API, returns the email. */
async function activeDonor(name: string): Promise<{ email: string; id: string; inviteToken: string }> {
  const email = `${name.toLowerCase().replace(/\W+/g, ".")}@example.org`;
  const invited = await t.api<Json>("POST", "/api/v1/accounts", {
    email,
    name,
    role: "donor",
    siteId: siteA,
  });
  expect(invited.status).toBe(201);
  const inviteToken = invited.body.inviteToken as string;
  expect(invited.body.inviteUrl).toBe(`${PUBLIC_URL}/invite#${inviteToken}`);
  const accepted = await req("POST", `/api/v1/invitations/${inviteToken}/accept`, {
    body: { password: PASSWORD },
  });
  expect(accepted.status).toBe(200);
  expect((accepted.body.account as Json).status).toBe("active");
  return { email, id: invited.body.id as string, inviteToken };
}

describe("accounts plugin", () => {
  it("invite, accept, sign in with a cookie, write only with the CSRF token, sign out", async () => {
    const { email } = await activeDonor("Ada Donor");
    const signIn = await req("POST", "/api/v1/sessions", { body: { email, password: PASSWORD } });
    expect(signIn.status).toBe(201);
    const setCookie = String(signIn.headers["set-cookie"]);
    expect(setCookie).toMatch(
      /^coldtrail_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/,
    );
    const cookie = setCookie.split(";")[0] as string;
    const csrf = signIn.body.csrfToken as string;
    expect((signIn.body.account as Json).name).toBe("Ada Donor");

    const me = await req("GET", "/api/v1/me", { cookie });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ via: "session", csrfToken: csrf, account: { email, role: "donor" } });

    const body = { name: "Kitchen freezer", kind: "freezer" };
    const noCsrf = await req("POST", "/api/v1/units", { cookie, body });
    expect([noCsrf.status, (noCsrf.body.error as Json).code]).toEqual([403, "CT_ERR_FORBIDDEN"]);
    const wrongCsrf = await req("POST", "/api/v1/units", { cookie, body, csrf: `${csrf}x` });
    expect(wrongCsrf.status).toBe(403);
    const created = await req("POST", "/api/v1/units", { cookie, body, csrf });
    expect(created.status).toBe(201);
    expect((await req("GET", "/api/v1/units", { cookie })).body.units).toEqual([created.body]);

    const out = await req("DELETE", "/api/v1/sessions/current", { cookie, csrf });
    expect(out.status).toBe(204);
    expect(String(out.headers["set-cookie"])).toMatch(/^coldtrail_session=; .*Max-Age=0/);
    const after = await req("GET", "/api/v1/me", { cookie });
    expect([after.status, (after.body.error as Json).code]).toEqual([401, "CT_ERR_UNAUTHORIZED"]);
  });

  it("a used or unknown invitation is refused in words that say what to do", async () => {
    const { inviteToken } = await activeDonor("Bea Donor");
    const again = await req("POST", `/api/v1/invitations/${inviteToken}/accept`, {
      body: { password: PASSWORD },
    });
    expect(again.status).toBe(409);
    expect((again.body.error as Json).message).toMatch(/already accepted.*sign in/);
    const unknown = await req("POST", "/api/v1/invitations/nope/accept", { body: { password: PASSWORD } });
    expect(unknown.status).toBe(404);
  });

  it("too many failed sign-ins answer 429 with Retry-After, even with the right password", async () => {
    const { email } = await activeDonor("Cy Donor");
    for (let i = 0; i < SIGN_IN_MAX_FAILURES; i++) {
      const wrong = await req("POST", "/api/v1/sessions", {
        body: { email, password: "wrong password here" },
      });
      expect(wrong.status).toBe(401);
    }
    const locked = await req("POST", "/api/v1/sessions", { body: { email, password: PASSWORD } });
    expect(locked.status).toBe(429);
    expect((locked.body.error as Json).code).toBe("CT_ERR_TOO_MANY_REQUESTS");
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    expect(locked.headers["set-cookie"]).toBeUndefined();
    // The lock covers this address too (every injected request comes from 127.0.0.1): let it pass.
    t.setNow(t.now() + SIGN_IN_LOCK_MS);
    const later = await req("POST", "/api/v1/sessions", { body: { email, password: PASSWORD } });
    expect(later.status).toBe(201);
  });

  it("invitation tokens never reach the log", async () => {
    const { inviteToken } = await activeDonor("Di Donor");
    expect(logged).toContain("/api/v1/invitations/[redacted]/accept");
    expect(logged).not.toContain(inviteToken);
    expect(urlForLog(`/api/v1/invitations/${inviteToken}/accept?x=1`)).toBe(
      "/api/v1/invitations/[redacted]/accept?x=1",
    );
    expect(urlForLog("/api/v1/alerts/stream?lastEventId=3&token=abc")).toBe(
      "/api/v1/alerts/stream?lastEventId=3&token=[redacted]",
    );
  });

  it("the alert stream opens with the session cookie, as the dashboard's EventSource sends it", async () => {
    const { email } = await activeDonor("Eve Donor");
    const signIn = await req("POST", "/api/v1/sessions", { body: { email, password: PASSWORD } });
    const cookie = String(signIn.headers["set-cookie"]).split(";")[0] as string;
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const addr = t.app.server.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/alerts/stream`, {
      headers: { cookie },
      signal: abort.signal,
    });
    abort.abort();
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/event-stream; charset=utf-8"]);
    const without = await fetch(`http://127.0.0.1:${port}/api/v1/alerts/stream`);
    expect(without.status).toBe(401);
  });

  it("a personal token acts as its account until revoked", async () => {
    const { email } = await activeDonor("Flo Donor");
    const signIn = await req("POST", "/api/v1/sessions", { body: { email, password: PASSWORD } });
    const cookie = String(signIn.headers["set-cookie"]).split(";")[0] as string;
    const csrf = signIn.body.csrfToken as string;
    const made = await req("POST", "/api/v1/tokens", { cookie, csrf, body: { name: "backup script" } });
    expect(made.status).toBe(201);
    const token = made.body.token as string;
    expect(token).toMatch(/^ct_/);
    const me = await t.app.inject({
      method: "GET",
      url: "/api/v1/me",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.json()).toMatchObject({ via: "api-token", account: { email } });
    const listed = await req("GET", "/api/v1/tokens", { cookie });
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect((await req("DELETE", `/api/v1/tokens/${made.body.id}`, { cookie, csrf })).status).toBe(204);
    const revoked = await t.app.inject({
      method: "GET",
      url: "/api/v1/me",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(revoked.statusCode).toBe(401);
  });
});
