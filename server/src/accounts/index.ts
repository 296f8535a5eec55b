import { type ApiError, type ErrorCode, httpError } from "../errors.js";
import { createApiTokens } from "./api-tokens.js";
import { createDataExport } from "./data-export.js";
import type { AccountsDeps, ErasureOptions } from "./deps.js";
import { createDirectory } from "./directory.js";
import { createErasure } from "./erasure.js";
import { createInvitations } from "./invitations.js";
import { createSessions } from "./sessions.js";
import { createSignInThrottle, type SignInThrottle } from "./throttle.js";

export type { ApiTokenInfo } from "./api-tokens.js";
export type { AccountsDeps, ErasureOptions } from "./deps.js";
export type { Account, AccountStatus, Site } from "./directory.js";
export type { Erased } from "./erasure.js";
export type { AcceptFailure, Invited } from "./invitations.js";
export { INVITATION_TTL_MS } from "./invitations.js";
export { PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, SCRYPT_PARAMS } from "./passwords.js";
export type { Role } from "./permissions.js";
export {
  clearedSessionCookie,
  createRequestAuth,
  type RequestAuth,
  type RequestCredentials,
  SESSION_COOKIE,
  sessionCookie,
} from "./request-auth.js";
export { API_TOKEN_PREFIX } from "./secrets.js";
export type { ResolvedSession, SignedIn, SignInFailure } from "./sessions.js";
export { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from "./sessions.js";
export { SIGN_IN_LOCK_MS, SIGN_IN_MAX_FAILURES, SIGN_IN_WINDOW_MS } from "./throttle.js";

/**
 * The accounts module: one object a route plugin calls. Management operations throw catalogue
 * errors like every registry (404 for accounts the caller may not see, 403 for ones she may see
 * but not change); sign-in, invitation acceptance and the CSRF check return `{ok:false, reason,
 * message}` values, which `failureError` turns into a catalogue error when a route wants one.
 *
 * Everything runs on the SQL client (`deps.sql`, SQLite or PostgreSQL). Erasure also deletes the
 * deleted probes' rows from this instance's own SQLite file when given it (`erasure.local`).
 */
export function createAccounts(deps: AccountsDeps & { throttle?: SignInThrottle; erasure?: ErasureOptions }) {
  const throttle = deps.throttle ?? createSignInThrottle({ now: deps.now });
  const directory = createDirectory(deps);
  const invitations = createInvitations(deps, directory);
  const sessions = createSessions(deps, throttle);
  const tokens = createApiTokens(deps);
  const erasure = createErasure(deps, directory, deps.erasure);
  const dataExport = createDataExport(deps, directory);
  return {
    getAccount: directory.get,
    listAccounts: directory.list,
    updateAccount: directory.update,
    createSite: directory.createSite,
    listSites: directory.listSites,
    invite: invitations.invite,
    reinvite: invitations.reinvite,
    reinviteUnlessOpen: invitations.reinviteUnlessOpen,
    acceptInvitation: invitations.accept,
    signIn: sessions.signIn,
    signOut: sessions.signOut,
    resolveSession: sessions.resolveSession,
    checkCsrf: sessions.checkCsrf,
    purgeExpiredSessions: sessions.purgeExpired,
    createToken: tokens.createToken,
    listTokens: tokens.listTokens,
    revokeToken: tokens.revokeToken,
    resolveToken: tokens.resolveToken,
    deleteAccount: erasure.deleteAccount,
    exportData: dataExport.exportData,
  };
}
export type Accounts = ReturnType<typeof createAccounts>;

const FAILURE_CODES: Record<string, ErrorCode> = {
  "invalid-credentials": "CT_ERR_UNAUTHORIZED",
  "account-disabled": "CT_ERR_FORBIDDEN",
  // The route adds Retry-After.
  throttled: "CT_ERR_TOO_MANY_REQUESTS",
  "invitation-unknown": "CT_ERR_NOT_FOUND",
  "invitation-expired": "CT_ERR_CONFLICT",
  "invitation-used": "CT_ERR_CONFLICT",
  "account-unavailable": "CT_ERR_CONFLICT",
  "password-too-short": "CT_ERR_VALIDATION",
  "password-too-long": "CT_ERR_VALIDATION",
  unauthenticated: "CT_ERR_UNAUTHORIZED",
  "bad-authorization": "CT_ERR_UNAUTHORIZED",
  "invalid-token": "CT_ERR_UNAUTHORIZED",
  "invalid-session": "CT_ERR_UNAUTHORIZED",
  "csrf-missing": "CT_ERR_FORBIDDEN",
  "csrf-mismatch": "CT_ERR_FORBIDDEN",
};

/** The catalogue error for a refused sign-in, acceptance, request authentication or CSRF check. */
export const failureError = (f: { reason: string; message: string }): ApiError =>
  httpError(FAILURE_CODES[f.reason] ?? "CT_ERR_BAD_REQUEST", f.message);
