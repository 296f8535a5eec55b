import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Password hashing with scrypt (memory-hard, in Node's crypto; RFC 7914). OWASP's Password
 * Storage Cheat Sheet (scrypt section) lists N=2^15, r=8, p=3 as equal in strength to its
 * minimum of N=2^17, r=8, p=1, using 32 MiB instead of 128 MiB per hash, which suits a small
 * server (about 0.3 s of one core per sign-in). The parameters are stored with every hash, so
 * raising them later only needs a new value here: old hashes still verify and are upgraded at the
 * next successful sign-in (`needsRehash`).
 */
export const SCRYPT_PARAMS = { ln: 15, r: 8, p: 3 } as const;
export type ScryptParams = { ln: number; r: number; p: number };

/** 128 bits of salt per password (NIST SP 800-63B 5.1.1.2: at least 32 bits). */
const SALT_BYTES = 16;
/** 256-bit derived key. */
const KEY_BYTES = 32;
/**
 * Bounds for parameters read back from the database, so a corrupted or tampered row cannot make
 * one sign-in allocate gigabytes or spin for minutes.
 */
const PARAM_BOUNDS = { ln: [14, 20], r: [1, 32], p: [1, 16] } as const;

/** NIST SP 800-63B 5.1.1.2 asks for at least 8; 12 is the brief's floor (OWASP suggests 12+ too). */
export const PASSWORD_MIN_CHARS = 12;
/** Long enough for any passphrase or manager-generated password; bounds the work per attempt. */
export const PASSWORD_MAX_CHARS = 1024;

export type PasswordProblem = {
  ok: false;
  reason: "password-too-short" | "password-too-long";
  message: string;
};

/** Unicode-normalised (NFC) so the same passphrase typed on two keyboards hashes the same. */
const normalise = (password: string) => password.normalize("NFC");

/** Length rules on the normalised password, counted in characters (code points), not bytes. */
export function checkPasswordRules(password: string): { ok: true } | PasswordProblem {
  const chars = [...normalise(password)].length;
  if (chars < PASSWORD_MIN_CHARS) {
    return {
      ok: false,
      reason: "password-too-short",
      message: `the password has ${chars} characters; use at least ${PASSWORD_MIN_CHARS} (a few unrelated words work well)`,
    };
  }
  if (chars > PASSWORD_MAX_CHARS) {
    return {
      ok: false,
      reason: "password-too-long",
      message: `the password has ${chars} characters; use at most ${PASSWORD_MAX_CHARS}`,
    };
  }
  return { ok: true };
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  return new Promise((resolve, reject) => {
    scrypt(
      normalise(password),
      salt,
      KEY_BYTES,
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** A new hash in the stored form `$scrypt$ln=15,r=8,p=1$<salt base64>$<key base64>`. */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export type ParsedHash = { params: ScryptParams; salt: Buffer; key: Buffer };

/** Reads a stored hash back; refuses anything malformed or with parameters out of bounds. */
export function parsePasswordHash(
  stored: string,
): { ok: true; hash: ParsedHash } | { ok: false; reason: string } {
  const m =
    /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(
      stored,
    );
  if (!m) return { ok: false, reason: 'a password hash must look like "$scrypt$ln=15,r=8,p=1$<salt>$<key>"' };
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  for (const k of ["ln", "r", "p"] as const) {
    const [lo, hi] = PARAM_BOUNDS[k];
    if (params[k] < lo || params[k] > hi) {
      return { ok: false, reason: `scrypt parameter ${k}=${params[k]} is outside ${lo}..${hi}` };
    }
  }
  const salt = Buffer.from(m[4] as string, "base64");
  const key = Buffer.from(m[5] as string, "base64");
  if (salt.length < SALT_BYTES || key.length !== KEY_BYTES) {
    return {
      ok: false,
      reason: `salt must be at least ${SALT_BYTES} bytes and key ${KEY_BYTES}; got ${salt.length} and ${key.length}`,
    };
  }
  return { ok: true, hash: { params, salt, key } };
}

/**
 * Whether `password` matches `stored`, compared in constant time. A malformed stored hash never
 * matches (it costs one dummy derivation anyway, so timing does not tell it apart).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (!parsed.ok) {
    await derive(password, randomBytes(SALT_BYTES), SCRYPT_PARAMS);
    return false;
  }
  const { params, salt, key } = parsed.hash;
  const got = await derive(password, salt, params);
  return timingSafeEqual(got, key);
}

/** True when a stored hash was made with weaker parameters than today's (re-hash on sign-in). */
export function needsRehash(stored: string, params: ScryptParams = SCRYPT_PARAMS): boolean {
  const parsed = parsePasswordHash(stored);
  if (!parsed.ok) return true;
  const p = parsed.hash.params;
  return p.ln < params.ln || p.r < params.r || p.p < params.p;
}
