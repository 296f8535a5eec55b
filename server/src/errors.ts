/**
 * The catalogue of API errors: each a stable code, an HTTP status and a message that says what was
 * wrong, the value seen and what to do. Responses are `{"error":{"code","message"}}` (DESIGN.md).
 */
export const ERRORS = {
  CT_ERR_UNAUTHORIZED: 401,
  CT_ERR_FORBIDDEN: 403,
  CT_ERR_NOT_FOUND: 404,
  CT_ERR_VALIDATION: 400,
  CT_ERR_BAD_REQUEST: 400,
  CT_ERR_CONFLICT: 409,
  CT_ERR_PAYLOAD_TOO_LARGE: 413,
  CT_ERR_UNSUPPORTED_MEDIA: 415,
  CT_ERR_UNAVAILABLE: 503,
  CT_ERR_INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.statusCode = ERRORS[code];
  }
}

export const notFound = (what: string, id: string) =>
  new ApiError("CT_ERR_NOT_FOUND", `${what} "${id.slice(0, 80)}" does not exist (or is not yours)`);
export const conflict = (message: string) => new ApiError("CT_ERR_CONFLICT", message);
export const badRequest = (message: string) => new ApiError("CT_ERR_BAD_REQUEST", message);
