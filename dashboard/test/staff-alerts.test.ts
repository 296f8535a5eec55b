/// <reference lib="dom" />
/**
 * Staff alerts in a real Chromium at phone and desktop width, against a real coldtrail server:
 * a donor's probe publishes a power cut over MQTT while a staff member has the alerts page open;
 * the alert arrives live, the tab title counts it, a browser notification pops up; she
 * acknowledges with a comment and resolves it, and the page names her and the batch's code.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectProbe,
  inviteAndSignIn,
  startTestServer,
  type TestServer,
  waitFor,
} from "../../server/test/harness.js";
import { buildDashboard } from "../build.js";
import {
  DESKTOP,
  expectAccessible,
  launchChromium,
  noSidewaysScroll,
  openPage,
  PHONE,
  pageErrors,
  shot,
  type Viewport,
} from "./browser-kit.js";
import { type StaticProxy, serveDashboard } from "./static-proxy.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const PASSWORD = "four words for the freezer";

type Alert = { id: string; kind: string; state: string; unitId: string; title: string };
type Session = <T>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;

let s: TestServer;
let web: StaticProxy;
let browser: Browser;
let distDir: string;
let staffCookie: string;
let donor: Session;

/** An account invited into the site, its password set, signed in: its cookie and an API caller. */
async function signedIn(name: string, email: string, role: "staff" | "donor", siteId: string) {
  const { cookie, csrfToken } = await inviteAndSignIn(s.httpUrl, { email, name, role, siteId }, PASSWORD);
  const call: Session = async (method, path, body) => {
    const r = await fetch(`${s.httpUrl}${path}`, {
      method,
      headers: {
        cookie,
        "x-csrf-token": csrfToken,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as never };
  };
  return { cookie, call };
}

beforeAll(async () => {
  distDir = await buildDashboard({ outDir: mkdtempSync(join(tmpdir(), "coldtrail-dash-")) });
  s = await startTestServer();
  const site = await s.api<{ id: string }>("POST", "/api/v1/sites", { name: "Milk bank A" });
  expect(site.status).toBe(201);
  staffCookie = (await signedIn("Grace Staff", "grace@bank.example", "staff", site.body.id)).cookie;
  donor = (await signedIn("Ada Donor", "ada@example.org", "donor", site.body.id)).call;
  web = await serveDashboard(distDir, s.httpUrl);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await s?.cleanup();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

/** The donor's freezer with a probe attached 8 h ago and a frozen batch in it. */
async function donorFreezer(name: string) {
  const start = Date.now() - 8 * HOUR;
  const unit = await donor<{ id: string }>("POST", "/api/v1/units", { name, kind: "freezer" });
  expect(unit.status).toBe(201);
  const probe = await donor<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
  expect(probe.status).toBe(201);
  const att = await donor("PUT", `/api/v1/probes/${probe.body.id}/unit`, {
    unitId: unit.body.id,
    at: new Date(start).toISOString(),
  });
  expect(att.status).toBe(200);
  const batch = await donor<{ id: string; code: string }>("POST", "/api/v1/batches", {
    unitId: unit.body.id,
    expressedAt: new Date(start - HOUR).toISOString(),
    at: new Date(start).toISOString(),
    state: "frozen",
  });
  expect(batch.status).toBe(201);
  return { start, unitId: unit.body.id, probe: probe.body, batch: batch.body };
}

/** A power cut two hours in: the air warms to +5 °C within the hour and stays there. */
async function publishPowerCut(probe: { id: string; secret: string }, start: number) {
  const cut = start + 2 * HOUR;
  const readings: { ts: number; temp_c: number; seq: number }[] = [];
  for (let t = start, seq = 0; t < Date.now() - MIN; t += MIN, seq++) {
    const temp = t < cut ? -19 : Math.min(5, -19 + ((t - cut) / HOUR) * 24);
    readings.push({ ts: t, temp_c: Math.round(temp * 16) / 16, seq });
  }
  const c = await connectProbe(s.mqttUrl, probe.id, probe.secret);
  for (let i = 0; i < readings.length; i += 500) {
    await c.publishAsync(
      `coldtrail/v1/probes/${probe.id}/readings`,
      // The last message also reports a nearly empty battery: a probe's own alert.
      JSON.stringify({
        readings: readings.slice(i, i + 500),
        ...(i + 500 >= readings.length && { battery_pct: 9 }),
      }),
      { qos: 1 },
    );
  }
  await c.endAsync();
}

const openCount = async () =>
  (await s.api<{ alerts: Alert[] }>("GET", "/api/v1/alerts?state=open&limit=1000")).body.alerts.length;

describe.each([
  ["390", PHONE],
  ["desktop", DESKTOP],
] as [string, Viewport][])("staff alerts at %s", (width, viewport) => {
  it("an excursion arrives live with a title count and a notification; acknowledge, resolve; names and codes show", async () => {
    const freezer = await donorFreezer(`Ada's freezer (${width})`);
    const { ctx, page } = await openPage(browser, viewport);
    await ctx.addCookies([
      {
        name: "coldtrail_session",
        value: staffCookie.split("=")[1] as string,
        url: web.url,
      },
    ]);
    await ctx.grantPermissions(["notifications"], { origin: web.url });
    // Every Notification the page makes, and every time it asks for permission.
    await ctx.addInitScript(() => {
      const w = window as unknown as { shown: { title: string; body: string }[]; asked: number };
      w.shown = [];
      w.asked = 0;
      const Real = window.Notification;
      class Spy extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          w.shown.push({ title, body: options?.body ?? "" });
        }
        static override requestPermission(): Promise<NotificationPermission> {
          w.asked++;
          return Real.requestPermission();
        }
      }
      Object.defineProperty(Spy, "permission", { get: () => Real.permission });
      window.Notification = Spy as typeof Notification;
    });

    const before = await openCount();
    await page.goto(`${web.url}/alerts`);
    await page.getByRole("heading", { name: "Alerts", level: 1 }).waitFor();
    await page.getByText("Live: new and changed alerts").waitFor();
    await page.getByText("Browser notifications are on").waitFor();

    await publishPowerCut(freezer.probe, freezer.start);
    const card = page.locator(".alert-card", { hasText: `Ada's freezer (${width})` }).first();
    await card.waitFor({ timeout: 30_000 });
    // The title counts every open alert this staff member can see, on this page and on others.
    const titled = (words: string) =>
      waitFor(async () => {
        const n = await openCount();
        return n > 0 && (await page.title()) === `(${n}) ${words} · coldtrail` ? n : null;
      });
    const open = await titled("Open alerts");
    expect(open).toBeGreaterThan(before);
    const shown = await waitFor(async () => {
      const got = await page.evaluate(() => (window as unknown as { shown: { title: string }[] }).shown);
      return got.length > 0 ? got : null;
    });
    expect(shown.some((n) => /too warm|thawed/.test(n.title))).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { asked: number }).asked)).toBe(0);

    const excursion = page.locator(".alert-card", { hasText: `Ada's freezer (${width})` }).filter({
      has: page.getByRole("heading", { name: /too warm/ }),
    });
    await excursion.waitFor();
    // The batch by its passport code, linking to its page; the probe by its unit's name.
    const code = excursion.getByRole("link", { name: freezer.batch.code });
    expect(await code.getAttribute("href")).toBe(`/batches/${freezer.batch.id}`);
    const unitLink = excursion.getByRole("link", { name: `Ada's freezer (${width})` });
    expect(await unitLink.getAttribute("href")).toBe(`/units/${freezer.unitId}`);
    expect(await excursion.locator(".meta").first().textContent()).toBe(`Unit Ada's freezer (${width})`);
    const battery = page.locator(".alert-card", { hasText: "Battery low" }).filter({
      has: page.getByRole("link", { name: `Ada's freezer (${width})` }),
    });
    expect(await battery.locator(".meta").first().textContent()).toBe(`Probe in Ada's freezer (${width})`);
    await noSidewaysScroll(page);
    await expectAccessible(page);
    await shot(page, "alerts");

    // Acknowledge with a comment: it moves to the acknowledged tab, naming who and what.
    const alertId = (await excursion.getAttribute("data-alert-id")) as string;
    await excursion.getByLabel("Comment").fill("Moving the milk to the bank freezer");
    await excursion.getByRole("button", { name: "Acknowledge" }).click();
    await page.locator(`[data-alert-id="${alertId}"]`).waitFor({ state: "detached" });
    await page.getByRole("link", { name: /^Acknowledged \(\d+\)$/ }).click();
    const acked = page.locator(`[data-alert-id="${alertId}"]`);
    await acked.waitFor();
    expect(await acked.locator(".who-acted").first().textContent()).toMatch(
      /^Acknowledged .+ by Grace Staff: “Moving the milk to the bank freezer”$/,
    );
    await titled("Acknowledged alerts");

    // Resolve with a comment.
    await acked.getByLabel("Comment").fill("Milk checked by the bank");
    await acked.getByRole("button", { name: "Resolve" }).click();
    await acked.waitFor({ state: "detached" });
    await page.getByRole("link", { name: /^Resolved \(\d+\)$/ }).click();
    const resolved = page.locator(`[data-alert-id="${alertId}"]`);
    await resolved.waitFor();
    const words = await resolved.locator(".who-acted").allTextContents();
    expect(words[1]).toMatch(/^Resolved .+ by Grace Staff: “Milk checked by the bank”$/);
    expect(await resolved.getByRole("button").count()).toBe(0);
    const stored = await s.api<Alert & { resolvedBy: string }>("GET", `/api/v1/alerts/${alertId}`);
    expect(stored.body.state).toBe("resolved");

    // Times are in the browser's zone (Europe/Berlin in these contexts).
    const when = (await resolved.locator("time").first().getAttribute("datetime")) as string;
    const local = new Intl.DateTimeFormat("en-GB", {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone: "Europe/Berlin",
    }).format(Date.parse(when));
    expect(await resolved.locator("time").first().textContent()).toBe(local);
    await noSidewaysScroll(page);
    await expectAccessible(page);
    await shot(page, "alerts-resolved");

    // On another page the count stays in the title.
    await page.goto(`${web.url}/deadletters`);
    await waitFor(async () => /^\(\d+\) /.test(await page.title()));
    expect(pageErrors).toEqual([]);
    await ctx.close();
  }, 120_000);
});

describe("notifications are asked for with a button, never on load", () => {
  it("shows the button when the browser has not been asked, and asks only on a click", async () => {
    const { ctx, page } = await openPage(browser, PHONE);
    await ctx.addCookies([
      { name: "coldtrail_session", value: staffCookie.split("=")[1] as string, url: web.url },
    ]);
    await ctx.addInitScript(() => {
      const w = window as unknown as { asked: number };
      w.asked = 0;
      const real = Notification.requestPermission.bind(Notification);
      Notification.requestPermission = () => {
        w.asked++;
        return real();
      };
    });
    await page.goto(`${web.url}/alerts`);
    const button = page.getByRole("button", { name: "Notify me of new alerts" });
    await button.waitFor();
    expect(await page.evaluate(() => (window as unknown as { asked: number }).asked)).toBe(0);
    await button.click();
    await waitFor(
      async () => (await page.evaluate(() => (window as unknown as { asked: number }).asked)) === 1,
    );
    await ctx.close();
  });
});
