import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";
import { parseSecretKey, resolveSecretKey } from "./secret-key.js";

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), "coldtrail-secret-key-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the secret key", () => {
  it("reads 32 bytes as hex, base64 or base64url, and nothing else", () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString("hex"))).toEqual(key);
    expect(parseSecretKey(key.toString("base64"))).toEqual(key);
    expect(parseSecretKey(key.toString("base64url"))).toEqual(key);
    expect(parseSecretKey(` ${key.toString("hex")}\n`)).toEqual(key);
    expect(parseSecretKey(randomBytes(16).toString("hex"))).toBeNull();
    expect(parseSecretKey("correct horse battery staple")).toBeNull();
  });

  it("is COLDTRAIL_SECRET_KEY when set; a bad one is refused without echoing it", () => {
    const key = randomBytes(32);
    expect(resolveSecretKey(key.toString("hex"), dataDir())).toEqual({ ok: true, key, source: "env" });
    const bad = "not-a-key-but-a-secret-anyway";
    expect(() => loadConfig({ COLDTRAIL_SECRET_KEY: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ COLDTRAIL_SECRET_KEY: bad })).toThrow(
      /COLDTRAIL_SECRET_KEY must be 32 random bytes/,
    );
    try {
      loadConfig({ COLDTRAIL_SECRET_KEY: bad });
    } catch (e) {
      expect((e as Error).message).not.toContain(bad);
    }
    expect(loadConfig({ COLDTRAIL_SECRET_KEY: key.toString("base64") }).secretKey).toBe(
      key.toString("base64"),
    );
  });

  it("unset: generated once into the data folder (0600) and read back at the next start", () => {
    const dir = dataDir();
    const first = resolveSecretKey(undefined, dir);
    expect(first).toMatchObject({ ok: true, source: "generated" });
    expect(statSync(join(dir, "secret-key")).mode & 0o777).toBe(0o600);
    const again = resolveSecretKey(undefined, dir);
    expect(again).toMatchObject({ ok: true, source: "file" });
    expect(first.ok && again.ok && again.key.equals(first.key)).toBe(true);
    expect(readFileSync(join(dir, "secret-key"), "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it("a damaged key file stops start-up, saying to restore it", () => {
    const dir = dataDir();
    writeFileSync(join(dir, "secret-key"), "garbage\n");
    const r = resolveSecretKey(undefined, dir);
    expect(r).toMatchObject({ ok: false });
    expect(r.ok ? "" : r.reason).toMatch(/secret-key must hold 32 random bytes.*restore it from a backup/);
  });
});
