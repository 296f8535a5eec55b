/**
 * Alert channel secrets at rest (alerts/secret-box.ts) in a real server on its SQLite file: a
 * webhook secret made through the API is stored sealed under the data folder's generated key; a
 * secret an older version left in plain text is sealed at the next start; a server given another
 * COLDTRAIL_SECRET_KEY refuses to start instead of failing every delivery.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createSecretBox, isSealed } from "../src/alerts/secret-box.js";
import { ConfigError } from "../src/config.js";
import { parseSecretKey } from "../src/secret-key.js";
import { startTestServer } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "coldtrail-sealing-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = "webhook-secret-0123456789";
/** No COLDTRAIL_SECRET_KEY (the harness sets one): the data folder's generated key. */
const DATA_FOLDER_KEY = { COLDTRAIL_SECRET_KEY: "" };
const OLD_SECRET = "left-in-plain-text-by-an-older-version";

const secretsInFile = () => {
  const db = new Database(join(dir, "coldtrail.sqlite"), { readonly: true });
  try {
    return db.prepare("SELECT id, secret FROM alert_channel ORDER BY id").all() as {
      id: string;
      secret: string;
    }[];
  } finally {
    db.close();
  }
};

describe("alert channel secrets at rest", () => {
  it("are sealed under the data folder's key, old plain ones at the next start; another key refuses to start", async () => {
    const s = await startTestServer({ COLDTRAIL_WEBHOOK_ALLOW_PRIVATE: "1", ...DATA_FOLDER_KEY }, dir);
    let hookId = "";
    try {
      const made = await s.api<{ id: string }>("POST", "/api/v1/channels", {
        kind: "webhook",
        target: "http://127.0.0.1:9/hook",
        secret: SECRET,
      });
      expect(made.status).toBe(201);
      hookId = made.body.id;
    } finally {
      await s.stop();
    }
    expect(statSync(join(dir, "secret-key")).mode & 0o777).toBe(0o600);
    const key = parseSecretKey(readFileSync(join(dir, "secret-key"), "utf8"));
    if (!key) throw new Error("the data folder's secret-key does not hold a key");
    const box = createSecretBox(key);
    const [hook] = secretsInFile();
    expect(hook?.id).toBe(hookId);
    expect(isSealed(hook?.secret ?? "")).toBe(true);
    expect(readFileSync(join(dir, "coldtrail.sqlite")).includes(SECRET)).toBe(false);
    expect(box.open(hook?.secret ?? "")).toBe(SECRET);

    // A row as an older version stored it.
    const db = new Database(join(dir, "coldtrail.sqlite"));
    db.prepare(
      "INSERT INTO alert_channel (id, owner_id, kind, target, secret, min_escalation, created_ms) VALUES ('c_old', 'admin', 'webhook', 'http://127.0.0.1:9/old', ?, 0, 0)",
    ).run(OLD_SECRET);
    db.close();
    const again = await startTestServer(DATA_FOLDER_KEY, dir);
    await again.stop();
    const old = secretsInFile().find((r) => r.id === "c_old");
    expect(isSealed(old?.secret ?? "")).toBe(true);
    expect(box.open(old?.secret ?? "")).toBe(OLD_SECRET);

    const otherKey = randomBytes(32).toString("hex");
    const refused = await startTestServer({ COLDTRAIL_SECRET_KEY: otherKey }, dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toMatch(/2 of 2 alert channel secrets .* COLDTRAIL_SECRET_KEY/);
    expect((refused as Error).message).not.toContain(otherKey);
    // The same key given as the variable opens them.
    const withEnv = await startTestServer({ COLDTRAIL_SECRET_KEY: key.toString("base64") }, dir);
    await withEnv.stop();
  }, 120_000);
});
