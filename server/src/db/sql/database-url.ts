/**
 * `COLDTRAIL_DATABASE_URL` (issue #13): where the shared registry lives. Unset, the registry stays
 * in the embedded SQLite file of the data folder; `postgres://…` or `postgresql://…` (libpq's URL
 * form, as node-postgres reads it) moves every module on the SQL client to that PostgreSQL.
 *
 * The URL usually carries a password: `maskDatabaseUrl` is the only form of it that may reach a
 * log line or an error message.
 */

export type DatabaseUrlCheck = { ok: true } | { ok: false; reason: string };

const PROTOCOLS = new Set(["postgres:", "postgresql:"]);

/** Whether `url` names a PostgreSQL database coldtrail can use; the reason says what to write instead. */
export function checkDatabaseUrl(url: string): DatabaseUrlCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: "is not a URL: write it like postgres://user:password@host:5432/coldtrail" };
  }
  if (!PROTOCOLS.has(parsed.protocol)) {
    return {
      ok: false,
      reason: `must start with postgres:// or postgresql:// (got ${parsed.protocol}//); unset it to keep the registry in SQLite in the data folder`,
    };
  }
  if (parsed.hostname === "") {
    return { ok: false, reason: "names no host: write it like postgres://user:password@host:5432/coldtrail" };
  }
  const database = parsed.pathname.replace(/^\//, "");
  if (database === "" || database.includes("/")) {
    return {
      ok: false,
      reason: "must name one database after the host, like postgres://user:password@host:5432/coldtrail",
    };
  }
  return { ok: true };
}

/** The URL with its password replaced by `***` (user, host, port and database kept), for logs and errors. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|key|token/i.test(key)) parsed.searchParams.set(key, "***");
    }
    return parsed.toString();
  } catch {
    // Not a URL: mask anything between "user:" and "@" the way libpq would read it.
    return url.replace(/^([^:/?#]+:\/\/[^:/?#@]*:)[^@]*@/, "$1***@");
  }
}
