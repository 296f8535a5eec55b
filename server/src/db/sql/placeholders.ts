/**
 * SQL is written once, with SQLite's `?` placeholders; PostgreSQL numbers them (`$1`, `$2`, …).
 * This rewrites each `?` that stands outside string literals, quoted identifiers, dollar-quoted
 * strings and comments, scanning the text the way PostgreSQL's lexer does
 * (https://www.postgresql.org/docs/current/sql-syntax-lexical.html): `'…'` with `''` inside,
 * `E'…'` with backslash escapes, `"…"` with `""` inside, `$tag$…$tag$`, `-- …` to the end of the
 * line, and `/* … *\/`, which nest in PostgreSQL.
 *
 * Refused, so that a statement means the same on both backends: numbered placeholders (`?1`,
 * `$1`), and anything left open at the end (a quote or a comment).
 */

export type PlaceholderTranslation = { ok: true; sql: string; count: number } | { ok: false; reason: string };

const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

export function toPostgresPlaceholders(sql: string): PlaceholderTranslation {
  let out = "";
  let count = 0;
  let i = 0;
  const n = sql.length;
  const fail = (what: string, at: number): PlaceholderTranslation => ({
    ok: false,
    reason: `${what} at offset ${at} of ${JSON.stringify(excerpt(sql, at))}: write SQL with plain "?" placeholders and close every quote and comment`,
  });

  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    const prev = i > 0 ? (sql[i - 1] as string) : "";

    if (c === "?") {
      if (next !== undefined && /[0-9]/.test(next)) return fail(`numbered placeholder "?${next}…"`, i);
      count += 1;
      out += `$${count}`;
      i += 1;
      continue;
    }
    if (c === "'") {
      const escapes =
        (prev === "E" || prev === "e") && (i < 2 || !IDENTIFIER_CHAR.test(sql[i - 2] as string));
      const end = endOfQuoted(sql, i, "'", escapes);
      if (end < 0) return fail("unterminated string literal", i);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    if (c === '"') {
      const end = endOfQuoted(sql, i, '"', false);
      if (end < 0) return fail("unterminated quoted identifier", i);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    if (c === "-" && next === "-") {
      const newline = sql.indexOf("\n", i);
      const end = newline < 0 ? n : newline;
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = endOfBlockComment(sql, i);
      if (end < 0) return fail("unterminated /* comment", i);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    if (c === "$" && !(prev !== "" && IDENTIFIER_CHAR.test(prev))) {
      if (next !== undefined && /[0-9]/.test(next)) return fail(`numbered placeholder "$${next}…"`, i);
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 64));
      if (tag !== null) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        if (close < 0) return fail(`unterminated dollar-quoted string ${tag[0]}`, i);
        const end = close + tag[0].length;
        out += sql.slice(i, end);
        i = end;
        continue;
      }
    }
    out += c;
    i += 1;
  }
  return { ok: true, sql: out, count };
}

/** Index just past the closing quote of the literal opening at `start`, or -1 when it never closes. */
function endOfQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === "\\") {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  return -1;
}

/** Index just past the `*\/` that closes the comment opening at `start` (nesting counted), or -1. */
function endOfBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth += 1;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return -1;
}

function excerpt(sql: string, at: number): string {
  const from = Math.max(0, at - 20);
  return `${from > 0 ? "…" : ""}${sql.slice(from, at + 20)}${at + 20 < sql.length ? "…" : ""}`;
}
