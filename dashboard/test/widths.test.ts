/// <reference lib="dom" />
/**
 * Worst-case widths at 390 px: names people type are as wide as the API allows them to be in one
 * unbroken word of wide capitals (W and M), and every page that shows them must still fit the
 * phone's screen. Other tests use ordinary names, and random data (codes, ids) once pushed a link
 * one pixel past the edge in CI; here the width does not depend on luck.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, connectProbe, startTestServer, type TestServer } from "../../server/test/harness.js";
import { buildDashboard } from "../build.js";
import { launchChromium, noSidewaysScroll, openPage, PHONE, pageErrors, shot } from "./browser-kit.js";
import { type StaticProxy, serveDashboard } from "./static-proxy.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
/** One word of wide letters, as long as a unit or probe name may be (units.ts: max 200). */
const WIDE_WORD = "WM".repeat(100);
/** Wide words with spaces, as a real long name looks. */
const WIDE_WORDS = "WWW MMMMMM WWWWWWWW MMMMMMMMMM WWWWWWWWWWWW";

let s: TestServer;
let web: StaticProxy;
let browser: Browser;
let distDir: string;
const unit: Record<"wide" | "words", string> = { wide: "", words: "" };
let batch: { id: string; code: string };
/** A batch whose label words are as long as they get: a two-digit day of "Sept", 10,000 ml. */
let longLabel: { id: string; code: string };

beforeAll(async () => {
  distDir = await buildDashboard({ outDir: mkdtempSync(join(tmpdir(), "coldtrail-dash-")) });
  s = await startTestServer();
  const now = Date.now();
  for (const [key, name] of [
    ["wide", WIDE_WORD],
    ["words", WIDE_WORDS],
  ] as const) {
    const u = await s.api<{ id: string }>("POST", "/api/v1/units", { name, kind: "freezer" });
    expect(u.status).toBe(201);
    unit[key] = u.body.id;
    const p = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", { name });
    expect(p.status).toBe(201);
    await s.api("PUT", `/api/v1/probes/${p.body.id}/unit`, {
      unitId: u.body.id,
      at: new Date(now - 3 * HOUR).toISOString(),
    });
    const c = await connectProbe(s.mqttUrl, p.body.id, p.body.secret);
    const readings = [];
    for (let t = now - 3 * HOUR, seq = 0; t < now - MIN; t += MIN, seq++)
      readings.push({ ts: t, temp_c: -19.5 + (seq % 3) * 0.05, seq });
    await c.publishAsync(`coldtrail/v1/probes/${p.body.id}/readings`, JSON.stringify({ readings }), {
      qos: 1,
    });
    await c.endAsync();
  }
  const b = await s.api<{ id: string; code: string }>("POST", "/api/v1/batches", {
    unitId: unit.wide,
    expressedAt: new Date(now - 4 * HOUR).toISOString(),
    at: new Date(now - 3 * HOUR).toISOString(),
    state: "frozen",
  });
  expect(b.status).toBe(201);
  batch = b.body;
  expect(
    (
      await s.api("POST", `/api/v1/batches/${batch.id}/moves`, {
        unitId: unit.words,
        at: new Date(now - HOUR).toISOString(),
      })
    ).status,
  ).toBe(200);
  const l = await s.api<{ id: string; code: string }>("POST", "/api/v1/batches", {
    unitId: unit.words,
    expressedAt: "2026-09-30T10:00:00.000Z",
    at: new Date(now - 2 * HOUR).toISOString(),
    state: "frozen",
    volumeMl: 10_000,
  });
  expect(l.status).toBe(201);
  longLabel = l.body;
  await s.parts.forwarder.drain();
  web = await serveDashboard(distDir, s.httpUrl);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await s?.cleanup();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

/**
 * Elements whose right edge is past the screen's, named so that a failure says what to fix.
 * Inside a box that scrolls or clips sideways (a table's wrapper, an ellipsis), only that box counts.
 */
function tooWide(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const clipped = (e: Element) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
        if (getComputedStyle(a).overflowX !== "visible") return true;
      return false;
    };
    return [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > width + 0.5 && !clipped(e))
      .slice(0, 5)
      .map(
        (e) =>
          `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} right ${Math.round(e.getBoundingClientRect().right)} px: ${(e.textContent ?? "").slice(0, 50)}`,
      );
  });
}

interface Visit {
  name: string;
  path: () => string;
  ready: (page: Page) => Promise<unknown>;
}

const VISITS: Visit[] = [
  {
    name: "units",
    path: () => "/",
    ready: (p) => p.locator(`[data-unit-id="${unit.wide}"]`).first().waitFor(),
  },
  {
    name: "unit",
    path: () => `/units/${unit.wide}`,
    ready: (p) => p.getByRole("heading", { name: WIDE_WORD }).waitFor(),
  },
  {
    name: "batches",
    path: () => "/batches",
    ready: (p) => p.locator(`[data-batch-id="${batch.id}"]`).waitFor(),
  },
  {
    name: "batch",
    path: () => `/batches/${batch.id}`,
    ready: (p) => p.locator("ol.custody > li").nth(1).waitFor(),
  },
  {
    name: "batch-move",
    path: () => `/batches/${batch.id}/move`,
    ready: (p) => p.getByRole("heading", { name: "Record a move" }).waitFor(),
  },
  {
    name: "passport",
    path: () => `/p/${batch.code}`,
    ready: (p) => p.locator(".verdict-banner, .verdict, [data-verdict]").first().waitFor(),
  },
];

describe("the bag label with its longest words", () => {
  it("keeps everything inside 50 x 30 mm", async () => {
    const { ctx, page } = await openPage(browser, PHONE);
    await ctx.addInitScript((t) => localStorage.setItem("coldtrail.adminToken", t), ADMIN_TOKEN);
    await page.goto(`${web.url}/batches/${longLabel.id}/label`);
    const label = page.locator(".bag-label");
    await label.getByText(/^Expressed /).waitFor();
    expect(await label.locator(".label-expressed").textContent()).toBe("Expressed 30 Sept 2026");
    expect(await label.locator(".label-volume").textContent()).toBe("10000 ml");
    expect(
      await label.evaluate((l) => [l.scrollWidth - l.clientWidth, l.scrollHeight - l.clientHeight]),
    ).toEqual([0, 0]);
    await shot(page, "wide-label");
    await ctx.close();
  });
});

describe("worst-case names at 390 px", () => {
  it.each(VISITS.map((v) => [v.name, v] as const))("%s fits the screen", async (name, visit) => {
    const { ctx, page } = await openPage(browser, PHONE);
    await ctx.addInitScript((t) => localStorage.setItem("coldtrail.adminToken", t), ADMIN_TOKEN);
    page.setDefaultTimeout(15_000);
    await page.goto(`${web.url}${visit.path()}`);
    await visit.ready(page);
    expect(await tooWide(page)).toEqual([]);
    await noSidewaysScroll(page);
    await shot(page, `wide-${name}`);
    expect(pageErrors).toEqual([]);
    await ctx.close();
  });
});
