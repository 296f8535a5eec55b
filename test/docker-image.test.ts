/**
 * deploy/Dockerfile cannot be built here (no Docker engine), so this reads it: the dashboard is
 * built in a build stage and copied to the folder the server is told to serve, the image that runs
 * has production dependencies only and runs as `node`, and docker-compose.yml builds this file.
 */
import { readFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DIST_DIR } from "../dashboard/dist-dir.js";
import { dashboardDirFrom } from "../server/src/dashboard-dir.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string | undefined;
  from: string;
  steps: Instruction[];
}

/** Dockerfile → stages of instructions (comments dropped, `\` continuations joined). */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  for (const line of lines) {
    const [op = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (op.toUpperCase() === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!m) throw new Error(`FROM line not understood: ${line}`);
      stages.push({ from: m[1] as string, name: m[2], steps: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`instruction before FROM: ${line}`);
      stage.steps.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of stage.steps.filter((x) => x.op === "ENV")) {
    for (const m of s.args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1] as string] = m[2] as string;
  }
  return env;
}

function workdirOf(stage: Stage): string {
  const w = stage.steps.filter((s) => s.op === "WORKDIR").at(-1);
  if (!w) throw new Error(`stage ${stage.name ?? stage.from} has no WORKDIR`);
  return w.args;
}

/** `COPY --from=x src dest` of a stage. */
function copiesFrom(stage: Stage): Array<{ from: string; src: string; dest: string }> {
  return stage.steps
    .filter((s) => s.op === "COPY" && s.args.startsWith("--from="))
    .map((s) => {
      const [flag = "", src = "", dest = ""] = s.args.split(/\s+/);
      return { from: flag.slice("--from=".length), src, dest };
    });
}

const strip = (p: string) => p.replace(/\/+$/, "");

const stages = parseDockerfile(read("deploy/Dockerfile"));
const final = stages.at(-1) as Stage;
const byName = (name: string) => stages.find((s) => s.name === name);

describe("deploy/Dockerfile", () => {
  it("has build stages before the image that runs", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(final.name, "the final stage is the image, not a build stage").toBeUndefined();
  });

  it("builds the dashboard in a build stage, after copying its sources, not in the final image", () => {
    const builders = stages.filter((s) =>
      s.steps.some((x) => x.op === "RUN" && x.args.includes("dashboard/build.ts")),
    );
    expect(builders).toHaveLength(1);
    const builder = builders[0] as Stage;
    expect(builder).not.toBe(final);
    const copyAt = builder.steps.findIndex((x) => x.op === "COPY" && /^dashboard\/?\s/.test(x.args));
    const runAt = builder.steps.findIndex((x) => x.op === "RUN" && x.args.includes("dashboard/build.ts"));
    expect(copyAt).toBeGreaterThanOrEqual(0);
    expect(copyAt).toBeLessThan(runAt);
    // A plain build, not `--if-stale`: the image never reuses a build from the host.
    expect(builder.steps[runAt]?.args).not.toContain("--if-stale");
    expect(read("deploy/Dockerfile.dockerignore").split("\n")).toContain("**/dist");
  });

  it("copies the built folder to where the server is told to look, which is the dashboard's default dist/", () => {
    const builder = stages.find((s) =>
      s.steps.some((x) => x.op === "RUN" && x.args.includes("dashboard/build.ts")),
    );
    if (!builder?.name) throw new Error("the dashboard build stage needs a name to copy from");
    const copies = copiesFrom(final).filter((c) => c.from === builder.name);
    expect(copies).toHaveLength(1);
    const { src, dest } = copies[0] as { src: string; dest: string };
    const distInRepo = relative(ROOT, DIST_DIR).split("\\").join("/");
    expect(strip(src)).toBe(posix.join(workdirOf(builder), distInRepo));
    const served = envOf(final).COLDTRAIL_DASHBOARD_DIR;
    expect(served, "ENV COLDTRAIL_DASHBOARD_DIR in the final stage").toBeDefined();
    expect(strip(posix.resolve(workdirOf(final), dest))).toBe(served);
    // Same place as the package's default, so the image works with the variable unset too.
    expect(served).toBe(posix.join(workdirOf(final), distInRepo));
    // And the variable is the one the server reads.
    const r = dashboardDirFrom({ COLDTRAIL_DASHBOARD_DIR: "/no/such/dashboard" });
    expect(!r.ok && r.reason).toMatch(/^COLDTRAIL_DASHBOARD_DIR is "\/no\/such\/dashboard"/);
  });

  it("installs only production dependencies into the image that runs", () => {
    const installs = (s: Stage) =>
      s.steps.filter((x) => x.op === "RUN" && /\bnpm (ci|install|i)\b/.test(x.args)).map((x) => x.args);
    expect(installs(final), "no install in the final stage itself").toEqual([]);
    const sources = copiesFrom(final).filter((c) => c.dest === "./" || strip(c.dest) === workdirOf(final));
    expect(sources.length, "node_modules come from one dependency stage").toBe(1);
    const deps = byName((sources[0] as { from: string }).from);
    if (!deps) throw new Error("the dependency stage is not in the file");
    const depInstalls = installs(deps);
    expect(depInstalls).toHaveLength(1);
    expect(depInstalls[0]).toMatch(/^npm ci .*--omit=dev/);
    expect(final.steps.some((x) => x.op === "COPY" && /^\.\s+\.$/.test(x.args))).toBe(true);
    expect(read("deploy/Dockerfile.dockerignore").split("\n")).toContain("**/node_modules");
  });

  it("runs as node, with the server's bin (npm run server would try to build the dashboard)", () => {
    const users = final.steps.filter((x) => x.op === "USER").map((x) => x.args);
    expect(users.at(-1)).toBe("node");
    const cmd = final.steps.filter((x) => x.op === "CMD").at(-1);
    expect(JSON.parse(cmd?.args ?? "null")).toEqual(["node", "server/bin/coldtrail-server.js"]);
    expect(read("server/bin/coldtrail-server.js")).toContain("../src/main.ts");
    expect(read("server/src/main.ts")).toContain("dashboardDirOrExit(process.env");
  });
});

describe("docker-compose.yml", () => {
  const compose = parse(read("docker-compose.yml")) as {
    services: Record<
      string,
      {
        build?: { context: string; dockerfile: string };
        environment?: Record<string, string>;
        volumes?: string[];
      }
    >;
  };
  const server = compose.services.server;

  it("builds the server from deploy/Dockerfile with the repository as context", () => {
    expect(server?.build).toEqual({ context: ".", dockerfile: "deploy/Dockerfile" });
  });

  it("leaves the image's dashboard folder alone (no override, nothing mounted over it)", () => {
    expect(server?.environment?.COLDTRAIL_DASHBOARD_DIR).toBeUndefined();
    const served = envOf(final).COLDTRAIL_DASHBOARD_DIR as string;
    for (const v of server?.volumes ?? []) {
      const target = v.split(":")[1] ?? "";
      expect(served.startsWith(strip(target)), `volume ${v} hides ${served}`).toBe(false);
    }
  });
});
