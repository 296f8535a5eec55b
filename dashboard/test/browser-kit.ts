/// <reference lib="dom" />
/**
 * What every dashboard browser test needs: Debian's Chromium, pages at phone and desktop size,
 * screenshots into the folder the README names, no sideways scrolling, and axe-core's check.
 */
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1200, height: 900 };
export type Viewport = typeof PHONE;

/**
 * Screenshots of every page at both widths. `COLDTRAIL_UPDATE_SCREENSHOTS=1` writes the committed
 * ones in dashboard/test/screenshots/ (what the README shows); otherwise `COLDTRAIL_SHOTS_DIR`, or
 * a temporary folder, so that a test run leaves the work tree clean.
 */
export const SHOTS_DIR =
  process.env.COLDTRAIL_UPDATE_SCREENSHOTS === "1"
    ? join(import.meta.dirname, "screenshots")
    : (process.env.COLDTRAIL_SHOTS_DIR ?? mkdtempSync(join(tmpdir(), "coldtrail-shots-")));
mkdirSync(SHOTS_DIR, { recursive: true });

/** Without the background-networking flags Chromium keeps calling out into a closed network. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Page errors and CSP refusals seen by pages made with `openPage`; a test expects it empty. */
export const pageErrors: string[] = [];

export async function openPage(
  browser: Browser,
  viewport: Viewport,
  storageState?: string,
): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({
    viewport,
    deviceScaleFactor: 1,
    timezoneId: "Europe/Berlin",
    locale: "en-GB",
    ...(storageState && { storageState }),
  });
  // An audit at a faked moment (test/fake-now.mjs): the page's clock starts at this process's.
  if (process.env.COLDTRAIL_FAKE_NOW) await ctx.clock.install({ time: Date.now() });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text()))
      pageErrors.push(`${page.url()}: ${m.text()}`);
  });
  return { ctx, page };
}

/** `<name>-390.png` or `<name>-desktop.png`, the whole page. */
export function shot(page: Page, name: string): Promise<Buffer> {
  const width = page.viewportSize()?.width ?? 0;
  const suffix = width <= PHONE.width ? "390" : "desktop";
  return page.screenshot({ path: join(SHOTS_DIR, `${name}-${suffix}.png`), fullPage: true });
}

export async function noSidewaysScroll(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
    page.viewportSize()?.width ?? 0,
  );
}

/** Evaluated through the debugging protocol, so the page's Content-Security-Policy does not block it. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core (WCAG 2.x A and AA rules) on the page as it is now: no serious or critical violation.
 * The failure lists each rule with the elements it found, so the message says what to fix.
 */
export async function expectAccessible(page: Page): Promise<void> {
  const loaded = await page.evaluate(() => "axe" in window);
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (c: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target })),
    }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = bad.map(
    (v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  if (described.length > 0) throw new Error(`axe-core found on ${page.url()}:\n${described.join("\n")}`);
}
