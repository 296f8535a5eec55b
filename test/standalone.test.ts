/**
 * The repository stands on its own: no tracked file reads or links the design notes, rules table
 * or BLE vectors that lived beside the repository while it was being written. Their content is in
 * docs/ and firmware-bridge/src/decoders/captures/.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SELF = "test/standalone.test.ts";

/**
 * The folder that lay beside the repository, named once: this file only looks for references to
 * it and must not hold one itself (a clone does not have the folder).
 */
const BESIDE = "shared";

/** References to the folder outside the repository, in any spelling a link or a read would use. */
const OUTSIDE = [
  new RegExp(`\\.\\./${BESIDE}\\b`),
  new RegExp(`/work/${BESIDE}\\b`),
  new RegExp(`\\b${BESIDE}/DESIGN\\.md`),
  new RegExp(`\\b${BESIDE}/RULES\\.md`),
  /\bvectors\/ble\.json/,
];

function trackedFiles(): string[] {
  return execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 })
    .split("\0")
    .filter((f) => f !== "" && !f.split("/").includes("node_modules"));
}

function textOf(file: string): string | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(new URL(file, `file://${ROOT}`));
  } catch {
    return null; // deleted in the work tree but not yet from the index
  }
  return bytes.includes(0) ? null : bytes.toString("utf8");
}

function offendingLines(text: string): string[] {
  return text
    .split("\n")
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => OUTSIDE.some((re) => re.test(line)))
    .map(({ line, n }) => `${n}: ${line.trim()}`);
}

describe("the repository stands on its own", () => {
  const files = trackedFiles();

  it("lists the tracked files (git ls-files works here)", () => {
    expect(files).toContain(SELF);
    expect(files).toContain("package.json");
  });

  it("no tracked file references the folder beside the repository", () => {
    const found: string[] = [];
    for (const file of files) {
      if (file === SELF) continue;
      const text = textOf(file);
      if (text === null) continue;
      for (const line of offendingLines(text)) found.push(`${file}:${line}`);
    }
    expect(
      found,
      "these lines point outside the repository; use docs/ or decoders/captures/ instead",
    ).toEqual([]);
  });

  it("relative links in tracked Markdown files point at files that exist (docs/ included)", () => {
    const broken: string[] = [];
    const markdown = files.filter((f) => f.endsWith(".md"));
    expect(markdown).toEqual(expect.arrayContaining(["README.md", "docs/README.md", "docs/rules.md"]));
    for (const file of markdown) {
      const text = textOf(file) ?? "";
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1] as string;
        if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith("#")) continue;
        const target = join(ROOT, dirname(file), link.split("#")[0] as string);
        if (!existsSync(target)) broken.push(`${file}: ${link}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("the patterns catch what they are meant to", () => {
    for (const sample of [
      `[design](../${BESIDE}/DESIGN.md)`,
      `read /work/${BESIDE}/RULES.md`,
      `new URL("../../../../${BESIDE}/vectors/ble.json", import.meta.url)`,
      `see ${BESIDE}/RULES.md row MB-1`,
    ]) {
      expect(offendingLines(sample), sample).toHaveLength(1);
    }
    expect(offendingLines("RULES.md MB-1 (docs/rules.md); a shared connection")).toEqual([]);
  });
});
