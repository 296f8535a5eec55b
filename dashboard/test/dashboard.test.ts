/// <reference lib="dom" />
/**
 * The dashboard in a real Chromium against a real coldtrail server: units and a probe registered
 * over HTTP, readings published over MQTT, a batch, then every page driven as people use it.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startColdtrail } from "../../server/src/app.js";
import { loadConfig } from "../../server/src/config.js";
import { createLogger } from "../../server/src/logger.js";
import {
  ADMIN_TOKEN,
  connectProbe,
  startTestServer,
  type TestServer,
  waitFor,
} from "../../server/test/harness.js";
import { buildDashboard } from "../build.js";
import { DESKTOP, launchChromium, openPage, PHONE, pageErrors, shot } from "./browser-kit.js";
import { type StaticProxy, serveDashboard } from "./static-proxy.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const UNIT_NAME = "Ada's kitchen freezer";
/**
 * The passport screenshot lands in a temp folder; COLDTRAIL_UPDATE_SCREENSHOTS=1 refreshes the
 * committed one in screenshots/ (documentation), so a test run leaves the work tree clean.
 */
const SCREENSHOT =
  process.env.COLDTRAIL_UPDATE_SCREENSHOTS === "1"
    ? join(import.meta.dirname, "screenshots", "passport.png")
    : join(mkdtempSync(join(tmpdir(), "coldtrail-shot-")), "passport.png");
let s: TestServer;
let web: StaticProxy;
let browser: Browser;
let probe: { id: string; secret: string; client: MqttClient };
let unitId: string;
let quietUnitId: string;
let emptyUnitId: string;
let batch: { id: string; code: string; passportUrl: string; verdict: string };
/** A batch that was fed an hour ago: it left monitored custody. */
let fedBatch: { id: string; code: string };
let distDir: string;
let buildMs: number;
async function newPage(
  opts: { token?: string; phone?: boolean } = {},
): Promise<{ ctx: BrowserContext; page: Page }> {
  const { ctx, page } = await openPage(browser, opts.phone ? PHONE : DESKTOP);
  if (opts.token) await ctx.addInitScript((t) => localStorage.setItem("coldtrail.adminToken", t), opts.token);
  return { ctx, page };
}

beforeAll(async () => {
  const t0 = performance.now();
  distDir = await buildDashboard({ outDir: mkdtempSync(join(tmpdir(), "coldtrail-dash-")) });
  buildMs = performance.now() - t0;

  s = await startTestServer();
  const now = Date.now();
  const u = await s.api<{ id: string }>("POST", "/api/v1/units", {
    name: UNIT_NAME,
    kind: "freezer",
    site: "household",
  });
  expect(u.status).toBe(201);
  unitId = u.body.id;
  const p = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {
    name: "door shelf probe",
  });
  expect(p.status).toBe(201);
  const att = await s.api("PUT", `/api/v1/probes/${p.body.id}/unit`, {
    unitId,
    at: new Date(now - 4 * HOUR).toISOString(),
  });
  expect(att.status).toBe(200);
  probe = { ...p.body, client: await connectProbe(s.mqttUrl, p.body.id, p.body.secret) };

  // Four hours at −19.5 °C, one reading a minute, the newest at −19 °C.
  const readings = [];
  for (let t = now - 4 * HOUR, seq = 0; t < now - MIN; t += MIN, seq++)
    readings.push({ ts: t, temp_c: -19.5, seq });
  readings.push({ ts: now - 30_000, temp_c: -19, seq: readings.length });
  for (let i = 0; i < readings.length; i += 500) {
    await probe.client.publishAsync(
      `coldtrail/v1/probes/${probe.id}/readings`,
      JSON.stringify({ readings: readings.slice(i, i + 500) }),
      { qos: 1 },
    );
  }
  // A unit whose probe went quiet 20 minutes ago (stale), and one with no probe at all.
  const quiet = await s.api<{ id: string }>("POST", "/api/v1/units", {
    name: "Garage chest freezer",
    kind: "freezer",
  });
  const qp = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
  await s.api("PUT", `/api/v1/probes/${qp.body.id}/unit`, {
    unitId: quiet.body.id,
    at: new Date(now - HOUR).toISOString(),
  });
  const qc = await connectProbe(s.mqttUrl, qp.body.id, qp.body.secret);
  await qc.publishAsync(
    `coldtrail/v1/probes/${qp.body.id}/readings`,
    JSON.stringify({ readings: [{ ts: now - 20 * MIN, temp_c: -18.5, seq: 1 }] }),
    { qos: 1 },
  );
  await qc.endAsync();
  quietUnitId = quiet.body.id;
  emptyUnitId = (
    await s.api<{ id: string }>("POST", "/api/v1/units", { name: "Spare fridge", kind: "fridge" })
  ).body.id;
  await s.parts.forwarder.drain();

  const b = await s.api<{ id: string; code: string; passportUrl: string }>("POST", "/api/v1/batches", {
    unitId,
    expressedAt: new Date(now - 5 * HOUR).toISOString(),
    at: new Date(now - 4 * HOUR).toISOString(),
    state: "frozen",
    volumeMl: 120,
  });
  expect(b.status).toBe(201);
  const v = await s.api<{ verdict: string }>("GET", `/api/v1/batches/${b.body.id}`);
  batch = { ...b.body, verdict: v.body.verdict };
  const fed = await s.api<{ id: string; code: string }>("POST", "/api/v1/batches", {
    unitId,
    expressedAt: new Date(now - 5 * HOUR).toISOString(),
    at: new Date(now - 3 * HOUR).toISOString(),
    state: "frozen",
  });
  const moved = await s.api("POST", `/api/v1/batches/${fed.body.id}/moves`, {
    unitId: null,
    at: new Date(now - HOUR).toISOString(),
    how: "fed",
  });
  expect(moved.status).toBe(200);
  fedBatch = fed.body;

  web = await serveDashboard(distDir, s.httpUrl);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await probe?.client.endAsync();
  await web?.close();
  await s?.cleanup();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

describe("dashboard in Chromium against a real server", () => {
  it("builds in under 2 s", () => {
    expect(buildMs).toBeLessThan(2000);
  });

  it("units page: asks for the token, refuses a wrong one, then shows the unit and its last temperature", async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${web.url}/`);
    const dialog = page.getByRole("dialog");
    await dialog.getByText("Automation token").click();
    await dialog.getByLabel("Admin token").fill("not-the-token");
    await dialog.getByRole("button", { name: "Use token" }).click();
    await page.getByText("That token is not valid").waitFor();
    expect(await dialog.isVisible()).toBe(true);

    await dialog.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await dialog.getByRole("button", { name: "Use token" }).click();
    const card = page.locator(`[data-unit-id="${unitId}"]`);
    await card.waitFor();
    expect(await card.getByRole("link", { name: UNIT_NAME }).isVisible()).toBe(true);
    expect(await card.locator(".temp").textContent()).toBe("−19.0 °C");
    expect(await card.locator(".age").textContent()).toMatch(/last reading (just now|\d+ s ago)/);
    expect(await card.locator(".age").getAttribute("class")).not.toContain("stale");
    expect(await card.textContent()).toContain("No open alerts");
    // Stale units stand out, in words as well as colour.
    const quiet = page.locator(`[data-unit-id="${quietUnitId}"]`);
    expect(await quiet.getAttribute("class")).toContain("is-stale");
    expect(await quiet.locator(".age").textContent()).toMatch(/^⚠ Stale: last reading 2\d min ago/);
    const empty = page.locator(`[data-unit-id="${emptyUnitId}"]`);
    expect(await empty.locator(".temp").textContent()).toBe("No reading yet");
    expect(await empty.locator(".age").textContent()).toBe("No readings · no probe attached");
    expect(await page.evaluate(() => localStorage.getItem("coldtrail.adminToken"))).toBe(ADMIN_TOKEN);
    expect(await dialog.count()).toBe(0);

    // A new reading shows up without a reload (the page refreshes every 5 s).
    await probe.client.publishAsync(
      `coldtrail/v1/probes/${probe.id}/readings`,
      JSON.stringify({ readings: [{ ts: Date.now(), temp_c: -21.5, seq: 100_000 }] }),
      { qos: 1 },
    );
    await s.parts.forwarder.drain();
    await page.waitForFunction(
      (id) => document.querySelector(`[data-unit-id="${id}"] .temp`)?.textContent === "−21.5 °C",
      unitId,
      { timeout: 12_000 },
    );
    await shot(page, "units");
    await ctx.close();
  });

  it("unit page: a chart of the last 24 h with the safe limit, and the batch with its verdict chip", async () => {
    const { ctx, page } = await newPage({ token: ADMIN_TOKEN });
    await page.goto(`${web.url}/units/${unitId}`);
    await page.getByRole("heading", { level: 1, name: UNIT_NAME }).waitFor();
    await page.locator(".chart canvas").first().waitFor();
    const row = page.locator(`[data-batch-id="${batch.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(batch.code);
    expect(await row.locator(".chip").textContent()).toMatch(/Safe to use|Check before use|Do not use/);
    await page.getByText("Dashed red line: safe limit of the Home freezer profile").waitFor();
    // Registered without intervalS: the interval is learned from its one-a-minute readings.
    expect(await page.locator(`.probe-interval[data-probe-id="${probe.id}"]`).textContent()).toBe(
      "Probe door shelf probe reports every 1 min (learned from its readings)",
    );
    expect(await page.locator(".u-legend").textContent()).toContain("Safe limit");
    await shot(page, "unit");
    // Following the batch link is in-app navigation, not a reload.
    await row.getByRole("link", { name: batch.code }).click();
    await page.waitForURL(`${web.url}/batches/${batch.id}`);
    await page.locator("#verdict-word").waitFor();
    await ctx.close();
  });

  it("passport: the verdict in words and a chart, no token asked and no donor identity", async () => {
    const { ctx, page } = await newPage({ phone: true });
    const asked: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/v1/passports/")) asked.push(r.url());
    });
    await page.goto(`${web.url}/p/${batch.code}`);
    const word = page.locator("#verdict-word");
    await word.waitFor();
    expect(await word.getAttribute("data-verdict")).toBe(batch.verdict);
    expect(await word.textContent()).toBe(
      { safe: "Safe to use", check: "Check before use", "do-not-use": "Do not use" }[batch.verdict],
    );
    await page.locator(".chart canvas").first().waitFor();
    expect(await page.locator(".chart [role=img]").getAttribute("aria-label")).toMatch(
      /points from .* lowest −(21\.5|19\.5) °C, highest −19\.0 °C/,
    );
    await page.getByText(/Monitored \d+(\.\d)?% of the time/).waitFor();
    await page.getByText("Where the milk was kept").waitFor();
    // The whole document, attributes included, not only the visible text.
    const text = await page.content();
    for (const secret of [UNIT_NAME, unitId, probe.id, "door shelf probe", batch.id])
      expect(text).not.toContain(secret);
    expect(await page.getByRole("dialog").count()).toBe(0);
    expect(await page.locator("#staff-nav").isHidden()).toBe(true);

    // The summary first, worded in the browser's zone (sent as tz), with no rule codes.
    expect(asked.some((u) => new URL(u).searchParams.get("tz") === "Europe/Berlin")).toBe(true);
    const api = await s.api<{ summary: { headline: string; useBy: string | null; lines: string[] } }>(
      "GET",
      `/api/v1/passports/${batch.code}?tz=Europe/Berlin`,
    );
    expect(await page.locator("#passport-headline").textContent()).toBe(api.body.summary.headline);
    expect(await page.locator(".summary-lines li").allTextContents()).toEqual(api.body.summary.lines);
    if (api.body.summary.useBy)
      expect(await page.locator(".use-by-date").textContent()).toMatch(/^\d{1,2} \w+ \d{4}$/);
    else expect(await page.locator(".use-by-date").count()).toBe(0);
    const visible = (await page.locator(".passport").textContent()) ?? "";
    expect(visible).toMatch(/Expressed on \d{1,2} \w+ \d{4}/);
    expect(visible).not.toMatch(/\((FR|FZ|TR|CB|RT|TH|MB)-\d\)|§|Mean kinetic|UTC/);
    expect(await page.locator(".reason-rule").count()).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    await ctx.close();
  });

  it("passport: an unknown code says so in plain words", async () => {
    const { ctx, page } = await newPage({ phone: true });
    await page.goto(`${web.url}/p/ZZZZZZZZZZZZZ`);
    await page.getByRole("heading", { name: "No batch with this code" }).waitFor();
    expect(await page.locator("#verdict-word").count()).toBe(0);
    await ctx.close();
  });

  it("batch page: a review is submitted and shown; a blank comment shows the server's refusal", async () => {
    const { ctx, page } = await newPage({ token: ADMIN_TOKEN });
    await page.goto(`${web.url}/batches/${batch.id}`);
    await page.locator("#verdict-word").waitFor();
    await page.getByText(batch.passportUrl).waitFor();

    await page.getByLabel("Decision").selectOption("hold");
    await page.getByLabel("Comment (why)").fill("   ");
    await page.getByRole("button", { name: "Save review" }).click();
    await page.getByText(/Not saved: .*comment must say why/).waitFor();

    await page.getByLabel("Comment (why)").fill("probe cable looked loose; checking the freezer");
    await page.getByRole("button", { name: "Save review" }).click();
    const review = page.locator(".reviews .review").first();
    await review.waitFor();
    expect(await review.textContent()).toContain("On hold: probe cable looked loose; checking the freezer");
    await page.getByText("Staff review: On hold.").waitFor();
    await shot(page, "batch");
    const api = await s.api<{ review: { decision: string; comment: string } }>(
      "GET",
      `/api/v1/batches/${batch.id}`,
    );
    expect(api.body.review).toMatchObject({
      decision: "hold",
      comment: "probe cable looked loose; checking the freezer",
    });
    await ctx.close();
  });

  it("batch page and passport: a comment staff show reaches the passport; monitoring ended says when and how", async () => {
    const { ctx, page } = await newPage({ token: ADMIN_TOKEN });
    const asked: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes(`/api/v1/batches/${fedBatch.id}`)) asked.push(r.url());
    });
    await page.goto(`${web.url}/batches/${fedBatch.id}`);
    await page.locator("#verdict-word").waitFor();
    expect(asked.some((u) => new URL(u).searchParams.get("tz") === "Europe/Berlin")).toBe(true);
    expect(await page.locator(".monitoring-ended").textContent()).toMatch(/^Monitoring ended on .+ \(fed\)/);
    expect(await page.locator(".left-how").textContent()).toContain("Then: fed");
    // Staff keep the rule codes.
    expect(await page.locator(".reason-rule").count()).toBeGreaterThan(0);

    await page.getByLabel("Decision").selectOption("release");
    await page.getByLabel("Comment (why)").fill("Checked by the milk bank: fine to use.");
    await page.getByLabel("Show this comment to the recipient").check();
    await page.getByRole("button", { name: "Save review" }).click();
    await page.getByText("shown on the passport").waitFor();
    await ctx.close();

    const phone = await newPage({ phone: true });
    await phone.page.goto(`${web.url}/p/${fedBatch.code}`);
    await phone.page.locator("#passport-headline").waitFor();
    expect(await phone.page.locator(".review-note").textContent()).toContain(
      "Checked by the milk bank: fine to use.",
    );
    expect(await phone.page.locator(".passport-summary .monitoring-ended").textContent()).toMatch(
      /^Monitoring ended on /,
    );
    expect(await phone.page.locator(".summary-lines").textContent()).toMatch(/Monitoring ended at .+ CES?T/);
    expect(await phone.page.content()).not.toContain("bootstrap admin");
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.ctx.close();
  });

  it("alerts page: lists the queue, or says plainly that the server has no alerts module", async () => {
    const probeRoute = await s.api("GET", "/api/v1/alerts?state=open");
    const { ctx, page } = await newPage({ token: ADMIN_TOKEN });
    await page.goto(`${web.url}/alerts`);
    await page.getByRole("heading", { name: "Alerts" }).waitFor();
    if (probeRoute.status === 404) await page.getByText("the alerts module is not installed").waitFor();
    else await page.locator(".alert-card, .notice").first().waitFor();
    expect(await page.locator(".tab[aria-current=page]").textContent()).toMatch(/^Open \(\d+\)$/);
    await ctx.close();
  });

  it("dead letters page: shows a refused message with its reason", async () => {
    await probe.client.publishAsync(`coldtrail/v1/probes/${probe.id}/readings`, '{"readings":"not a list"}', {
      qos: 1,
    });
    await waitFor(
      async () =>
        (await s.api<{ deadletters: unknown[] }>("GET", "/api/v1/deadletters")).body.deadletters.length > 0,
    );
    const { ctx, page } = await newPage({ token: ADMIN_TOKEN });
    await page.goto(`${web.url}/deadletters`);
    const row = page.locator("tbody tr").first();
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain(probe.id);
    expect(text).toContain("not a list");
    await ctx.close();
  });

  it("dead letters page on a phone: lists the readings refused alone with their reasons, no sideways scrolling", async () => {
    // Both readings are refused, so the unit's readings (and the other pages' checks) stay as they were.
    await probe.client.publishAsync(
      `coldtrail/v1/probes/${probe.id}/readings`,
      JSON.stringify({
        readings: [
          { ts: Date.now() - 90_000, temp_c: "-19.4" },
          { ts: `yesterday-${"x".repeat(120)}`, temp_c: -19 },
        ],
      }),
      { qos: 1 },
    );
    const letter = await waitFor(async () =>
      (
        await s.api<{ deadletters: { id: number; refusedReadings: unknown[] }[] }>(
          "GET",
          "/api/v1/deadletters",
        )
      ).body.deadletters.find((d) => d.refusedReadings.length === 2),
    );
    const { ctx, page } = await newPage({ token: ADMIN_TOKEN, phone: true });
    await page.goto(`${web.url}/deadletters`);
    const row = page.locator(`tr[data-deadletter-id="${letter.id}"]`);
    await row.waitFor();
    await shot(page, "deadletters-list");
    expect(await row.locator(".refused-readings summary").textContent()).toBe("2 readings refused");
    const items = await row.locator(".refused-readings li").allTextContents();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(
      /^#0 temp_not_number\s*ts \d+ \(.+\), temp_c "-19\.4"reading #0: temp_c must be a JSON number/,
    );
    expect(items[1]).toMatch(
      /^#1 ts_not_integer\s*ts "yesterday-x+", temp_c -19reading #1: ts must be a whole number/,
    );
    // Neither the page nor the table scrolls sideways at 390 px: letters stack, long values wrap.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(
      await page.locator(".table-wrap").evaluate((el) => el.scrollWidth - el.clientWidth),
    ).toBeLessThanOrEqual(0);
    await ctx.close();
  });

  it("an unknown path shows a not-found page, and no page threw", async () => {
    const { ctx, page } = await newPage({ token: ADMIN_TOKEN });
    await page.goto(`${web.url}/no/such/page`);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await ctx.close();
    expect(pageErrors).toEqual([]);
  });

  it("served by the server itself: deep links open the app and the passport renders", async () => {
    // The server's own static serving (server/src/api/dashboard.ts) of this build, on a fresh server.
    const dir = mkdtempSync(join(tmpdir(), "coldtrail-served-"));
    const config = loadConfig({
      COLDTRAIL_HTTP_PORT: "0",
      COLDTRAIL_HTTP_HOST: "127.0.0.1",
      COLDTRAIL_MQTT_PORT: "0",
      COLDTRAIL_DATA_DIR: dir,
      COLDTRAIL_ADMIN_TOKEN: ADMIN_TOKEN,
      COLDTRAIL_LOG_LEVEL: "silent",
    });
    const served = await startColdtrail(config, { log: createLogger("silent"), dashboardDir: distDir });
    try {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
      const post = async (path: string, body: unknown) =>
        (
          await fetch(`${served.httpUrl}${path}`, {
            method: "POST",
            headers: auth,
            body: JSON.stringify(body),
          })
        ).json() as Promise<{
          id: string;
          code: string;
        }>;
      const unit = await post("/api/v1/units", { name: "Served freezer", kind: "freezer" });
      const b = await post("/api/v1/batches", {
        unitId: unit.id,
        expressedAt: new Date(Date.now() - HOUR).toISOString(),
      });
      const { ctx, page } = await newPage({ phone: true });
      const doc = await page.goto(`${served.httpUrl}/p/${b.code}`);
      // The server's own Content Security Policy (issue #14) is on the page; any violation fails below.
      expect(doc?.headers()["content-security-policy"]).toContain("script-src 'self'");
      await page.locator("#verdict-word").waitFor();
      expect(await page.locator("#verdict-word").getAttribute("data-verdict")).toMatch(
        /^(safe|check|do-not-use)$/,
      );
      expect(await page.content()).not.toContain("Served freezer");
      await page.goto(`${served.httpUrl}/units/${unit.id}`);
      await page.getByRole("dialog").getByLabel("Email").waitFor();
      await ctx.close();
      expect(pageErrors).toEqual([]);
    } finally {
      await served.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
