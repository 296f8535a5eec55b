/**
 * Which rule a refused write broke, told the same way on both backends, so that a registry module
 * can turn "that code is taken" into a ConflictError without knowing which database said it.
 * SQLite: extended result codes (https://www.sqlite.org/rescode.html); PostgreSQL: SQLSTATE class
 * 23 (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 */

export type ConstraintViolation = "unique" | "foreign-key" | "check" | "not-null";

const SQLITE: Record<string, ConstraintViolation> = {
  SQLITE_CONSTRAINT_UNIQUE: "unique",
  SQLITE_CONSTRAINT_PRIMARYKEY: "unique",
  SQLITE_CONSTRAINT_FOREIGNKEY: "foreign-key",
  SQLITE_CONSTRAINT_CHECK: "check",
  SQLITE_CONSTRAINT_NOTNULL: "not-null",
};

const POSTGRES: Record<string, ConstraintViolation> = {
  "23505": "unique",
  "23503": "foreign-key",
  "23514": "check",
  "23502": "not-null",
};

/** The constraint a driver error reports as broken, or null when the error is something else. */
export function constraintViolation(error: unknown): ConstraintViolation | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return null;
  return SQLITE[code] ?? POSTGRES[code] ?? null;
}
