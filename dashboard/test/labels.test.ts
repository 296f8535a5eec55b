/// <reference lib="dom" />
/**
 * Issue #11 in a real Chromium against a real coldtrail server, at 390 px and on a desktop: a
 * donor adds a freezer and an ESP32 probe, reads its login once, a real MQTT client (mqtt.js)
 * publishes with it and the reading shows on the unit page; she adds batches and prints labels
 * whose QR code (the server's SVG, rasterised in Chromium, read with jsQR) opens the passport; a
 * recipient types a messy code and reaches the passport, also after a network error.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsQR from "jsqr";
import type { MqttClient } from "mqtt";
import type { Browser, BrowserContext, Page } from "playwright-core";
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
  launchChromium,
  noSidewaysScroll,
  openPage,
  PHONE,
  pageErrors,
  type Viewport,
} from "./browser-kit.js";
import { type StaticProxy, serveDashboard } from "./static-proxy.js";

const PASSWORD = "four words for the freezer";
/** Screenshots of the new pages: committed ones with COLDTRAIL_UPDATE_SCREENSHOTS=1, else a temp folder. */
const SHOTS =
  process.env.COLDTRAIL_UPDATE_SCREENSHOTS === "1"
    ? join(import.meta.dirname, "screenshots")
    : mkdtempSync(join(tmpdir(), "coldtrail-label-shots-"));

let s: TestServer;
let web: StaticProxy;
let browser: Browser;
let distDir: string;
let inviteToken: string;
const clients: MqttClient[] = [];
const newPage = (viewport: Viewport, storageState?: string) => openPage(browser, viewport, storageState);

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** The SVG at `url`, drawn on a white canvas in the page and read back as RGBA pixels. */
async function rasterise(page: Page, url: string, size: number) {
  const data = await page.evaluate(
    async ({ url, size }) => {
      const img = new Image();
      img.src = url;
      await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = size;
      canvas.height = size;
      const g = canvas.getContext("2d") as CanvasRenderingContext2D;
      g.fillStyle = "#fff";
      g.fillRect(0, 0, size, size);
      g.imageSmoothingEnabled = false;
      g.drawImage(img, 0, 0, size, size);
      return Array.from(g.getImageData(0, 0, size, size).data);
    },
    { url, size },
  );
  return new Uint8ClampedArray(data);
}

/** " 7k-2m o1 …": lower case, dashes and spaces, and the look-alikes O for 0 and l/I for 1. */
function messy(code: string): string {
  const looks = code
    .toLowerCase()
    .replace(/0/g, "o")
    .replace(/1/g, (_c, i: number) => (i % 2 ? "l" : "I"));
  return ` ${looks.slice(0, 2)}-${looks.slice(2, 4)} ${looks.slice(4, 8)} - ${looks.slice(8)} `;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  distDir = await buildDashboard({ outDir: mkdtempSync(join(tmpdir(), "coldtrail-dash-")) });
  s = await startTestServer();
  const site = await s.api<{ id: string }>("POST", "/api/v1/sites", { name: "Bea's household" });
  expect(site.status).toBe(201);
  const invited = await s.api<{ inviteToken: string }>("POST", "/api/v1/accounts", {
    email: "bea@example.org",
    name: "Bea Donor",
    role: "donor",
    siteId: site.body.id,
  });
  expect(invited.status).toBe(201);
  inviteToken = invited.body.inviteToken;
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

/** Filled by the donor's test, used by the recipient's. */
let donorState: string;
let unitPath: string;
let codes: string[] = [];

describe("a donor sets up a freezer, a probe, batches and labels from her phone (390 px)", () => {
  it("adds a freezer and an ESP32 probe; its login works over MQTT and the reading shows", async () => {
    const { ctx, page } = await newPage(PHONE);
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: web.url });
    await page.goto(`${web.url}/invite#${inviteToken}`);
    await page.getByLabel("New password").fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    await page.getByRole("button", { name: "Set password and sign in" }).click();
    await page.locator("#who", { hasText: "Bea Donor · donor" }).waitFor();

    await page.getByText("No units yet.").waitFor();
    await shot(page, "units-add-390");
    await page.getByLabel("Name").fill("Bea's kitchen freezer");
    await page.getByLabel("Kind").selectOption("freezer");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.waitForURL(/\/units\/[^/]+$/);
    unitPath = new URL(page.url()).pathname;
    await page.locator("h1", { hasText: "Bea's kitchen freezer" }).waitFor();
    await page.getByText("No probe is attached, so nothing watches this unit yet.").waitFor();

    // ESP32 + DS18B20 is the default device.
    await page.getByLabel("Name (optional)").fill("door shelf");
    await page.getByRole("button", { name: "Add probe" }).click();
    const panel = page.locator(".credentials");
    await panel.waitFor();
    await panel.getByText("you will not see it again").waitFor();
    const url = (await panel.locator(".mqtt-url dd").textContent()) ?? "";
    const username = (await panel.locator(".mqtt-username dd").textContent()) ?? "";
    const topic = (await panel.locator(".mqtt-topic dd").textContent()) ?? "";
    const secret = (await panel.locator(".mqtt-secret dd").textContent()) ?? "";
    // The URL the server announces, as it is; the YAML carries the same host and port.
    expect(url).toBe(s.mqttUrl);
    const broker = new URL(url);
    const yaml = (await panel.locator(".esphome-yaml pre").textContent()) ?? "";
    expect(yaml).toContain(`probe_id: ${username}`);
    expect(yaml).toContain(`broker: ${broker.hostname}`);
    expect(yaml).toContain(`port: ${broker.port}`);
    expect(yaml).not.toContain(secret);
    expect(await panel.locator(".esphome-secrets pre").textContent()).toContain(
      `coldtrail_probe_secret: "${secret}"`,
    );
    await panel.getByRole("button", { name: "Copy secret", exact: true }).click();
    await panel.getByText("Copied.").first().waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await noSidewaysScroll(page);
    await shot(page, "unit-probe-credentials-390");

    // A real MQTT client with exactly that login publishes a reading; the unit page shows it.
    const client = await connectProbe(url, username, secret);
    clients.push(client);
    await client.publishAsync(
      topic,
      JSON.stringify({ readings: [{ ts: Date.now(), temp_c: -18.25, seq: 1 }] }),
      {
        qos: 1,
      },
    );
    await waitFor(
      async () => {
        await page.reload();
        return page
          .locator('.unit-head .temp[data-temp="-18.25"]')
          .waitFor({ timeout: 2000 })
          .then(() => true)
          .catch(() => false);
      },
      30_000,
      200,
    );
    expect(await page.locator(".unit-head .temp").textContent()).toContain("−18");
    await page.locator(`.probe-interval[data-probe-id="${username}"]`).waitFor();
    expect(await page.getByText("No probe is attached").count()).toBe(0);

    // A new secret: shown once, different, and it logs in.
    page.once("dialog", (d) => void d.accept());
    await page
      .locator(".probe-row", { has: page.locator(`.probe-interval[data-probe-id="${username}"]`) })
      .getByRole("button", { name: "New secret" })
      .click();
    const renewed = page.locator(`.credentials[data-probe-id="${username}"]`);
    await renewed.locator(".mqtt-secret dd").waitFor();
    const secret2 = (await renewed.locator(".mqtt-secret dd").textContent()) ?? "";
    expect(secret2).not.toBe(secret);
    clients.push(await connectProbe(url, username, secret2));

    // A BLE thermometer that cannot read freezer temperatures: the API's warning is shown.
    await page.getByLabel("BLE thermometer").check();
    await page.getByLabel("Model").selectOption("pvvx");
    await page.getByLabel(/Bluetooth address/).fill("A4:C1:38:12:34:56");
    await page.getByRole("button", { name: "Add probe" }).click();
    await page
      .locator(".credentials .range-warning", { hasText: "cannot read freezer temperatures" })
      .waitFor();
    await shot(page, "unit-ble-warning-390");

    // The simulator: the command line with the announced URL and this probe's login.
    await page.getByLabel("Simulator").check();
    await page.getByRole("button", { name: "Add probe" }).click();
    const sim = (await page.locator(".credentials .sim-command pre").textContent()) ?? "";
    expect(sim).toContain(`coldtrail-sim load --mqtt ${s.mqttUrl} --creds coldtrail-creds.json`);
    expect(errorsOf(page)).toEqual([]);

    donorState = join(mkdtempSync(join(tmpdir(), "coldtrail-state-")), "state.json");
    await ctx.storageState({ path: donorState });
    await ctx.close();
  }, 120_000);

  it("adds two batches with verdict chips; each label's QR decodes to its passport URL; the sheet prints", async () => {
    const { ctx, page } = await newPage(PHONE, donorState);
    await page.goto(`${web.url}${unitPath}`);
    await page.locator(".unit-head h1").waitFor();
    for (const [state, ml] of [
      ["frozen", "120"],
      ["fresh", "90"],
    ] as const) {
      await page.getByLabel("State now").selectOption(state);
      await page.getByLabel("Volume (ml, optional)").fill(ml);
      await page.getByLabel(/Notes/).fill(`bag ${ml}`);
      const before = await page.locator(".batch-row").count();
      await page.getByRole("button", { name: "Add batch" }).click();
      await waitFor(async () => (await page.locator(".batch-row").count()) === before + 1, 15_000);
    }
    const rows = page.locator(".batch-row");
    expect(await rows.count()).toBe(2);
    expect(await rows.locator(".chip").count()).toBe(2);
    codes = (await rows.locator(".code").allTextContents()).map((c) => c.trim());
    await noSidewaysScroll(page);
    await shot(page, "unit-batches-390");

    // One label: the QR from the server's SVG route reads as the batch's passport URL.
    await rows.first().getByRole("link", { name: "Label" }).click();
    await page.waitForURL(/\/batches\/[^/]+\/label$/);
    const label = page.locator(".bag-label");
    await label.waitFor();
    const code = (await label.getAttribute("data-code")) as string;
    const batchId = (await label.getAttribute("data-batch-id")) as string;
    const detail = await s.api<{ passportUrl: string }>("GET", `/api/v1/batches/${batchId}`);
    expect(detail.body.passportUrl).toBe(`${s.httpUrl}/p/${code}`);
    await waitFor(async () =>
      page.locator(".label-qr").evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0),
    );
    expect(await label.locator(".label-code").textContent()).toBe(code.match(/.{1,4}/g)?.join("-"));
    expect(await label.locator(".label-expressed").textContent()).toMatch(/^Expressed \d{1,2} \w+ \d{4}$/);
    const size = 400;
    const pixels = await rasterise(
      page,
      (await page.locator(".label-qr").getAttribute("src")) as string,
      size,
    );
    const read = jsQR(pixels, size, size);
    expect(read?.data).toBe(detail.body.passportUrl);
    // 50 x 30 mm on screen as on paper (96 CSS px to the inch).
    const box = await label.boundingBox();
    expect(Math.round(box?.width ?? 0)).toBe(Math.round((50 / 25.4) * 96));
    expect(Math.round(box?.height ?? 0)).toBe(Math.round((30 / 25.4) * 96));
    // Nothing spills over the label's edge.
    expect(
      await label.evaluate((l) => l.scrollHeight <= l.clientHeight && l.scrollWidth <= l.clientWidth),
    ).toBe(true);
    await shot(page, "label-390");

    // The sheet for both batches, printed to PDF: one A4 page with both labels, no header.
    await page.goto(`${web.url}${unitPath}`);
    await page.getByRole("link", { name: "Print labels for these batches" }).click();
    await page.waitForURL(/\/labels\?ids=/);
    await waitFor(async () => (await page.locator(".bag-label").count()) === 2);
    await waitFor(async () =>
      page
        .locator(".label-qr")
        .evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth > 0)),
    );
    expect(
      (
        await page.locator(".bag-label").evaluateAll((ls) => ls.map((l) => l.getAttribute("data-code")))
      ).sort(),
    ).toEqual([...codes].sort());
    await shot(page, "labels-sheet-390");
    const pdfPath = join(SHOTS, "labels-sheet.pdf");
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("header.top").isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "Print" }).isVisible()).toBe(false);
    await page.pdf({ path: pdfPath, format: "A4", printBackground: true, preferCSSPageSize: true });
    const pdf = readFileSync(pdfPath).toString("latin1");
    expect(pdf.startsWith("%PDF-")).toBe(true);
    expect(pdf.match(/\/Type\s*\/Page[^s]/g)?.length).toBe(1);
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();
  }, 120_000);

  it("shows the new pages on a desktop too", async () => {
    const { ctx, page } = await newPage(DESKTOP, donorState);
    await page.goto(`${web.url}${unitPath}`);
    await page.locator(".batch-row").first().waitFor();
    await shot(page, "unit-setup-desktop");
    await page.getByRole("link", { name: "Print labels for these batches" }).click();
    await waitFor(async () => (await page.locator(".bag-label").count()) === 2);
    await shot(page, "labels-sheet-desktop");
    await page.locator(".bag-label").first().waitFor();
    const oneId = (await page.locator(".bag-label").first().getAttribute("data-batch-id")) as string;
    await page.goto(`${web.url}/batches/${oneId}/label`);
    await page.locator(".bag-label .label-qr").waitFor();
    await shot(page, "label-desktop");
    await page.goto(`${web.url}/`);
    await page.locator(".unit-form").waitFor();
    await shot(page, "units-add-desktop");
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();
  }, 60_000);
});

describe("a sheet of labels on A4", () => {
  it("prints 24 labels to one page and 25 to two", async () => {
    const unitId = unitPath.split("/").at(-1) as string;
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const b = await s.api<{ id: string }>("POST", "/api/v1/batches", {
        unitId,
        expressedAt: new Date(Date.now() - 3_600_000).toISOString(),
        state: "frozen",
      });
      expect(b.status).toBe(201);
      ids.push(b.body.id);
    }
    const { ctx, page } = await newPage(DESKTOP);
    await ctx.addInitScript((t) => localStorage.setItem("coldtrail.adminToken", t), ADMIN_TOKEN);
    for (const [n, pages] of [
      [24, 1],
      [25, 2],
    ] as const) {
      await page.goto(`${web.url}/labels?ids=${ids.slice(0, n).join(",")}`);
      await waitFor(async () => (await page.locator(".bag-label").count()) === n, 15_000);
      await waitFor(async () =>
        page
          .locator(".label-qr")
          .evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth > 0)),
      );
      const pdf = (await page.pdf({ format: "A4", preferCSSPageSize: true })).toString("latin1");
      expect(pdf.match(/\/Type\s*\/Page[^s]/g)?.length).toBe(pages);
    }
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();
  }, 90_000);
});

describe("a recipient types the code from the label", () => {
  for (const [name, viewport] of [
    ["390 px", PHONE],
    ["desktop", DESKTOP],
  ] as const) {
    it(`reaches the passport from a messy code on /p (${name})`, async () => {
      const code = codes[0] as string;
      expect(code).toMatch(/^[0-9A-Z]{13}$/);
      const { ctx, page } = await newPage(viewport);
      await page.goto(`${web.url}/p`);
      await page.getByLabel("Code on the label").waitFor();
      await shot(page, `passport-entry-${name === "desktop" ? "desktop" : "390"}`);
      // Too short: said in words, no request.
      await page.getByLabel("Code on the label").fill("7k-2m");
      await page.getByRole("button", { name: "Show the passport" }).click();
      await page.getByText("a code has at least 8").waitFor();
      await page.getByLabel("Code on the label").fill(messy(code));
      await page.getByRole("button", { name: "Show the passport" }).click();
      await page.waitForURL(`${web.url}/p/${code}`);
      await page.locator(".passport-headline").waitFor();
      expect(await page.locator("#staff-nav").isVisible()).toBe(false);
      if (viewport === PHONE) await noSidewaysScroll(page);
      expect(errorsOf(page)).toEqual([]);
      await ctx.close();
    });
  }

  it("retypes a code under one that found nothing (390 px)", async () => {
    const code = codes[1] as string;
    const { ctx, page } = await newPage(PHONE);
    await page.goto(`${web.url}/p/ZZZZZZZZZZZZZ`);
    await page.getByRole("heading", { name: "No batch with this code" }).waitFor();
    await page.getByLabel("Code on the label").fill(messy(code));
    await page.getByRole("button", { name: "Show the passport" }).click();
    await page.waitForURL(`${web.url}/p/${code}`);
    await page.locator(".passport-headline").waitFor();
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();
  });

  it("on a network error says so in words, retries on its own with back-off, and has a retry button", async () => {
    const code = codes[0] as string;
    const { ctx, page } = await newPage(PHONE);
    await page.clock.install();
    let offline = true;
    let refused = 0;
    await page.route("**/api/v1/passports/**", (route) => {
      if (!offline) return route.continue();
      refused++;
      return route.abort("internetdisconnected");
    });
    await page.goto(`${web.url}/p/${code}`);
    await page.getByText("This phone cannot reach coldtrail just now.").waitFor();
    await page.getByText("Trying again in 2 s.").waitFor();
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).not.toMatch(/cannot reach the server \(|Failed to fetch|CT_|NETWORK/);
    await shot(page, "passport-offline-390");
    // The first automatic retry after 2 s fails too; the next waits 4 s.
    await page.clock.runFor(2000);
    await waitFor(async () => refused === 2);
    await page.getByText("Trying again in 4 s.").waitFor();
    // Back online: the button retries at once.
    offline = false;
    await page.getByRole("button", { name: "Try again now" }).click();
    await page.locator(".passport-headline").waitFor();
    expect(refused).toBe(2);
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();
  });
});

function errorsOf(page: Page): string[] {
  return pageErrors.filter((e) => e.startsWith(page.url().split("/").slice(0, 3).join("/")));
}

export type { BrowserContext };
