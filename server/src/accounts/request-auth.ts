import { createHash, timingSafeEqual } from "node:crypto";
import { ADMIN, type Caller } from "../registry/caller.js";
import type { Accounts } from "./index.js";
import { SESSION_ABSOLUTE_MS } from "./sessions.js";

/** DESIGN.md "Accounts and sessions": the session cookie's name. */
export const SESSION_COOKIE = "coldtrail_session";

/** Methods that change nothing need no CSRF token (RFC 9110 9.2.1 safe methods). */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The parts of a request that say who is calling; a route hook copies them from Fastify's request. */
export interface RequestCredentials {
  method: string;
  /** The raw `Cookie` header. */
  cookie?: string | undefined;
  /** The raw `Authorization` header. */
  authorization?: string | undefined;
  /** The `X-CSRF-Token` header. */
  csrfToken?: string | string[] | undefined;
}

export type RequestAuth =
  | { ok: true; caller: Caller; via: "session"; sessionId: string; csrfToken: string }
  | { ok: true; caller: Caller; via: "api-token"; tokenId: string }
  | { ok: true; caller: Caller; via: "admin-token" }
  | {
      ok: false;
      reason:
        | "unauthenticated"
        | "bad-authorization"
        | "invalid-token"
        | "invalid-session"
        | "csrf-missing"
        | "csrf-mismatch";
      message: string;
    };

/** One cookie's value from a `Cookie` header (RFC 6265 5.4), or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The `Set-Cookie` value for a new session: HttpOnly (scripts cannot read it), SameSite=Lax
 * (not sent on cross-site POSTs), Secure behind HTTPS, living as long as the session can.
 */
export function sessionCookie(sessionToken: string, opts: { secure: boolean }): string {
  return [
    `${SESSION_COOKIE}=${sessionToken}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${Math.floor(SESSION_ABSOLUTE_MS / 1000)}`,
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}

/** The `Set-Cookie` value that removes the session cookie (sign-out). */
export function clearedSessionCookie(opts: { secure: boolean }): string {
  return [
    `${SESSION_COOKIE}=`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    "Max-Age=0",
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Who is calling: `Authorization: Bearer <token>` (a personal `ct_…` token, or the bootstrap admin
 * token) wins over the session cookie; a cookie-authenticated write must carry the session's CSRF
 * token. A route hook sets `req.caller` from `caller`, or answers 401/403 with `message`.
 */
export function createRequestAuth(
  accounts: Pick<Accounts, "resolveToken" | "resolveSession" | "checkCsrf">,
  opts: { adminToken: string },
) {
  const adminDigest = digest(opts.adminToken);
  return async function authenticate(req: RequestCredentials): Promise<RequestAuth> {
    if (req.authorization !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization);
      if (!m) {
        return {
          ok: false,
          reason: "bad-authorization",
          message: 'Authorization header must be "Bearer <token>"',
        };
      }
      const token = m[1] as string;
      const resolved = await accounts.resolveToken(token);
      if (resolved) return { ok: true, caller: resolved.caller, via: "api-token", tokenId: resolved.tokenId };
      if (timingSafeEqual(digest(token), adminDigest)) return { ok: true, caller: ADMIN, via: "admin-token" };
      return {
        ok: false,
        reason: "invalid-token",
        message:
          "the bearer token is not valid (unknown, revoked, or its account is disabled); create a new one",
      };
    }
    const sessionToken = cookieValue(req.cookie, SESSION_COOKIE);
    if (!sessionToken) {
      return {
        ok: false,
        reason: "unauthenticated",
        message: `sign in (POST /sessions) or send "Authorization: Bearer <token>"`,
      };
    }
    const session = await accounts.resolveSession(sessionToken);
    if (!session) {
      return { ok: false, reason: "invalid-session", message: "your session has ended; sign in again" };
    }
    if (!SAFE_METHODS.has(req.method.toUpperCase())) {
      const csrf = accounts.checkCsrf(session, req.csrfToken);
      if (!csrf.ok) return csrf;
    }
    return {
      ok: true,
      caller: session.caller,
      via: "session",
      sessionId: session.sessionId,
      csrfToken: session.csrfToken,
    };
  };
}
