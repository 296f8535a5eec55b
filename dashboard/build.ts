/**
 * Builds the dashboard into `dist/`: `src/main.ts` bundled by esbuild into `app.js`, plus
 * `index.html`, `styles.css` and uPlot's CSS as `uplot.css`. Asset URLs in index.html carry a
 * content hash (`?v=`) so browsers never mix an old bundle with a new page. Fast enough (well
 * under 2 s) for the server to build at start. Run alone: `npx tsx dashboard/build.ts`.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = join(HERE, "src");
/** Where `buildDashboard()` writes by default, and what the server serves. */
export const DIST_DIR = join(HERE, "dist");

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
    outfile: join(outDir, "app.js"),
    write: false,
    logLevel: "silent",
    legalComments: "eof",
  });
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

  await Promise.all([
    ...result.outputFiles.map((f) => writeAtomic(f.path, f.contents)),
    writeAtomic(join(outDir, "styles.css"), styles),
    writeAtomic(join(outDir, "uplot.css"), uplotCss),
  ]);
  // Last, so the page never points at assets that are not written yet.
  await writeAtomic(join(outDir, "index.html"), html.replaceAll("__VERSION__", version));
  return outDir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const t0 = performance.now();
  buildDashboard().then(
    (dir) =>
      process.stdout.write(`dashboard built into ${dir} in ${Math.round(performance.now() - t0)} ms\n`),
    (e: Error) => {
      process.stderr.write(`dashboard build failed: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
