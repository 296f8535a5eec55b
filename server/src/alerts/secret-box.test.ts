import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretBox, isSealed, SEALED_PREFIX, SecretKeyMismatchError } from "./secret-box.js";

describe("the channel secret box (AES-256-GCM)", () => {
  const box = createSecretBox(randomBytes(32));

  it("seals to a prefixed value without the secret in it, and opens it again", () => {
    const secret = "webhook-secret-0123456789";
    const sealed = box.seal(secret);
    expect(sealed.startsWith(SEALED_PREFIX)).toBe(true);
    expect(sealed).not.toContain(secret);
    expect(box.open(sealed)).toBe(secret);
    // A fresh IV each time: the same secret never seals to the same text.
    expect(box.seal(secret)).not.toBe(sealed);
  });

  it("gives back a value sealed before sealing existed as it is", () => {
    expect(isSealed("plain-old-secret-0123")).toBe(false);
    expect(box.open("plain-old-secret-0123")).toBe("plain-old-secret-0123");
  });

  it("refuses another key's value, and a tampered one, naming the variable to set", () => {
    const other = createSecretBox(randomBytes(32)).seal("someone else's");
    expect(() => box.open(other)).toThrow(SecretKeyMismatchError);
    expect(() => box.open(other)).toThrow(/COLDTRAIL_SECRET_KEY/);
    const raw = Buffer.from(box.seal("tamper with me please").slice(SEALED_PREFIX.length), "base64url");
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
    expect(() => box.open(SEALED_PREFIX + raw.toString("base64url"))).toThrow(SecretKeyMismatchError);
    expect(() => box.open(`${SEALED_PREFIX}c2hvcnQ`)).toThrow(SecretKeyMismatchError);
  });

  it("takes only a 32-byte key", () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes, got 16/);
  });
});
