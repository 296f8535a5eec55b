/// <reference lib="dom" />
/**
 * Issue #11, staff: the units as tiles (grouped by site and by donor, a too-warm freezer flagged
 * in words, open and acknowledged alerts counted apart) and the batch list (a messy code finds
 * its batch, the verdict filter narrows the list), in Debian's Chromium at 390 px and on a
 * desktop, against a real coldtrail server with its embedded MQTT broker.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "../../server/src/registry/caller.js";
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
const clients: MqttClient[] = [];
const units: Record<string, string> = {};
const batches: Record<string, { id: string; code: string }> = {};
const inviteTokens: Record<string, string> = {};

async function donor(siteId: string, name: string, email: string): Promise<Caller> {
  const r = await s.api<{ account: { id: string }; inviteToken: string }>("POST", "/api/v1/accounts", {
    email,
    name,
    role: "donor",
    siteId,
  });
  expect(r.status).toBe(201);
  inviteTokens[name] = r.body.inviteToken;
  return { accountId: r.body.account.id, role: "donor", siteId, name };
}

/** A unit of `owner` with a probe that has reported `tempC` each minute for the last `hours`. */
async function unitWithReadings(
  owner: Caller,
  name: string,
  kind: "freezer" | "fridge",
  tempC: number,
  hours: number,
) {
  const now = Date.now();
  const unit = await s.parts.units.create(owner, { name, kind }, now - (hours + 1) * HOUR);
  const { probe, secret } = await s.parts.probes.create(owner, { unitId: unit.id }, now - (hours + 1) * HOUR);
  const client = await connectProbe(s.mqttUrl, probe.id, secret);
  clients.push(client);
  const readings = [];
  // A little wobble, as a real freezer has (a flat line would read as a stuck probe).
  for (let t = now - hours * HOUR, seq = 0; t < now - MIN; t += MIN, seq++)
    readings.push({ ts: t, temp_c: tempC + (seq % 3) * 0.05, seq });
  readings.push({ ts: now - 10_000, temp_c: tempC, seq: readings.length });
  for (let i = 0; i < readings.length; i += 500)
    await client.publishAsync(
      `coldtrail/v1/probes/${probe.id}/readings`,
      JSON.stringify({ readings: readings.slice(i, i + 500) }),
      { qos: 1 },
    );
  units[name] = unit.id;
  return unit;
}

async function batchIn(owner: Caller, unitId: string, state: "frozen" | "fresh", name: string) {
  const now = Date.now();
  const b = await s.parts.batches.create(
    owner,
    { unitId, expressedAtMs: now - 3 * HOUR, atMs: now - 2 * HOUR, state },
    now,
  );
  batches[name] = { id: b.id, code: b.code };
}

/** " 7k-2m o1 …": lower case, dashes and spaces, and the look-alikes O for 0 and L or I for 1. */
function messy(code: string): string {
  const looks = code
    .toLowerCase()
    .replace(/0/g, "o")
    .replace(/1/g, (_c, i: number) => (i % 2 ? "l" : "I"));
  return ` ${looks.slice(0, 4)}-${looks.slice(4, 8)} ${looks.slice(8)} `;
}

beforeAll(async () => {
  distDir = await buildDashboard({ outDir: mkdtempSync(join(tmpdir(), "coldtrail-dash-")) });
  s = await startTestServer();
  const north = await s.api<{ id: string }>("POST", "/api/v1/sites", { name: "Northside milk bank" });
  const south = await s.api<{ id: string }>("POST", "/api/v1/sites", { name: "Southside milk bank" });
  expect([north.status, south.status]).toEqual([201, 201]);
  const anna = await donor(north.body.id, "Anna Donor", "anna@example.org");
  const bella = await donor(south.body.id, "Bella Donor", "bella@example.org");
  // Anna's freezer has run at −14.6 °C for two hours: above the home freezer's −18 °C (FZ-1).
  await unitWithReadings(anna, "Anna's chest freezer", "freezer", -14.6, 2);
  await unitWithReadings(bella, "Bella's fridge", "fridge", 3, 2);
  await unitWithReadings(bella, "Bella's garage freezer", "freezer", -19.5, 2);
  await s.parts.forwarder.drain();
  await batchIn(anna, units["Anna's chest freezer"] as string, "frozen", "anna");
  await batchIn(bella, units["Bella's fridge"] as string, "fresh", "bellaFresh");
  await batchIn(bella, units["Bella's garage freezer"] as string, "frozen", "bellaFrozen");
  web = await serveDashboard(distDir, s.httpUrl);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const c of clients) await c.endAsync().catch(() => undefined);
  await browser?.close();
  await web?.close();
  await s?.cleanup();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

async function adminPage(viewport: Viewport) {
  const opened = await openPage(browser, viewport);
  await opened.ctx.addInitScript((t) => localStorage.setItem("coldtrail.adminToken", t), ADMIN_TOKEN);
  return opened;
}

const errorsOf = (origin: string) => pageErrors.filter((e) => e.startsWith(origin));

describe("units as tiles", () => {
  it("the API has raised the too-warm freezer's excursion; acknowledging it moves it from open to acknowledged", async () => {
    const annaUnit = units["Anna's chest freezer"] as string;
    type Alerts = { alerts: { id: string; unitId: string | null; state: string }[] };
    let open: Alerts["alerts"] = [];
    await waitFor(
      async () => {
        s.tickAlerts();
        const r = await s.api<Alerts>("GET", "/api/v1/alerts?state=open");
        open = r.body.alerts.filter((a) => a.unitId === annaUnit);
        return open.length > 0;
      },
      30_000,
      250,
    );
    const before = await s.api<{
      units: { id: string; alertCounts: { open: number; acknowledged: number } }[];
    }>("GET", "/api/v1/units");
    const counts = before.body.units.find((u) => u.id === annaUnit)?.alertCounts;
    expect(counts?.open).toBe(open.length);
    const ack = await s.api("POST", `/api/v1/alerts/${open[0]?.id}/ack`, { comment: "courier on the way" });
    expect(ack.status).toBe(200);
    units.openAfterAck = String(open.length - 1);
  }, 60_000);

  for (const [name, viewport] of [
    ["390", PHONE],
    ["desktop", DESKTOP],
  ] as const) {
    it(`groups by site and by donor, flags the freezer at −14.6 °C and counts alerts apart (${name})`, async () => {
      const { ctx, page } = await adminPage(viewport);
      await page.goto(`${web.url}/`);
      const anna = page.locator(`[data-unit-id="${units["Anna's chest freezer"]}"]`);
      await anna.waitFor();
      // By site: a group for each milk bank, each unit in its owner's.
      const north = page.locator('section[data-group="Northside milk bank"]');
      const south = page.locator('section[data-group="Southside milk bank"]');
      expect(await north.locator(".unit-card h3").allTextContents()).toEqual(["Anna's chest freezer"]);
      expect((await south.locator(".unit-card h3").allTextContents()).sort()).toEqual([
        "Bella's fridge",
        "Bella's garage freezer",
      ]);
      // The freezer is too warm, said in words.
      expect(await anna.locator(".limit-check").textContent()).toContain(
        "Too warm: −14.6 °C is above the −18.0 °C limit",
      );
      expect(await anna.locator(".probe-state").textContent()).toBe("Probe online");
      const fridge = page.locator(`[data-unit-id="${units["Bella's fridge"]}"]`);
      expect(await fridge.locator(".limit-check").getAttribute("data-check")).toBe("ok");
      // Open and acknowledged, separate numbers.
      expect(await anna.locator(".count-acked").getAttribute("data-count")).toBe("1");
      expect(await anna.locator(".count-open").getAttribute("data-count")).toBe(units.openAfterAck);
      expect(await anna.locator(".count-acked").textContent()).toBe(" · 1 acknowledged");
      await noSidewaysScroll(page);
      await expectAccessible(page);
      await shot(page, "units-by-site");

      // By donor.
      const filters = page.getByRole("search", { name: "Filter units" });
      await filters.getByLabel("Donor").check();
      await page.locator('section[data-group="Anna Donor"]').waitFor();
      expect(await page.locator("section.unit-group h2").allTextContents()).toEqual([
        "Anna Donor · 1 unit",
        "Bella Donor · 2 units",
      ]);
      await shot(page, "units-by-donor");

      // Filters: only problems leaves the too-warm freezer; text and kind narrow by name and kind.
      await filters.getByLabel("Only problems").check();
      await waitFor(async () => (await page.locator(".unit-card").count()) === 1);
      expect(await page.locator(".unit-card h3").textContent()).toBe("Anna's chest freezer");
      await filters.getByLabel("Only problems").uncheck();
      await filters.getByLabel("Type").selectOption("fridge");
      await waitFor(async () => (await page.locator(".unit-card").count()) === 1);
      expect(await page.locator(".unit-card h3").textContent()).toBe("Bella's fridge");
      await filters.getByLabel("Type").selectOption("");
      await filters.getByLabel("Search units").fill("nobody has this name");
      await page.getByText("No units match the filter (3 in all).").waitFor();
      await expectAccessible(page);
      await shot(page, "units-filter-empty");
      expect(errorsOf(web.url)).toEqual([]);
      await ctx.close();
    }, 90_000);
  }

  it("says so in words when the units cannot be loaded (390)", async () => {
    const { ctx, page } = await adminPage(PHONE);
    await page.route("**/api/v1/units", (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "CT_ERR_UNAVAILABLE", message: "the database is busy" } }),
      }),
    );
    await page.goto(`${web.url}/`);
    await page.getByText("Could not load the units: the database is busy").waitFor();
    await expectAccessible(page);
    await shot(page, "units-error");
    await ctx.close();
  });
});

describe("the batch list", () => {
  for (const [name, viewport] of [
    ["390", PHONE],
    ["desktop", DESKTOP],
  ] as const) {
    it(`a messy code finds its batch, the verdict filter narrows the list, rows link to the batch (${name})`, async () => {
      const { ctx, page } = await adminPage(viewport);
      await page.goto(`${web.url}/`);
      await page.getByRole("link", { name: "Batches" }).click();
      await page.waitForURL(`${web.url}/batches`);
      await page.getByRole("heading", { level: 1, name: "Batches" }).waitFor();
      const rows = page.locator(".batch-list-row");
      await waitFor(async () => (await rows.count()) === 3, 20_000);
      const row = page.locator(`[data-batch-id="${batches.bellaFresh?.id}"]`);
      expect(await row.locator(".facts").textContent()).toMatch(/^Fresh · Bella's fridge · expressed /);
      expect(await row.locator(".chip").textContent()).toContain("Safe to use");
      await noSidewaysScroll(page);
      await expectAccessible(page);
      await shot(page, "batches");

      // A code typed loosely finds exactly its batch.
      const anna = batches.anna as { id: string; code: string };
      await page.getByLabel("Code").fill(messy(anna.code));
      await waitFor(async () => (await rows.count()) === 1, 15_000);
      expect(await rows.first().getAttribute("data-batch-id")).toBe(anna.id);
      await shot(page, "batches-code-search");

      // The verdict filter: safe leaves Bella's two batches.
      await page.getByLabel("Code").fill("");
      await page.getByLabel("Verdict").selectOption("safe");
      await waitFor(async () => (await rows.count()) === 2, 15_000);
      expect((await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute("data-batch-id")))).sort()).toEqual(
        [batches.bellaFresh?.id, batches.bellaFrozen?.id].sort(),
      );
      // The site filter (an admin sees both sites): Northside has no safe batch.
      await page.getByLabel("Site").selectOption({ label: "Northside milk bank" });
      await page.getByText("No batches match.").waitFor();
      await expectAccessible(page);
      await shot(page, "batches-empty");
      await page.getByLabel("Site").selectOption("");
      await waitFor(async () => (await rows.count()) === 2, 15_000);

      // A row opens the batch page.
      await page
        .getByRole("link", { name: (batches.bellaFresh?.code ?? "").match(/.{1,4}/g)?.join("-") })
        .click();
      await page.waitForURL(`${web.url}/batches/${batches.bellaFresh?.id}`);
      expect(errorsOf(web.url)).toEqual([]);
      await ctx.close();
    }, 90_000);
  }

  it("a code with a character no code has is refused in words, with no request (390)", async () => {
    const { ctx, page } = await adminPage(PHONE);
    await page.goto(`${web.url}/batches`);
    await page.locator(".batch-list-row").first().waitFor();
    let asked = 0;
    await page.route("**/api/v1/batches?*", (route) => {
      asked++;
      return route.continue();
    });
    await page.getByLabel("Code").fill("7K*2");
    await page.getByText('"*" is not one of them').waitFor();
    expect(asked).toBe(0);
    await ctx.close();
  });

  it("says so in words when the batches cannot be loaded (desktop)", async () => {
    const { ctx, page } = await adminPage(DESKTOP);
    await page.route("**/api/v1/batches*", (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "CT_ERR_UNAVAILABLE", message: "the database is busy" } }),
      }),
    );
    await page.goto(`${web.url}/batches`);
    await page.getByText("Could not load the batches: the database is busy").waitFor();
    await expectAccessible(page);
    await shot(page, "batches-error");
    await ctx.close();
  });

  it("a donor reads My batches and sees only her own (390)", async () => {
    const { ctx, page } = await openPage(browser, PHONE);
    await page.goto(`${web.url}/invite#${inviteTokens["Anna Donor"]}`);
    await page.getByLabel("New password").fill("four words for the freezer");
    await page.getByLabel("Repeat the password").fill("four words for the freezer");
    await page.getByRole("button", { name: "Set password and sign in" }).click();
    await page.locator("#who", { hasText: "Anna Donor · donor" }).waitFor();
    await page.getByRole("link", { name: "My batches" }).click();
    await page.getByRole("heading", { level: 1, name: "My batches" }).waitFor();
    await page.locator(".batch-list-row").first().waitFor();
    expect(
      await page
        .locator(".batch-list-row")
        .evaluateAll((rs) => rs.map((r) => r.getAttribute("data-batch-id"))),
    ).toEqual([batches.anna?.id]);
    // Her one site is no choice: no site filter.
    expect(await page.getByLabel("Site").isVisible()).toBe(false);
    // Her units page shows her own unit, with no grouping switch.
    await page.getByRole("link", { name: "Units", exact: true }).click();
    await page.locator(".unit-card").first().waitFor();
    expect(await page.locator(".unit-card h3").allTextContents()).toEqual(["Anna's chest freezer"]);
    expect(await page.getByRole("group", { name: "Group by" }).isVisible()).toBe(false);
    await expectAccessible(page);
    await shot(page, "units-donor");
    expect(errorsOf(web.url)).toEqual([]);
    await ctx.close();
  }, 60_000);

  it("a long list comes a page at a time with Show more (desktop)", async () => {
    const unitId = units["Bella's garage freezer"] as string;
    const owner = (
      await s.api<{ units: { id: string; ownerId: string }[] }>("GET", "/api/v1/units")
    ).body.units.find((u) => u.id === unitId)?.ownerId as string;
    for (let i = 0; i < 50; i++)
      await batchIn({ accountId: owner, role: "donor", name: "Bella Donor" }, unitId, "frozen", `more${i}`);
    const { ctx, page } = await adminPage(DESKTOP);
    await page.goto(`${web.url}/batches`);
    const rows = page.locator(".batch-list-row");
    await waitFor(async () => (await rows.count()) === 50, 30_000);
    await page.getByText("50 batches shown; more below.").waitFor();
    await page.getByRole("button", { name: "Show more" }).click();
    await waitFor(async () => (await rows.count()) === 53, 30_000);
    expect(await page.getByRole("button", { name: "Show more" }).isVisible()).toBe(false);
    const ids = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute("data-batch-id")));
    expect(new Set(ids).size).toBe(53);
    expect(errorsOf(web.url)).toEqual([]);
    await ctx.close();
  }, 90_000);
});
