/**
 * The server serves a prebuilt dashboard folder and never builds one: COLDTRAIL_DASHBOARD_DIR, or
 * the dashboard package's dist/. esbuild is mocked so that importing it at all is seen.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startColdtrail } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { dashboardDirFrom } from "../src/dashboard-dir.js";
import { createLogger } from "../src/logger.js";
import { serverProcess } from "./server-process.js";

const esbuild = vi.hoisted(() => ({ imported: false, builds: 0 }));
vi.mock("esbuild", () => {
  esbuild.imported = true;
  return {
    version: "mocked",
    build: () => {
      esbuild.builds++;
      throw new Error("esbuild.build called: the server must not build the dashboard");
    },
  };
});

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

/** A folder that looks like a dashboard build, with a marker no real build contains. */
function prebuilt(marker: string): string {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-prebuilt-"));
  tmp.push(dir);
  writeFileSync(
    join(dir, "index.html"),
    `<!doctype html><title>${marker}</title><script src="/app.js"></script>`,
  );
  writeFileSync(join(dir, "app.js"), `console.log(${JSON.stringify(marker)});`);
  return dir;
}

function emptyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-nodash-"));
  tmp.push(dir);
  return dir;
}

describe("dashboardDirFrom", () => {
  it("takes COLDTRAIL_DASHBOARD_DIR when it holds an index.html, whatever the default", () => {
    const dir = prebuilt("configured");
    expect(dashboardDirFrom({ COLDTRAIL_DASHBOARD_DIR: dir }, emptyDir())).toEqual({ ok: true, dir });
  });

  it("refuses a configured folder without index.html, naming the variable, the value and what to do", () => {
    const dir = emptyDir();
    const r = dashboardDirFrom({ COLDTRAIL_DASHBOARD_DIR: dir }, prebuilt("default"));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain(`COLDTRAIL_DASHBOARD_DIR is "${dir}"`);
      expect(r.reason).toContain(join(dir, "index.html"));
      expect(r.reason).toMatch(/npm run build -w @coldtrail\/dashboard/);
    }
  });

  it("falls back to the default folder, and serves the API only (with a warning) when it is not built", () => {
    const built = prebuilt("default");
    expect(dashboardDirFrom({}, built)).toEqual({ ok: true, dir: built });
    expect(dashboardDirFrom({ COLDTRAIL_DASHBOARD_DIR: "" }, built)).toEqual({ ok: true, dir: built });
    const missing = emptyDir();
    const r = dashboardDirFrom({}, missing);
    expect(r).toMatchObject({ ok: true, dir: undefined });
    expect(r.ok && r.warning).toMatch(/not built .*serving the API only/);
  });

  it("defaults to the dashboard package's dist/", () => {
    const r = dashboardDirFrom({ COLDTRAIL_DASHBOARD_DIR: join(ROOT, "no-such-dashboard") });
    expect(!r.ok && r.reason).toContain(join(ROOT, "dashboard", "dist"));
  });
});

describe("a server given a prebuilt folder", () => {
  it("serves its index.html at / and for deep links, its files as they are, without importing esbuild", async () => {
    const dir = prebuilt("prebuilt-marker-7f3a");
    const r = dashboardDirFrom({ COLDTRAIL_DASHBOARD_DIR: dir });
    if (!r.ok) throw new Error(r.reason);
    const data = emptyDir();
    const app = await startColdtrail(
      loadConfig({
        COLDTRAIL_HTTP_PORT: "0",
        COLDTRAIL_HTTP_HOST: "127.0.0.1",
        COLDTRAIL_MQTT_PORT: "0",
        COLDTRAIL_DATA_DIR: data,
        COLDTRAIL_LOG_LEVEL: "silent",
      }),
      { log: createLogger("silent"), dashboardDir: r.dir },
    );
    try {
      for (const path of ["/", "/units/u-123", "/p/ABCD-1234"]) {
        const res = await fetch(`${app.httpUrl}${path}`);
        expect(res.status, path).toBe(200);
        expect(await res.text(), path).toContain("<title>prebuilt-marker-7f3a</title>");
      }
      expect(await (await fetch(`${app.httpUrl}/app.js`)).text()).toBe(
        'console.log("prebuilt-marker-7f3a");',
      );
    } finally {
      await app.stop();
    }
    expect(esbuild).toEqual({ imported: false, builds: 0 });
  });
});

describe("server/src/main.ts as a process", () => {
  it("serves the folder named by COLDTRAIL_DASHBOARD_DIR", async () => {
    const dir = prebuilt("process-marker-91c2");
    const srv = await serverProcess({ COLDTRAIL_DATA_DIR: emptyDir(), COLDTRAIL_DASHBOARD_DIR: dir });
    try {
      const res = await fetch(`${srv.httpUrl}/units/u-1`);
      expect(await res.text()).toContain("<title>process-marker-91c2</title>");
    } finally {
      await srv.stop();
    }
  });

  it("stops at start with a message when COLDTRAIL_DASHBOARD_DIR holds no build", () => {
    const dir = emptyDir();
    const r = spawnSync(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
      env: {
        ...process.env,
        COLDTRAIL_HTTP_PORT: "0",
        COLDTRAIL_MQTT_PORT: "0",
        COLDTRAIL_DATA_DIR: emptyDir(),
        COLDTRAIL_DASHBOARD_DIR: dir,
        COLDTRAIL_LOG_LEVEL: "silent",
      },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`COLDTRAIL_DASHBOARD_DIR is "${dir}"`);
  });
});
