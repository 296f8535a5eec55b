/// <reference lib="dom" />
/**
 * "How I am told" (/settings/notifications) in Debian's Chromium at 390 px and desktop, served by
 * a real coldtrail (its CSP, its /sw.js) with a real SMTP server: a donor sees her choices, a load
 * error says so with a retry, she switches email on and picks kinds, an empty choice is refused in
 * words, the test reaches her inbox; push says in plain words when the browser has no PushManager
 * or refuses to subscribe; a push delivered to the service worker shows its notification.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Coldtrail, startColdtrail } from "../../server/src/app.js";
import { loadConfig } from "../../server/src/config.js";
import { createLogger } from "../../server/src/logger.js";
import { ADMIN_TOKEN, inviteAndSignIn } from "../../server/test/harness.js";
import { parseMail } from "../../server/test/mail.js";
import { type SmtpInbox, startSmtpInbox } from "../../server/test/smtp-inbox.js";
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

const DONOR_EMAIL = "nora@example.org";
const PASSWORD = "a long enough password for nora";

let app: Coldtrail;
let dataDir: string;
let distDir: string;
let browser: Browser;
let smtp: SmtpInbox;
let donorToken: string;

async function api<T = unknown>(method: string, path: string, body?: unknown, token = ADMIN_TOKEN) {
  const res = await fetch(`${app.httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith("{") ? JSON.parse(text) : text) as T };
}

beforeAll(async () => {
  distDir = await buildDashboard({ outDir: mkdtempSync(join(tmpdir(), "coldtrail-dash-")) });
  smtp = await startSmtpInbox();
  dataDir = mkdtempSync(join(tmpdir(), "coldtrail-notify-"));
  const config = loadConfig({
    COLDTRAIL_HTTP_PORT: "0",
    COLDTRAIL_HTTP_HOST: "127.0.0.1",
    COLDTRAIL_MQTT_PORT: "0",
    COLDTRAIL_DATA_DIR: dataDir,
    COLDTRAIL_ADMIN_TOKEN: ADMIN_TOKEN,
    COLDTRAIL_LOG_LEVEL: process.env.COLDTRAIL_TEST_LOG ?? "silent",
    COLDTRAIL_SMTP_URL: smtp.url,
  });
  // Served by coldtrail itself, so the page runs under the server's Content-Security-Policy.
  app = await startColdtrail(config, { log: createLogger(config.logLevel), dashboardDir: distDir });
  const site = await api<{ id: string }>("POST", "/api/v1/sites", { name: "Nora's household" });
  const nora = { email: DONOR_EMAIL, name: "Nora Donor", role: "donor" as const, siteId: site.body.id };
  donorToken = (await inviteAndSignIn(app.httpUrl, nora, PASSWORD, "browser test")).token as string;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await smtp?.close();
  for (const d of [distDir, dataDir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function donorPage(viewport: Viewport, init?: () => void) {
  const { ctx, page } = await openPage(browser, viewport);
  await ctx.addInitScript((t) => localStorage.setItem("coldtrail.adminToken", t), donorToken);
  if (init) await ctx.addInitScript(init);
  return { ctx, page };
}

describe.each([
  ["390 px", PHONE],
  ["desktop", DESKTOP],
] as const)("How I am told, %s", (_name, viewport) => {
  it("a load error says so and retries; email on and kinds saved; no kinds is refused; the test email arrives", async () => {
    await api("PUT", "/api/v1/me/notifications", { email: false, alertKinds: ["excursion"] }, donorToken);
    const { ctx, page } = await donorPage(viewport);
    let fail = true;
    await page.route("**/api/v1/me/notifications", (route) =>
      fail && route.request().method() === "GET"
        ? route.fulfill({
            status: 503,
            contentType: "application/json",
            body: JSON.stringify({
              error: { code: "CT_ERR_UNAVAILABLE", message: "the server is starting" },
            }),
          })
        : route.fallback(),
    );
    await page.goto(`${app.httpUrl}/settings/notifications`);
    const alert = page.getByRole("alert").filter({ hasText: "Could not load your notification choices" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain("the server is starting");
    await shot(page, "notifications-error");
    fail = false;
    await page.getByRole("button", { name: "Try again" }).click();

    await page.getByRole("heading", { name: "How I am told" }).waitFor();
    const email = page.getByLabel(`Email me at ${DONOR_EMAIL}`);
    await email.waitFor();
    expect(await email.isChecked()).toBe(false);
    expect(await page.getByLabel("Too warm (or too cold) for too long").isChecked()).toBe(true);
    expect(await page.getByLabel("Milk has probably thawed").isChecked()).toBe(false);
    // A donor's menu says whose alerts it lists.
    expect(
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My alerts" }).count(),
    ).toBe(1);

    // No kind at all: refused in words, nothing saved.
    await page.getByLabel("Too warm (or too cold) for too long").uncheck();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Choose at least one kind of alert").waitFor();
    expect(
      (await api<{ alertKinds: string[] }>("GET", "/api/v1/me/notifications", undefined, donorToken)).body
        .alertKinds,
    ).toEqual(["excursion"]);

    await email.check();
    await page.getByLabel("Too warm (or too cold) for too long").check();
    await page.getByLabel("Milk has probably thawed").check();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor();
    const saved = await api<{ email: { on: boolean }; alertKinds: string[] }>(
      "GET",
      "/api/v1/me/notifications",
      undefined,
      donorToken,
    );
    expect(saved.body.email.on).toBe(true);
    expect(saved.body.alertKinds.sort()).toEqual(["excursion", "probable-thaw"]);

    const before = smtp.mails.length;
    await page.getByRole("button", { name: "Send a test notification" }).click();
    await page.getByText("Email: sent.").waitFor();
    await expect.poll(() => smtp.mails.length, { timeout: 10_000 }).toBeGreaterThan(before);
    const mail = smtp.mails.at(-1) as { to: string[]; raw: string };
    expect(mail.to).toEqual([DONOR_EMAIL]);
    expect(parseMail(mail.raw).subject).toMatch(/Test notification from coldtrail/);

    await noSidewaysScroll(page);
    await expectAccessible(page);
    await shot(page, "notifications");
    expect(await page.title()).toBe("How I am told · coldtrail");

    // Her own alerts are one tap away (the server lists only hers; she has none yet).
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My alerts" }).click();
    await page.getByText("No open alerts.").waitFor();
    await ctx.close();
  });

  it("without PushManager the page says in plain words that this browser cannot, and offers no switch", async () => {
    const { ctx, page } = await donorPage(viewport, () => {
      delete (window as { PushManager?: unknown }).PushManager;
    });
    await page.goto(`${app.httpUrl}/settings/notifications`);
    await page.getByText("This browser cannot show push notifications.").waitFor();
    expect(await page.getByLabel(/Notify me on this phone or computer/).isDisabled()).toBe(true);
    await expectAccessible(page);
    await shot(page, "notifications-no-push");
    await ctx.close();
  });

  it("when the browser refuses to subscribe the switch goes back off and the page says why", async () => {
    const { ctx, page } = await donorPage(viewport, () => {
      PushManager.prototype.subscribe = () =>
        Promise.reject(new DOMException("Registration failed - push service not available", "AbortError"));
    });
    await ctx.grantPermissions(["notifications"], { origin: app.httpUrl });
    await page.goto(`${app.httpUrl}/settings/notifications`);
    const push = page.getByLabel(/Notify me on this phone or computer/);
    await page.getByText("This device does not get push notifications.").waitFor();
    await push.check();
    const refused = page.getByRole("alert").filter({ hasText: "This browser refused to subscribe" });
    await refused.waitFor();
    expect(await refused.textContent()).toContain("Email still works.");
    expect(await push.isChecked()).toBe(false);
    expect(
      (await api<{ push: { devices: number } }>("GET", "/api/v1/me/notifications", undefined, donorToken))
        .body.push.devices,
    ).toBe(0);
    await expectAccessible(page);
    await shot(page, "notifications-push-refused");
    await ctx.close();
  });
});

describe("the service worker", () => {
  it("is served from the root under the CSP, and shows a pushed alert as a notification carrying the page a tap opens", async () => {
    const { ctx, page } = await donorPage(DESKTOP);
    await ctx.grantPermissions(["notifications"], { origin: app.httpUrl });
    await page.goto(`${app.httpUrl}/settings/notifications`);
    await page.getByRole("heading", { name: "How I am told" }).waitFor();
    const scope = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      await navigator.serviceWorker.ready;
      return reg.scope;
    });
    expect(scope).toBe(`${app.httpUrl}/`);
    // The push service's part, played by Chromium's debugging protocol: deliver a message.
    const cdp = await ctx.newCDPSession(page);
    const registrationId = new Promise<string>((resolve) =>
      cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        (e: { registrations: { registrationId: string; scopeURL: string }[] }) => {
          const r = e.registrations.find((x) => x.scopeURL === `${app.httpUrl}/`);
          if (r) resolve(r.registrationId);
        },
      ),
    );
    await cdp.send("ServiceWorker.enable");
    const id = await registrationId;
    const shown = () =>
      page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).length);
    // On a loaded machine Chromium can drop a push delivered while the worker is still starting:
    // deliver again until one shows (same tag, so a repeat replaces it rather than adding one).
    for (let attempt = 0; attempt < 6 && (await shown()) === 0; attempt++) {
      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin: app.httpUrl,
        registrationId: id,
        data: JSON.stringify({
          title: "Freezer too warm: Nora's freezer",
          body: "Nora's freezer has been above −15 °C for 50 min.",
          url: "/alerts?state=open",
          tag: "coldtrail-a_1",
          alertId: "a_1",
        }),
      });
      await expect
        .poll(shown, { timeout: 5_000 })
        .toBe(1)
        .catch(() => undefined);
    }
    expect(await shown()).toBe(1);
    const [n] = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      return (await reg.getNotifications()).map((x) => ({
        title: x.title,
        body: x.body,
        tag: x.tag,
        data: x.data,
      }));
    });
    expect(n).toEqual({
      title: "Freezer too warm: Nora's freezer",
      body: "Nora's freezer has been above −15 °C for 50 min.",
      tag: "coldtrail-a_1",
      data: { url: "/alerts?state=open" },
    });
    expect(pageErrors).toEqual([]);
    await ctx.close();
  }, 60_000);
});
