/// <reference lib="dom" />
/**
 * Issue #11, a donor records a move, in a real Chromium at 390 px and on a desktop against a real
 * coldtrail server: she has two units and batches; she moves a batch by picking a unit (a time in
 * the future is refused in words, an earlier time is kept), then by scanning its label with the
 * camera (Chromium's fake camera plays the label's QR, drawn by Chromium from the server's
 * `qr.svg`, as an MJPEG file), then hands it to the milk bank courier, which ends her custody.
 * Every move is checked through the API. A refused camera shows the typed-code box instead.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inviteAndSignIn, startTestServer, type TestServer } from "../../server/test/harness.js";
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

const PASSWORD = "four words for the freezer";
const FREEZER = "Bea's kitchen freezer";
const COOL_BAG = "Bea's cool bag";

let s: TestServer;
let web: StaticProxy;
let browser: Browser;
let distDir: string;
let work: string;
let sessionCookie: string;
let donorToken: string;
const unit: Record<string, string> = {};
/** A: moved by picking, by scanning (its label is on the fake camera), then handed over. B: typed and desktop. */
const batch: Record<"a" | "b", { id: string; code: string }> = {
  a: { id: "", code: "" },
  b: { id: "", code: "" },
};

interface Custody {
  unitId: string | null;
  unitName: string | null;
  from: string;
  to: string | null;
  leftHow: string | null;
}
interface Detail {
  code: string;
  custody: Custody[];
  monitoringEndedAt: string | null;
}

/** The HTTP API as the donor (her personal token), for setting up and for checking what landed. */
async function asDonor<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${s.httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${donorToken}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const custodyOf = async (id: string) => {
  const r = await asDonor<Detail>("GET", `/api/v1/batches/${id}`);
  expect(r.status).toBe(200);
  return r.body;
};

/**
 * "14:05", or "23:56 on 30 Nov" when that was another day than `nowMs`'s, as the page words it (the
 * contexts run in Europe/Berlin, en-GB): a run just after midnight in Berlin moves to yesterday.
 */
const hhmm = (iso: string, nowMs: number) => {
  const inBerlin = (options: Intl.DateTimeFormatOptions, ms: number) =>
    new Intl.DateTimeFormat("en-GB", { ...options, timeZone: "Europe/Berlin" }).format(ms);
  const dayOf = (ms: number) => inBerlin({ year: "numeric", month: "2-digit", day: "2-digit" }, ms);
  const ms = Date.parse(iso);
  const time = inBerlin({ hour: "2-digit", minute: "2-digit" }, ms);
  return dayOf(ms) === dayOf(nowMs) ? time : `${time} on ${inBerlin({ day: "numeric", month: "short" }, ms)}`;
};

/**
 * The words the page may have written for `iso`, its clock having read a time between `beforeMs`
 * (taken before the click) and now: one wording, or two when Berlin's midnight fell in between.
 */
const clockWords = (iso: string, beforeMs: number) => [
  ...new Set([hhmm(iso, beforeMs), hhmm(iso, Date.now())]),
];

/** A value for `<input type=datetime-local>` in Europe/Berlin. */
const berlinInput = (ms: number) =>
  new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Europe/Berlin",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  })
    .format(ms)
    .replace(" ", "T");

/** The donor signed in (her session cookie), with the camera allowed or not. */
async function donorPage(viewport: Viewport, camera: boolean): Promise<{ ctx: BrowserContext; page: Page }> {
  const { ctx, page } = await openPage(browser, viewport);
  await ctx.addCookies([{ name: "coldtrail_session", value: sessionCookie, url: web.url }]);
  if (camera) await ctx.grantPermissions(["camera"], { origin: web.url });
  return { ctx, page };
}

const errorsOf = (_page: Page) => pageErrors.filter((e) => e.startsWith(web.url));

/**
 * Holds the jsQR chunk back until `release()`, so the camera's picture can be photographed
 * before the label is read (this Chromium has no BarcodeDetector, so the page loads jsQR).
 */
async function holdReader(page: Page): Promise<() => Promise<void>> {
  const held: Route[] = [];
  let open = false;
  await page.route("**/chunks/jsQR-*.js", (route) => (open ? route.continue() : void held.push(route)));
  return async () => {
    open = true;
    for (const r of held.splice(0)) await r.continue();
  };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "coldtrail-move-"));
  distDir = await buildDashboard({ outDir: join(work, "dist") });
  s = await startTestServer();
  const site = await s.api<{ id: string }>("POST", "/api/v1/sites", { name: "Bea's household" });
  expect(site.status).toBe(201);
  const bea = { email: "bea@example.org", name: "Bea Donor", role: "donor" as const, siteId: site.body.id };
  const signedIn = await inviteAndSignIn(s.httpUrl, bea, PASSWORD, "move test");
  sessionCookie = signedIn.cookie.replace(/^coldtrail_session=/, "");
  donorToken = signedIn.token as string;

  for (const [key, name, kind] of [
    ["freezer", FREEZER, "freezer"],
    ["bag", COOL_BAG, "cool-bag"],
  ] as const) {
    const u = await asDonor<{ id: string }>("POST", "/api/v1/units", { name, kind });
    expect(u.status).toBe(201);
    unit[key] = u.body.id;
  }
  const now = Date.now();
  for (const k of ["a", "b"] as const) {
    const b = await asDonor<{ id: string; code: string }>("POST", "/api/v1/batches", {
      unitId: unit.freezer,
      expressedAt: new Date(now - 3 * 3_600_000).toISOString(),
      at: new Date(now - 2 * 3_600_000).toISOString(),
      state: "frozen",
      volumeMl: k === "a" ? 120 : 90,
    });
    expect(b.status).toBe(201);
    batch[k] = b.body;
  }
  web = await serveDashboard(distDir, s.httpUrl);

  // The label's QR as a phone would film it: the server's SVG drawn big on white by Chromium,
  // photographed as a JPEG and repeated as the frames of an MJPEG file for the fake camera.
  const painter = await launchChromium();
  const paint = await painter.newPage({ viewport: { width: 640, height: 480 }, deviceScaleFactor: 1 });
  // On the dashboard's origin (its CSP allows images from itself), the page replaced by the QR.
  await paint.goto(`${web.url}/p`);
  await paint.evaluate(async (src) => {
    const img = new Image(360, 360);
    img.src = src;
    await img.decode();
    const box = document.createElement("div");
    Object.assign(box.style, {
      position: "fixed",
      inset: "0",
      background: "#fff",
      display: "grid",
      placeItems: "center",
    });
    box.append(img);
    document.body.replaceChildren(box);
  }, `/api/v1/passports/${batch.a.code}/qr.svg`);
  const jpeg = await paint.screenshot({ type: "jpeg", quality: 92 });
  await painter.close();
  const video = join(work, "label.mjpeg");
  writeFileSync(video, Buffer.concat(Array.from({ length: 10 }, () => jpeg)));
  // Without --use-fake-ui-for-media-stream: a context granted "camera" gets the fake camera, and
  // one that is not is refused for real (NotAllowedError), as a person saying no would.
  browser = await launchChromium([
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${video}`,
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await s?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a donor records a move on her phone (390 px)", () => {
  it("moves a batch by picking a unit: a future time is refused in words, an earlier one is kept", async () => {
    const { ctx, page } = await donorPage(PHONE, false);
    await page.goto(`${web.url}/units/${unit.freezer}`);
    await page
      .locator(`.batch-row[data-batch-id="${batch.a.id}"]`)
      .getByRole("link", { name: "Move", exact: true })
      .click();
    await page.waitForURL(`${web.url}/batches/${batch.a.id}/move`);
    await page.getByRole("heading", { name: "Record a move" }).waitFor();
    await page.locator(".move-now", { hasText: `Now in ${FREEZER}` }).waitFor();
    // Her other unit is offered, not the one the batch is in.
    expect(await page.getByRole("radio", { name: new RegExp(FREEZER) }).count()).toBe(0);
    await page.getByRole("radio", { name: new RegExp(COOL_BAG) }).check();
    await noSidewaysScroll(page);
    await expectAccessible(page);
    await shot(page, "move-pick");

    await page.getByLabel("When").fill(berlinInput(Date.now() + 3 * 3_600_000));
    await page.getByRole("button", { name: "Record the move" }).click();
    await page.getByText("is still to come").waitFor();
    expect((await custodyOf(batch.a.id)).custody).toHaveLength(1);

    const at = Date.now() - 30 * 60_000;
    await page.getByLabel("When").fill(berlinInput(at));
    const clicked = Date.now();
    await page.getByRole("button", { name: "Record the move" }).click();
    const done = page.locator(".move-done");
    await done.waitFor();

    const d = await custodyOf(batch.a.id);
    expect(d.custody.map((c) => [c.unitId, c.to === null])).toEqual([
      [unit.freezer, false],
      [unit.bag, true],
    ]);
    const moved = d.custody[1] as Custody;
    expect(Math.abs(Date.parse(moved.from) - at)).toBeLessThan(60_000);
    expect(clockWords(moved.from, clicked).map((w) => `✓ Moved to ${COOL_BAG} at ${w}.`)).toContain(
      await done.locator("h2").textContent(),
    );
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("move-done-words");
    await expectAccessible(page);
    await shot(page, "move-done");

    // The batch's page shows the move in its custody chain.
    await done.getByRole("link", { name: "See the batch's custody" }).click();
    const chain = page.locator("ol.custody > li");
    await chain.nth(1).waitFor();
    expect(await chain.nth(0).textContent()).toContain(FREEZER);
    expect(await chain.nth(1).textContent()).toContain(COOL_BAG);
    expect(await chain.nth(1).textContent()).toContain("→ now");
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();
  }, 90_000);

  it("scans the bag's label with the camera: the code is read, her batch found, the move lands", async () => {
    const { ctx, page } = await donorPage(PHONE, true);
    const release = await holdReader(page);
    await page.goto(`${web.url}/scan`);
    await page.getByText("Looking for a QR code").waitFor();
    const video = page.locator("video.scan-video");
    await page.waitForFunction(() => {
      const v = document.querySelector("video.scan-video") as HTMLVideoElement | null;
      return v !== null && v.videoWidth > 0 && !v.paused;
    });
    expect(await video.isVisible()).toBe(true);
    await noSidewaysScroll(page);
    await expectAccessible(page);
    await shot(page, "scan-camera");

    await release();
    await page.waitForURL(`${web.url}/batches/${batch.a.id}/move`, { timeout: 30_000 });
    await page.locator(".move-now", { hasText: `Now in ${COOL_BAG}` }).waitFor();
    // The camera is off once the label is read.
    expect(await page.evaluate(() => document.querySelector("video") === null)).toBe(true);
    await page.getByRole("radio", { name: new RegExp(FREEZER) }).check();
    const clicked = Date.now();
    await page.getByRole("button", { name: "Record the move" }).click();
    const done = page.locator(".move-done h2");
    await done.waitFor();

    const d = await custodyOf(batch.a.id);
    expect(d.custody.map((c) => c.unitId)).toEqual([unit.freezer, unit.bag, unit.freezer]);
    const last = d.custody[2] as Custody;
    expect(last.to).toBeNull();
    expect(clockWords(last.from, clicked).map((w) => `✓ Moved to ${FREEZER} at ${w}.`)).toContain(
      await done.textContent(),
    );
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();
  }, 90_000);

  it("hands the batch to the milk bank courier from its page: her custody ends", async () => {
    const { ctx, page } = await donorPage(PHONE, false);
    await page.goto(`${web.url}/batches/${batch.a.id}`);
    await page.getByRole("link", { name: "Record a move" }).click();
    await page.waitForURL(`${web.url}/batches/${batch.a.id}/move`);
    await page.getByRole("radio", { name: "Handed to the milk bank courier" }).check();
    const clicked = Date.now();
    await page.getByRole("button", { name: "Record the move" }).click();
    const done = page.locator(".move-done h2");
    await done.waitFor();

    const d = await custodyOf(batch.a.id);
    const last = d.custody.at(-1) as Custody;
    expect(last).toMatchObject({ unitId: unit.freezer, leftHow: "handed-over" });
    expect(last.to).not.toBeNull();
    expect(d.monitoringEndedAt).toBe(last.to);
    const listed = await asDonor<{ batches: { id: string; unitId: string | null }[] }>(
      "GET",
      `/api/v1/batches?code=${batch.a.code}`,
    );
    expect(listed.body.batches).toEqual([expect.objectContaining({ id: batch.a.id, unitId: null })]);
    expect(
      clockWords(last.to as string, clicked).map((w) => `✓ Handed to the milk bank courier at ${w}.`),
    ).toContain(await done.textContent());
    await page.getByText("Monitoring of this batch has ended").waitFor();
    await expectAccessible(page);
    await shot(page, "move-handed-over");

    await page.getByRole("link", { name: "See the batch's custody" }).click();
    await page.locator(".monitoring-ended", { hasText: "(handed over)" }).waitFor();
    await noSidewaysScroll(page);
    await shot(page, "batch-custody");
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();
  }, 90_000);

  it("with the camera refused, says so plainly and the typed code finds her batch", async () => {
    const { ctx, page } = await donorPage(PHONE, false);
    await page.goto(`${web.url}/scan`);
    const refused = page.locator('.camera-problem[data-problem="refused"]');
    await refused.waitFor();
    expect(await refused.textContent()).toContain("The camera was not allowed");
    expect(await page.locator("video.scan-video").isVisible()).toBe(false);
    await page.getByRole("button", { name: "Try the camera again" }).waitFor();
    await noSidewaysScroll(page);
    await expectAccessible(page);
    await shot(page, "scan-refused");

    // A code of nobody's batch: said in words.
    await page.getByLabel("Or type the code on the label").fill("zzzz-zzzz-zzzz-z");
    await page.getByRole("button", { name: "Find the bag" }).click();
    await page.getByText("None of your batches has the code ZZZZ-ZZZZ-ZZZZ-Z").waitFor();
    await expectAccessible(page);
    await shot(page, "scan-unknown-code");

    // Her code, typed loosely (lower case, dashes, O for 0 and l for 1).
    const messy = batch.b.code
      .toLowerCase()
      .replace(/0/g, "o")
      .replace(/1/g, "l")
      .replace(/(.{4})/g, "$1-");
    await page.getByLabel("Or type the code on the label").fill(messy);
    await page.getByRole("button", { name: "Find the bag" }).click();
    await page.waitForURL(`${web.url}/batches/${batch.b.id}/move`);
    await page.locator(".move-bag .code", { hasText: batch.b.code.slice(0, 4) }).waitFor();
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();
  }, 60_000);
  it("with no camera at all, says so and offers no retry (390 px and desktop)", async () => {
    // A Chromium with no fake camera: this machine has none, so getUserMedia finds no device.
    const bare = await launchChromium();
    try {
      for (const viewport of [PHONE, DESKTOP]) {
        const ctx = await bare.newContext({ viewport, locale: "en-GB", timezoneId: "Europe/Berlin" });
        await ctx.addCookies([{ name: "coldtrail_session", value: sessionCookie, url: web.url }]);
        await ctx.grantPermissions(["camera"], { origin: web.url });
        const page = await ctx.newPage();
        await page.goto(`${web.url}/scan`);
        const absent = page.locator('.camera-problem[data-problem="absent"]');
        await absent.waitFor();
        expect(await absent.textContent()).toContain("offers no camera");
        expect(await page.getByRole("button", { name: "Try the camera again" }).count()).toBe(0);
        await page.getByLabel("Or type the code on the label").waitFor();
        await noSidewaysScroll(page);
        await expectAccessible(page);
        await shot(page, "scan-no-camera");
        await ctx.close();
      }
    } finally {
      await bare.close();
    }
  }, 60_000);
});

describe("the same on a desktop", () => {
  it("picks a unit, scans with the camera, falls back to a typed code, and hands over", async () => {
    const { ctx, page } = await donorPage(DESKTOP, false);
    await page.goto(`${web.url}/units/${unit.freezer}`);
    await page
      .locator(`.batch-row[data-batch-id="${batch.b.id}"]`)
      .getByRole("link", { name: "Move", exact: true })
      .click();
    await page.getByRole("radio", { name: new RegExp(COOL_BAG) }).check();
    await expectAccessible(page);
    await shot(page, "move-pick");
    await page.getByRole("button", { name: "Record the move" }).click();
    await page.locator(".move-done").waitFor();
    expect((await custodyOf(batch.b.id)).custody.map((c) => c.unitId)).toEqual([unit.freezer, unit.bag]);
    await shot(page, "move-done");

    // Camera refused: the message and the typed code.
    await page.goto(`${web.url}/scan`);
    await page.locator('.camera-problem[data-problem="refused"]').waitFor();
    await expectAccessible(page);
    await shot(page, "scan-refused");
    await page.getByLabel("Or type the code on the label").fill("ZZZZZZZZZZZZZ");
    await page.getByRole("button", { name: "Find the bag" }).click();
    await page.getByText("None of your batches has the code ZZZZ-ZZZZ-ZZZZ-Z").waitFor();
    await shot(page, "scan-unknown-code");
    await page.getByLabel("Or type the code on the label").fill(batch.b.code);
    await page.getByRole("button", { name: "Find the bag" }).click();
    await page.waitForURL(`${web.url}/batches/${batch.b.id}/move`);
    await page.getByRole("radio", { name: "Handed to the milk bank courier" }).check();
    await page.getByRole("button", { name: "Record the move" }).click();
    await page.locator(".move-done h2", { hasText: "Handed to the milk bank courier at" }).waitFor();
    const d = await custodyOf(batch.b.id);
    expect(d.custody.at(-1)).toMatchObject({ unitId: unit.bag, leftHow: "handed-over" });
    expect(d.monitoringEndedAt).not.toBeNull();
    await shot(page, "move-handed-over");
    await page.goto(`${web.url}/batches/${batch.b.id}`);
    await page.locator(".monitoring-ended", { hasText: "(handed over)" }).waitFor();
    await shot(page, "batch-custody");
    expect(errorsOf(page)).toEqual([]);
    await ctx.close();

    // The camera at desktop width: it reads A's label, which has left her custody, so only
    // her units are offered (bringing it back), and no way to leave custody twice.
    const cam = await donorPage(DESKTOP, true);
    const release = await holdReader(cam.page);
    await cam.page.goto(`${web.url}/scan`);
    await cam.page.getByText("Looking for a QR code").waitFor();
    await expectAccessible(cam.page);
    await shot(cam.page, "scan-camera");
    await release();
    await cam.page.waitForURL(`${web.url}/batches/${batch.a.id}/move`, { timeout: 30_000 });
    await cam.page.locator(".move-now", { hasText: "Out of monitored custody since" }).waitFor();
    expect(await cam.page.getByRole("radio", { name: "Handed to the milk bank courier" }).count()).toBe(0);
    expect(await cam.page.getByRole("radio").count()).toBe(2);
    expect(errorsOf(cam.page)).toEqual([]);
    await cam.ctx.close();
  }, 120_000);
});
