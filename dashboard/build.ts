/**
 * Builds the dashboard into `dist/`: `src/main.ts` bundled by esbuild into `app.js`, `src/sw.ts`
 * into the service worker `sw.js`, plus
 * `index.html`, `styles.css` and uPlot's CSS as `uplot.css`. Asset URLs in index.html carry a
 * content hash (`?v=`) so browsers never mix an old bundle with a new page. The server only serves
 * a built folder; `npm start` and `npm run server` run `tsx dashboard/build.ts --if-stale` first,
 * which rebuilds only when the sources changed since the last build (a hash of them is kept in
 * `build-inputs.sha256`). The Docker image builds it in a build stage.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, version as esbuildVersion } from "esbuild";
import { DIST_DIR } from "./dist-dir.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = join(HERE, "src");
/** Beside the built files: the hash of everything the build read, to tell a stale build. */
const INPUTS_FILE = "build-inputs.sha256";

export interface BuildOptions {
  /** Default `DIST_DIR`. */
  outDir?: string;
  /** Default true; false keeps the bundle readable while working on it. */
  minify?: boolean;
}

/** Writes through a temporary name and a rename, so a server serving `outDir` never sends half a file. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function buildDashboard(opts: BuildOptions = {}): Promise<string> {
  const outDir = resolve(opts.outDir ?? DIST_DIR);
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(SRC, "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    // Browsers from 2022 on: what donors' phones and staff desktops run.
    target: ["es2022", "chrome100", "safari15", "firefox100"],
    minify: opts.minify ?? true,
    sourcemap: "linked",
    // Code that few pages need (jsQR, for scanning on browsers without BarcodeDetector) is a
    // chunk of its own, loaded by a dynamic import(); its content hash is in its name.
    splitting: true,
    outdir: outDir,
    entryNames: "app",
    chunkNames: "chunks/[name]-[hash]",
    write: false,
    logLevel: "silent",
    legalComments: "eof",
  });
  // The service worker (sw.ts): its own classic script at the root, so its scope is the whole app.
  const worker = await build({
    entryPoints: [join(SRC, "sw.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2022", "chrome100", "safari15", "firefox100"],
    minify: opts.minify ?? true,
    outfile: join(outDir, "sw.js"),
    write: false,
    logLevel: "silent",
  });
  const inputs = await inputsHash();
  const require = createRequire(import.meta.url);
  const [html, styles, uplotCss] = await Promise.all([
    readFile(join(SRC, "index.html"), "utf8"),
    readFile(join(SRC, "styles.css")),
    readFile(require.resolve("uplot/dist/uPlot.min.css")),
  ]);
  const hash = createHash("sha256");
  for (const f of result.outputFiles) hash.update(f.contents);
  hash.update(styles).update(uplotCss);
  const version = hash.digest("hex").slice(0, 12);

  await mkdir(join(outDir, "chunks"), { recursive: true });
  await Promise.all([
    ...[...result.outputFiles, ...worker.outputFiles].map((f) => writeAtomic(f.path, f.contents)),
    writeAtomic(join(outDir, "styles.css"), styles),
    writeAtomic(join(outDir, "uplot.css"), uplotCss),
  ]);
  // Last, so the page never points at assets that are not written yet.
  await writeAtomic(join(outDir, "index.html"), html.replaceAll("__VERSION__", version));
  // After index.html: a build cut short leaves the old hash, so the next `--if-stale` rebuilds.
  await writeAtomic(join(outDir, INPUTS_FILE), `${inputs}\n`);
  return outDir;
}

/**
 * sha256 over what a build reads: the sources (not their tests), this file, uPlot's CSS and the
 * versions of uPlot and esbuild. Reading about 30 small files takes a few milliseconds.
 */
export async function inputsHash(): Promise<string> {
  const require = createRequire(import.meta.url);
  const files = (await readdir(SRC, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  files.push(fileURLToPath(import.meta.url), require.resolve("uplot/dist/uPlot.min.css"));
  const hash = createHash("sha256").update(`esbuild ${esbuildVersion}\n`);
  const uplot = JSON.parse(await readFile(require.resolve("uplot/package.json"), "utf8")) as {
    version: string;
  };
  hash.update(`uplot ${uplot.version}\n`);
  for (const f of files) hash.update(`${f.slice(HERE.length)}\n`).update(await readFile(f));
  return hash.digest("hex");
}

export type BuildIfStale = { built: true; dir: string } | { built: false; dir: string; reason: string };

/** Builds into `outDir` unless its `index.html` exists and the sources are the ones it was built from. */
export async function buildDashboardIfStale(opts: BuildOptions = {}): Promise<BuildIfStale> {
  const outDir = resolve(opts.outDir ?? DIST_DIR);
  const [want, have, page] = await Promise.all([
    inputsHash(),
    readFile(join(outDir, INPUTS_FILE), "utf8").catch(() => ""),
    readFile(join(outDir, "index.html")).then(
      () => true,
      () => false,
    ),
  ]);
  if (page && have.trim() === want) return { built: false, dir: outDir, reason: "up to date" };
  return { built: true, dir: await buildDashboard(opts) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const ifStale = process.argv.includes("--if-stale");
  const served = process.env.COLDTRAIL_DASHBOARD_DIR;
  if (ifStale && served) {
    process.stdout.write(`dashboard: COLDTRAIL_DASHBOARD_DIR=${served} is served as built; not building\n`);
  } else {
    (ifStale ? buildDashboardIfStale() : buildDashboard().then((dir) => ({ built: true, dir }))).then(
      (r) =>
        process.stdout.write(
          r.built ? `dashboard built into ${r.dir} in ${ms()} ms\n` : `dashboard in ${r.dir} is up to date\n`,
        ),
      (e: Error) => {
        process.stderr.write(`dashboard build failed: ${e.message}\n`);
        process.exitCode = 1;
      },
    );
  }
}
