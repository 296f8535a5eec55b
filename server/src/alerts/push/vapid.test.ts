import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveVapidKeys } from "./vapid.js";

const dir = () => mkdtempSync(join(tmpdir(), "coldtrail-vapid-"));

describe("VAPID keys", () => {
  it("are generated once into the data folder (0600) and the same keys come back at the next start", () => {
    const d = dir();
    const first = resolveVapidKeys({ dataDir: d });
    expect(first.ok && first.generated).toBe(true);
    expect(statSync(join(d, "vapid.json")).mode & 0o777).toBe(0o600);
    const again = resolveVapidKeys({ dataDir: d });
    expect(again.ok && !again.generated && again.keys).toEqual(first.ok && first.keys);
    if (!first.ok) return;
    expect(Buffer.from(first.keys.publicKey, "base64url")).toHaveLength(65);
    expect(first.keys.subject).toBe("mailto:alerts@coldtrail.invalid");
  });

  it("take the environment's keys and subject, and say what is wrong with bad ones", () => {
    const d = dir();
    const made = resolveVapidKeys({ dataDir: d });
    if (!made.ok) throw new Error(made.reason);
    const given = resolveVapidKeys({
      dataDir: dir(),
      publicKey: made.keys.publicKey,
      privateKey: made.keys.privateKey,
      subject: "https://bank.example",
    });
    expect(given).toEqual({
      ok: true,
      generated: false,
      keys: { ...made.keys, subject: "https://bank.example" },
    });
    expect(resolveVapidKeys({ dataDir: d, publicKey: made.keys.publicKey })).toEqual({
      ok: false,
      reason: expect.stringMatching(/set both COLDTRAIL_VAPID_PUBLIC_KEY and COLDTRAIL_VAPID_PRIVATE_KEY/),
    });
    expect(resolveVapidKeys({ dataDir: d, publicKey: "abc", privateKey: made.keys.privateKey })).toEqual({
      ok: false,
      reason: expect.stringMatching(/COLDTRAIL_VAPID_PUBLIC_KEY must be a base64url P-256 public key/),
    });
    expect(resolveVapidKeys({ dataDir: d, subject: "alerts@bank.example" })).toEqual({
      ok: false,
      reason: expect.stringMatching(/must start with mailto: or https:\/\/, got "alerts@bank.example"/),
    });
  });

  it("refuse a damaged key file with a message saying to delete it", () => {
    const d = dir();
    writeFileSync(join(d, "vapid.json"), "{not json");
    const r = resolveVapidKeys({ dataDir: d });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/vapid.json is not JSON .*delete it to generate new keys/);
    expect(readFileSync(join(d, "vapid.json"), "utf8")).toBe("{not json");
  });
});
