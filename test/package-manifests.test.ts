/**
 * Dependency hygiene of the workspaces: what the code imports at run time is a dependency (so a
 * production install, `npm ci --omit=dev`, has it), every dependency is used at run time (test and
 * bench tools are devDependencies), and `exports` and `bin` name files that exist.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Manifest {
  name: string;
  exports?: Record<string, string>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) as Manifest;
const WORKSPACES = (manifest(".") as Manifest & { workspaces: string[] }).workspaces;

/** Source files that run in Node outside tests and benches. */
function runtimeFiles(workspace: string): string[] {
  const out: string[] = [];
  for (const sub of ["src", "bin"]) {
    const dir = join(ROOT, workspace, sub);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      const path = join(e.parentPath, e.name);
      if (!e.isFile() || !/\.(ts|js)$/.test(e.name)) continue;
      if (/\.(test|bench)\.ts$/.test(e.name) || e.name === "test-world.ts") continue;
      out.push(path);
    }
  }
  return out;
}

/** Package names imported (statically or with `import()`) by a file; relative and node: imports left out. */
function importedPackages(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const names = new Set<string>();
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"'./][^"']*)["']/g)) {
    const spec = m[1] as string;
    if (spec.startsWith("node:") || builtinModules.includes(spec)) continue;
    const parts = spec.split("/");
    names.add(spec.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] as string));
  }
  return [...names];
}

/** The dashboard's src/ runs in the browser (bundled at build time); in Node only dist-dir.ts runs. */
const BROWSER_BUNDLED = new Set(["dashboard"]);

describe.each(WORKSPACES)("%s/package.json", (workspace) => {
  const m = manifest(workspace);

  it("exports and bin name files that exist", () => {
    const targets = [...Object.values(m.exports ?? {}), ...Object.values(m.bin ?? {})];
    for (const t of targets) expect(existsSync(join(ROOT, workspace, t)), `${m.name}: ${t}`).toBe(true);
  });

  it.skipIf(BROWSER_BUNDLED.has(workspace))("everything imported at run time is a dependency", () => {
    const allowed = new Set([
      m.name,
      ...Object.keys(m.dependencies ?? {}),
      ...Object.keys(m.peerDependencies ?? {}),
    ]);
    const missing: string[] = [];
    for (const file of runtimeFiles(workspace)) {
      for (const pkg of importedPackages(file)) {
        if (!allowed.has(pkg)) missing.push(`${file.slice(ROOT.length)} imports ${pkg}`);
      }
    }
    expect(missing, "add these to dependencies (or move the importing file to a test)").toEqual([]);
  });

  it.skipIf(BROWSER_BUNDLED.has(workspace))(
    "every dependency is used at run time (tests and benches use devDependencies)",
    () => {
      const used = new Set(runtimeFiles(workspace).flatMap(importedPackages));
      const unused = Object.keys(m.dependencies ?? {}).filter((d) => !used.has(d));
      expect(unused, `${m.name}: dependencies nothing at run time imports`).toEqual([]);
    },
  );

  it("optional peers are optional (the gateway's BLE radio package is never installed for you)", () => {
    for (const peer of Object.keys(m.peerDependencies ?? {})) {
      expect(m.peerDependenciesMeta?.[peer]?.optional, `${m.name}: ${peer}`).toBe(true);
    }
  });
});

describe("dashboard/package.json", () => {
  it("has no run-time dependencies: its bundle is built ahead, and the server reads only dist-dir.ts", () => {
    const m = manifest("dashboard");
    expect(m.dependencies ?? {}).toEqual({});
    expect(m.exports?.["./dist-dir"]).toBe("./dist-dir.ts");
    expect(importedPackages(join(ROOT, "dashboard", "dist-dir.ts"))).toEqual([]);
  });

  it("the gateway loads @abandonware/noble, declared as an optional peer of firmware-bridge", () => {
    const m = manifest("firmware-bridge");
    expect(readFileSync(join(ROOT, "firmware-bridge/src/gateway/noble-source.ts"), "utf8")).toContain(
      '"@abandonware/noble"',
    );
    expect(m.peerDependencies?.["@abandonware/noble"]).toBeDefined();
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, unknown>;
    };
    expect(Object.keys(lock.packages).filter((k) => k.includes("@abandonware/noble"))).toEqual([]);
  });
});
