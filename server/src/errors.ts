/**
 * Errors, in two layers.
 *
 * Domain errors (`NotFoundError`, `ConflictError`, `InvalidInputError`) are what the registry, the
 * verdicts and the alert store throw: they say what was wrong, the value seen and what to do, and
 * know nothing of HTTP.
 *
 * The API catalogue (`ERRORS`) is the one list of error codes the HTTP API answers with, each with
 * its status and message template (in the style of fastify's `createError`); `httpError` builds
 * one, `fromDomain` maps a domain error to one. Responses are `{"error":{"code","message"}}`
 * (DESIGN.md).
 */

export type DomainErrorKind = "not-found" | "conflict" | "invalid-input" | "forbidden";

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
}

/** The thing does not exist, or the caller may not see it (the two are not told apart). */
export class NotFoundError extends DomainError {
  override readonly name = "NotFoundError";
  readonly kind = "not-found";
  constructor(
    readonly what: string,
    readonly id: string,
  ) {
    super(`${what} "${id.slice(0, 80)}" does not exist (or is not yours)`);
  }
}

/** The request is well formed but clashes with what is stored (already registered, already moved…). */
export class ConflictError extends DomainError {
  override readonly name = "ConflictError";
  readonly kind = "conflict";
}

/** A value the domain refuses (a time in the future, an unknown profile…). */
export class InvalidInputError extends DomainError {
  override readonly name = "InvalidInputError";
  readonly kind = "invalid-input";
}

/** The caller may see the thing but not do this to it (a staff member changing another site's donor). */
export class ForbiddenError extends DomainError {
  override readonly name = "ForbiddenError";
  readonly kind = "forbidden";
}

export const notFound = (what: string, id: string) => new NotFoundError(what, id);
export const forbidden = (message: string) => new ForbiddenError(message);
export const conflict = (message: string) => new ConflictError(message);
export const invalidInput = (message: string) => new InvalidInputError(message);

const said = (message: string) => message;

/** Every code the HTTP API answers with: its status and how its message is worded. */
export const ERRORS = {
  CT_ERR_UNAUTHORIZED: { status: 401, message: said },
  CT_ERR_FORBIDDEN: { status: 403, message: said },
  CT_ERR_NOT_FOUND: { status: 404, message: said },
  CT_ERR_VALIDATION: { status: 400, message: said },
  CT_ERR_BAD_REQUEST: { status: 400, message: said },
  CT_ERR_CONFLICT: { status: 409, message: said },
  CT_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: said },
  CT_ERR_UNSUPPORTED_MEDIA: { status: 415, message: said },
  /** Too many attempts (sign-in throttle); the answer carries `Retry-After` in seconds. */
  CT_ERR_TOO_MANY_REQUESTS: { status: 429, message: said },
  CT_ERR_UNAVAILABLE: { status: 503, message: said },
  CT_ERR_INTERNAL: { status: 500, message: () => "internal error; see the server log" },
  /** Not a route: the not-found handler's answer, same code as a missing thing. */
  CT_ERR_NO_ROUTE: {
    status: 404,
    message: (method: string, path: string) => `no route ${method} ${path}; see /api/openapi.json`,
  },
} as const satisfies Record<string, { status: number; message: (...args: never[]) => string }>;

export type ErrorCode = keyof typeof ERRORS;
/** The codes responses carry (CT_ERR_NO_ROUTE answers as CT_ERR_NOT_FOUND). */
export type WireErrorCode = Exclude<ErrorCode, "CT_ERR_NO_ROUTE">;

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: WireErrorCode,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** An API error from the catalogue: `httpError("CT_ERR_UNAVAILABLE", "the broker …")`. */
export function httpError<C extends ErrorCode>(
  code: C,
  ...args: Parameters<(typeof ERRORS)[C]["message"]>
): ApiError {
  const entry = ERRORS[code];
  const message = (entry.message as (...a: unknown[]) => string)(...args);
  return new ApiError(
    code === "CT_ERR_NO_ROUTE" ? "CT_ERR_NOT_FOUND" : (code as WireErrorCode),
    entry.status,
    message,
  );
}

const DOMAIN_CODES = {
  "not-found": "CT_ERR_NOT_FOUND",
  conflict: "CT_ERR_CONFLICT",
  "invalid-input": "CT_ERR_BAD_REQUEST",
  forbidden: "CT_ERR_FORBIDDEN",
} as const satisfies Record<DomainErrorKind, ErrorCode>;

/** The HTTP answer to a domain error: same message, the code its kind maps to. */
export const fromDomain = (e: DomainError): ApiError => httpError(DOMAIN_CODES[e.kind], e.message);
