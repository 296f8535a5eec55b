import { describe, expect, it } from "vitest";
import {
  checkPasswordRules,
  hashPassword,
  needsRehash,
  PASSWORD_MAX_CHARS,
  PASSWORD_MIN_CHARS,
  parsePasswordHash,
  SCRYPT_PARAMS,
  verifyPassword,
} from "./passwords.js";

const PW = "correct horse battery staple";

/** Replaces the n-th `$`-separated field of a stored hash. */
function withField(stored: string, n: number, value: string): string {
  const parts = stored.split("$");
  parts[n] = value;
  return parts.join("$");
}

describe("password hashes", () => {
  it("store scrypt's parameters, a 16-byte salt and a 32-byte key, and verify the password", async () => {
    const stored = await hashPassword(PW);
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    const parsed = parsePasswordHash(stored);
    expect(parsed.ok && parsed.hash.params).toEqual(SCRYPT_PARAMS);
    expect(await verifyPassword(PW, stored)).toBe(true);
    expect(await verifyPassword(`${PW}!`, stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it("salt every hash: the same password hashes differently twice", async () => {
    const [a, b] = await Promise.all([hashPassword(PW), hashPassword(PW)]);
    expect(a).not.toBe(b);
  });

  it("compare the same passphrase typed in composed and decomposed Unicode as equal", async () => {
    const stored = await hashPassword("crème brûlée au citron");
    expect(await verifyPassword("cre\u0300me bru\u0302le\u0301e au citron", stored)).toBe(true);
  });

  it("reject tampering with the key, the salt or the parameters", async () => {
    const stored = await hashPassword(PW);
    const key = stored.split("$")[4] as string;
    const flipped = `${key[0] === "A" ? "B" : "A"}${key.slice(1)}`;
    expect(await verifyPassword(PW, withField(stored, 4, flipped))).toBe(false);
    const salt = stored.split("$")[3] as string;
    expect(
      await verifyPassword(PW, withField(stored, 3, `${salt[0] === "A" ? "B" : "A"}${salt.slice(1)}`)),
    ).toBe(false);
    expect(await verifyPassword(PW, withField(stored, 2, "ln=14,r=8,p=3"))).toBe(false);
    expect(await verifyPassword(PW, withField(stored, 2, "ln=15,r=8,p=1"))).toBe(false);
  });

  it("refuse malformed hashes and parameters out of bounds instead of deriving with them", async () => {
    const stored = await hashPassword(PW);
    expect(parsePasswordHash(withField(stored, 2, "ln=30,r=8,p=1"))).toEqual({
      ok: false,
      reason: "scrypt parameter ln=30 is outside 14..20",
    });
    expect(parsePasswordHash("$2b$12$abcdefghijklmnopqrstuv")).toMatchObject({ ok: false });
    expect(parsePasswordHash(withField(stored, 4, "c2hvcnQ="))).toEqual({
      ok: false,
      reason: "salt must be at least 16 bytes and key 32; got 16 and 5",
    });
    expect(await verifyPassword(PW, withField(stored, 2, "ln=30,r=8,p=1"))).toBe(false);
    expect(await verifyPassword(PW, "plain text")).toBe(false);
  });

  it("verify hashes made with older, weaker parameters and ask for them to be re-hashed", async () => {
    const old = await hashPassword(PW, { ln: 14, r: 8, p: 1 });
    expect(old.startsWith("$scrypt$ln=14,r=8,p=1$")).toBe(true);
    expect(await verifyPassword(PW, old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash("garbage")).toBe(true);
  });
});

describe("password rules", () => {
  it(`want ${PASSWORD_MIN_CHARS} to ${PASSWORD_MAX_CHARS} characters, counted as characters, not bytes`, () => {
    expect(checkPasswordRules("short one")).toEqual({
      ok: false,
      reason: "password-too-short",
      message: "the password has 9 characters; use at least 12 (a few unrelated words work well)",
    });
    expect(checkPasswordRules("x".repeat(12))).toEqual({ ok: true });
    // 11 characters but 44 bytes in UTF-8: still too short.
    expect(checkPasswordRules("🍼".repeat(11))).toMatchObject({ ok: false, reason: "password-too-short" });
    expect(checkPasswordRules("x".repeat(1024))).toEqual({ ok: true });
    expect(checkPasswordRules("x".repeat(1025))).toEqual({
      ok: false,
      reason: "password-too-long",
      message: "the password has 1025 characters; use at most 1024",
    });
  });
});
