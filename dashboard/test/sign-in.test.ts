/// <reference lib="dom" />
/**
 * Signing in, in a real Chromium at phone width against a real coldtrail server: an admin
 * invites a donor, she opens the link, sets a password, sees her own unit only, signs out and
 * back in with words that say what went wrong, and signs out.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../server/test/harness.js";
import { buildDashboard } from "../build.js";
import { launchChromium, openPage, PHONE, pageErrors, shot } from "./browser-kit.js";
import { type StaticProxy, serveDashboard } from "./static-proxy.js";

const PASSWORD = "four words for the freezer";

let s: TestServer;
let web: StaticProxy;
let browser: Browser;
let distDir: string;
let inviteToken: string;
let bankUnitName: string;

beforeAll(async () => {
  distDir = await buildDashboard({ outDir: mkdtempSync(join(tmpdir(), "coldtrail-dash-")) });
  s = await startTestServer();
  const site = await s.api<{ id: string }>("POST", "/api/v1/sites", { name: "Milk bank A" });
  expect(site.status).toBe(201);
  bankUnitName = "Milk bank's own freezer";
  expect((await s.api("POST", "/api/v1/units", { name: bankUnitName, kind: "freezer" })).status).toBe(201);
  const invited = await s.api<{ inviteToken: string; inviteUrl: string }>("POST", "/api/v1/accounts", {
    email: "ada@example.org",
    name: "Ada Donor",
    role: "donor",
    siteId: site.body.id,
  });
  expect(invited.status).toBe(201);
  expect(invited.body.inviteUrl).toBe(`${s.httpUrl}/invite#${invited.body.inviteToken}`);
  inviteToken = invited.body.inviteToken;
  web = await serveDashboard(distDir, s.httpUrl);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await s?.cleanup();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

describe("signing in with an invitation, in Chromium at 390 px", () => {
  it("invite → accept → own unit only → sign out → wrong then right password → sign out", async () => {
    const { ctx, page } = await openPage(browser, PHONE);

    await page.goto(`${web.url}/invite#${inviteToken}`);
    await page.getByLabel("New password").waitFor();
    await shot(page, "invite-accept");
    await page.getByLabel("New password").fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(`${PASSWORD}!`);
    await page.getByRole("button", { name: "Set password and sign in" }).click();
    await page.getByText("The two passwords are not the same").waitFor();
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    await page.getByRole("button", { name: "Set password and sign in" }).click();
    await page.locator("#who", { hasText: "Ada Donor · donor" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/");
    expect(new URL(page.url()).hash).toBe("");
    // The session cookie is HttpOnly: the page's scripts cannot read it; no token is stored.
    expect(await page.evaluate(() => document.cookie)).not.toContain("coldtrail_session");
    expect(await page.evaluate(() => localStorage.getItem("coldtrail.adminToken"))).toBeNull();

    // Her freezer, registered with the session cookie and the CSRF token, as the dashboard writes.
    const created = await page.evaluate(async () => {
      const me = await (await fetch("/api/v1/me")).json();
      const noCsrf = await fetch("/api/v1/units", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Ada's freezer", kind: "freezer" }),
      });
      const res = await fetch("/api/v1/units", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": me.csrfToken },
        body: JSON.stringify({ name: "Ada's freezer", kind: "freezer" }),
      });
      return { noCsrf: noCsrf.status, status: res.status, id: (await res.json()).id as string };
    });
    expect([created.noCsrf, created.status]).toEqual([403, 201]);
    await page.reload();
    await page.locator(`[data-unit-id="${created.id}"]`).waitFor();
    expect(await page.locator("[data-unit-id]").count()).toBe(1);
    expect(await page.content()).not.toContain(bankUnitName);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await page.getByRole("button", { name: "Sign out" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Email").fill("ada@example.org");
    await dialog.getByLabel("Password").fill("not her password at all");
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await dialog.getByText("That email and password do not match. Check both and try again.").waitFor();
    await dialog.getByLabel("Password").fill(PASSWORD);
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await page.locator(`[data-unit-id="${created.id}"]`).waitFor();
    await page.locator("#who", { hasText: "Ada Donor · donor" }).waitFor();
    expect(await dialog.count()).toBe(0);

    await page.getByRole("button", { name: "Sign out" }).click();
    await dialog.getByLabel("Email").waitFor();
    expect(await page.evaluate(async () => (await fetch("/api/v1/me")).status)).toBe(401);
    expect(pageErrors).toEqual([]);
    await ctx.close();
  });
});
