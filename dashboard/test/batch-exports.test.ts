/// <reference lib="dom" />
/**
 * Issue #11, staff: in a real Chromium against a real coldtrail server, at 390 px and on a
 * desktop, a milk-bank staff member finds a batch from its unit, sees the temperature chart across
 * its custody chain and the audit trail, and downloads the readings as CSV and the PDF report;
 * the files are read back (the CSV parsed, the PDF's text extracted with pdfjs-dist). On the phone
 * she is signed in (session cookie); on the desktop the page holds a personal token instead.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { Browser, Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectProbe,
  inviteAndSignIn,
  startTestServer,
  type TestServer,
} from "../../server/test/harness.js";
import { parseCsv, pdfPages } from "../../server/test/read-exports.js";
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
const STAFF_EMAIL = "nia@milkbank.example";
/** A name with a comma and quotes, and one a spreadsheet would run as a formula. */
const HOME_NAME = 'Ada\'s freezer, "top" drawer';
const BANK_NAME = "=Bank freezer 2";

let s: TestServer;
let web: StaticProxy;
let browser: Browser;
let distDir: string;
let staffToken: string;
let batch: { id: string; code: string };
let bankUnitId: string;
const clients: MqttClient[] = [];
/** What was published: [probe id, ts, temp] of each reading. */
const published: [string, number, number][] = [];

/** A request as the staff member, with her personal token. */
async function staff<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${s.httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${staffToken}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function unitWithReadings(
  name: string,
  site: "household" | "milk-bank",
  sinceMs: number,
  tempC: (i: number) => number,
): Promise<string> {
  const u = await staff<{ id: string }>("POST", "/api/v1/units", {
    name,
    kind: "freezer",
    site,
  });
  expect(u.status).toBe(201);
  const p = await staff<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
  expect(p.status).toBe(201);
  const attached = await staff("PUT", `/api/v1/probes/${p.body.id}/unit`, {
    unitId: u.body.id,
    at: new Date(sinceMs).toISOString(),
  });
  expect(attached.status).toBe(200);
  const client = await connectProbe(s.mqttUrl, p.body.id, p.body.secret);
  clients.push(client);
  const readings = [];
  for (let t = sinceMs, i = 0; t < Date.now() - MIN; t += 10 * MIN, i++) {
    readings.push({ ts: t, temp_c: tempC(i), seq: i });
    published.push([p.body.id, t, tempC(i)]);
  }
  await client.publishAsync(`coldtrail/v1/probes/${p.body.id}/readings`, JSON.stringify({ readings }), {
    qos: 1,
  });
  await s.parts.forwarder.drain();
  return u.body.id;
}

async function saved(d: Download): Promise<Buffer> {
  const path = await d.path();
  return readFileSync(path);
}

beforeAll(async () => {
  distDir = await buildDashboard({ outDir: mkdtempSync(join(tmpdir(), "coldtrail-dash-")) });
  s = await startTestServer();
  const site = await s.api<{ id: string }>("POST", "/api/v1/sites", { name: "Milk bank North" });
  // Her personal token, made in a session as the dashboard would (cookie + CSRF token).
  const nia = { email: STAFF_EMAIL, name: "Nia Staff", role: "staff" as const, siteId: site.body.id };
  staffToken = (await inviteAndSignIn(s.httpUrl, nia, PASSWORD, "exports test")).token as string;

  const now = Date.now();
  const home = await unitWithReadings(HOME_NAME, "household", now - 30 * HOUR, (i) => -18.5 + (i % 3) / 16);
  bankUnitId = await unitWithReadings(BANK_NAME, "milk-bank", now - 30 * HOUR, (i) => -20 - (i % 2) / 16);
  const created = await staff<{ id: string; code: string }>("POST", "/api/v1/batches", {
    unitId: home,
    expressedAt: new Date(now - 26 * HOUR).toISOString(),
    at: new Date(now - 25 * HOUR).toISOString(),
    state: "frozen",
    volumeMl: 120,
  });
  expect(created.status).toBe(201);
  batch = created.body;
  const moved = await staff("POST", `/api/v1/batches/${batch.id}/moves`, {
    unitId: bankUnitId,
    at: new Date(now - 6 * HOUR).toISOString(),
  });
  expect(moved.status).toBe(200);
  const reviewed = await staff("POST", `/api/v1/batches/${batch.id}/reviews`, {
    decision: "release",
    comment: "Chain complete, both freezers held",
  });
  expect(reviewed.status).toBe(201);

  web = await serveDashboard(distDir, s.httpUrl);
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of clients) await c.endAsync().catch(() => undefined);
  await browser?.close();
  await web?.close();
  await s?.cleanup();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

/** From the units page to the bank freezer, then the batch by its code. */
async function findBatch(page: Page): Promise<void> {
  await page.locator(`[data-unit-id="${bankUnitId}"] a`).first().click();
  await page.waitForURL(/\/units\/[^/]+$/);
  await page.getByRole("link", { name: batch.code }).click();
  await page.waitForURL(new RegExp(`/batches/${batch.id}$`));
  await page.getByRole("heading", { name: "Temperature" }).waitFor();
}

async function checkBatchPage(page: Page, viewport: Viewport): Promise<void> {
  // The chart across the custody chain: a canvas, and its text summary for screen readers.
  await page.locator(".batch-chart canvas").first().waitFor();
  const summary = (await page.locator(".batch-chart [role=img]").getAttribute("aria-label")) ?? "";
  expect(summary).toMatch(/^Temperature across the custody chain: \d+ points from /);
  expect(await page.locator(".batch-chart .u-legend").textContent()).toContain("Safe limit");
  // The audit trail, newest first.
  const audit = page.locator(".audit-trail .audit-entry");
  expect(await audit.evaluateAll((els) => els.map((e) => e.getAttribute("data-action")))).toEqual([
    "batch.reviewed",
    "batch.moved",
    "batch.created",
  ]);
  expect(await audit.first().textContent()).toContain("Chain complete, both freezers held");
  expect(await audit.first().textContent()).toContain("Nia Staff");
  expect(await page.locator(".reviews").textContent()).toContain("Nia Staff");
  // Anything wider than the screen, named, so a failure says what to fix.
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .slice(0, 5)
      .map(
        (e) =>
          `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px: ${(e.textContent ?? "").slice(0, 60)}`,
      ),
  );
  expect(wide).toEqual([]);
  await noSidewaysScroll(page);
  await shot(page, "batch-exports");
  await expectAccessible(page);
  expect(viewport.width).toBeGreaterThan(0);
}

async function checkDownloads(page: Page): Promise<void> {
  const [csv] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  expect(csv.suggestedFilename()).toBe(`batch-${batch.code}-readings.csv`);
  const [header, ...rows] = parseCsv((await saved(csv)).toString("utf8"));
  expect(header).toEqual(["ts", "temp_c", "unit", "probe"]);
  // Readings of each stay, in custody order, each with its unit's name (formula defused).
  const units = [...new Set(rows.map((r) => r[2]))];
  expect(units).toEqual([HOME_NAME, `'${BANK_NAME}`]);
  for (const [ts, temp, , probe] of rows) {
    const match = published.find(([p, t]) => p === probe && new Date(t).toISOString() === ts);
    expect(match?.[2]).toBe(Number(temp));
  }
  expect(rows.length).toBeGreaterThan(100);

  const [pdf] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download PDF report" }).click(),
  ]);
  expect(pdf.suggestedFilename()).toBe(`batch-${batch.code}-report.pdf`);
  const bytes = await saved(pdf);
  expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  const text = (await pdfPages(new Uint8Array(bytes))).join(" ");
  expect(text).toContain(`Batch ${batch.code}`);
  expect(text).toMatch(/Verdict: (SAFE|CHECK|DO NOT USE)/);
  expect(text).toContain(HOME_NAME);
  expect(text).toContain(BANK_NAME);
  expect(text).toContain("Chain complete, both freezers held");
  // The page asks for the browser's zone (Europe/Berlin in these tests).
  expect(text).toContain("Times are in Europe/Berlin.");
  expect(text).toContain("by Nia Staff.");
}

describe("staff: the batch page, its chart, audit trail and exports", () => {
  it("at 390 px, signed in with a password (the session cookie fetches the files)", async () => {
    const { ctx, page } = await openPage(browser, PHONE);
    await page.goto(web.url);
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Email").fill(STAFF_EMAIL);
    await dialog.getByLabel("Password").fill(PASSWORD);
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#who", { hasText: "Nia Staff · milk-bank staff" }).waitFor();
    await findBatch(page);
    await checkBatchPage(page, PHONE);
    await checkDownloads(page);
    await ctx.close();
  }, 90_000);

  it("on a desktop with a personal token (the page fetches the files with it)", async () => {
    const { ctx, page } = await openPage(browser, DESKTOP);
    await ctx.addInitScript((t) => localStorage.setItem("coldtrail.adminToken", t), staffToken);
    await page.goto(web.url);
    await findBatch(page);
    await checkBatchPage(page, DESKTOP);
    await checkDownloads(page);
    await ctx.close();
  }, 90_000);

  it("signed out, the batch page asks for a sign-in and the exports answer 401", async () => {
    const { ctx, page } = await openPage(browser, PHONE);
    await page.goto(`${web.url}/batches/${batch.id}`);
    await page.getByRole("dialog").getByLabel("Email").waitFor();
    expect(await page.getByText(batch.code).count()).toBe(0);
    const status = await page.evaluate(
      async (id) => (await fetch(`/api/v1/batches/${id}/report.pdf`)).status,
      batch.id,
    );
    expect(status).toBe(401);
    await ctx.close();
    expect(pageErrors).toEqual([]);
  });
});
