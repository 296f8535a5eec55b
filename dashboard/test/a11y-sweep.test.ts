/// <reference lib="dom" />
/**
 * Accessibility sweep in a real Chromium at 390 px and desktop, against a real coldtrail server:
 * the passport, the passport entry, sign-in, invite, not found, dead letters (with a refused
 * message and refused readings), alerts, labels and the unit page each pass axe-core (no serious
 * or critical violation), scroll only up and down, and are screenshotted at both widths.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  connectProbe,
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

let s: TestServer;
let web: StaticProxy;
let browser: Browser;
let distDir: string;
let unitId: string;
let batch: { id: string; code: string };

beforeAll(async () => {
  distDir = await buildDashboard({ outDir: mkdtempSync(join(tmpdir(), "coldtrail-dash-")) });
  s = await startTestServer();
  const now = Date.now();
  const unit = await s.api<{ id: string }>("POST", "/api/v1/units", {
    name: "Bank freezer 2",
    kind: "freezer",
  });
  unitId = unit.body.id;
  const probe = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
  await s.api("PUT", `/api/v1/probes/${probe.body.id}/unit`, {
    unitId,
    at: new Date(now - 3 * HOUR).toISOString(),
  });
  const b = await s.api<{ id: string; code: string }>("POST", "/api/v1/batches", {
    unitId,
    expressedAt: new Date(now - 4 * HOUR).toISOString(),
    at: new Date(now - 3 * HOUR).toISOString(),
    state: "frozen",
  });
  expect(b.status).toBe(201);
  batch = b.body;
  const c = await connectProbe(s.mqttUrl, probe.body.id, probe.body.secret);
  const readings = [];
  for (let t = now - 3 * HOUR, seq = 0; t < now - MIN; t += MIN, seq++)
    readings.push({ ts: t, temp_c: -19.5, seq });
  const topic = `coldtrail/v1/probes/${probe.body.id}/readings`;
  await c.publishAsync(topic, JSON.stringify({ readings }), { qos: 1 });
  // Dead letters: a message refused whole (a long payload with no spaces), and two readings
  // refused alone while the rest of their message was stored.
  await c.publishAsync(topic, JSON.stringify({ readings: "x".repeat(400) }), { qos: 1 });
  await c.publishAsync(
    topic,
    JSON.stringify({
      readings: [
        { ts: now - 30_000, temp_c: -19.4, seq: 9001 },
        { ts: now - 20_000, temp_c: "very cold", seq: 9002 },
        { ts: 99_999_999_999_999, temp_c: -19.4, seq: 9003 },
      ],
    }),
    { qos: 1 },
  );
  await c.endAsync();
  await waitFor(
    async () =>
      (await s.api<{ deadletters: unknown[] }>("GET", "/api/v1/deadletters")).body.deadletters.length >= 2,
  );
  web = await serveDashboard(distDir, s.httpUrl);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await s?.cleanup();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

interface Visit {
  name: string;
  path: () => string;
  signedIn: boolean;
  /** What shows once the page has drawn. */
  ready: (page: Page) => Promise<unknown>;
}

const VISITS: Visit[] = [
  {
    name: "passport",
    path: () => `/p/${batch.code}`,
    signedIn: false,
    ready: (p) => p.locator(".verdict-banner, .verdict, [data-verdict]").first().waitFor(),
  },
  {
    name: "passport-entry-a11y",
    path: () => "/p",
    signedIn: false,
    ready: (p) => p.getByRole("heading", { name: "Milk passport" }).waitFor(),
  },
  {
    name: "sign-in",
    path: () => "/deadletters",
    signedIn: false,
    ready: (p) => p.getByRole("dialog").getByLabel("Email").waitFor(),
  },
  {
    name: "invite",
    path: () => "/invite",
    signedIn: false,
    ready: (p) => p.getByRole("heading", { level: 1 }).waitFor(),
  },
  {
    name: "not-found",
    path: () => "/no/such/page",
    signedIn: true,
    ready: (p) => p.getByRole("heading", { name: "Page not found" }).waitFor(),
  },
  {
    name: "deadletters",
    path: () => "/deadletters",
    signedIn: true,
    ready: (p) => p.locator(".refused-readings").first().waitFor(),
  },
  {
    name: "alerts-resolved-tab",
    path: () => "/alerts?state=resolved",
    signedIn: true,
    ready: (p) => p.locator(".alert-card, .cards .notice").first().waitFor(),
  },
  {
    name: "label-a11y",
    path: () => `/batches/${batch.id}/label`,
    signedIn: true,
    ready: (p) =>
      p
        .locator(".label-sheet")
        .getByText(/^Expressed /)
        .first()
        .waitFor(),
  },
  {
    name: "labels-a11y",
    path: () => `/labels?ids=${batch.id}`,
    signedIn: true,
    ready: (p) =>
      p
        .locator(".label-sheet")
        .getByText(/^Expressed /)
        .first()
        .waitFor(),
  },
  {
    name: "unit",
    path: () => `/units/${unitId}`,
    signedIn: true,
    ready: (p) => p.getByRole("heading", { name: "Bank freezer 2" }).waitFor(),
  },
];

describe.each([
  ["390", PHONE],
  ["desktop", DESKTOP],
] as [string, Viewport][])("accessibility sweep at %s", (_width, viewport) => {
  it.each(VISITS.map((v) => [v.name, v] as const))("%s", async (name, visit) => {
    const { ctx, page } = await openPage(browser, viewport);
    if (visit.signedIn)
      await ctx.addInitScript((t) => localStorage.setItem("coldtrail.adminToken", t), ADMIN_TOKEN);
    page.setDefaultTimeout(15_000);
    await page.goto(`${web.url}${visit.path()}`);
    await visit.ready(page);
    await noSidewaysScroll(page);
    await expectAccessible(page);
    await shot(page, name);
    expect(pageErrors).toEqual([]);
    await ctx.close();
  });
});
