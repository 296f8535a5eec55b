/**
 * Quoting for InfluxQL, so a probe id or database name is always data, never query text.
 * InfluxQL string literals are single-quoted and identifiers double-quoted; inside both the
 * scanner knows the escapes `\\`, `\'`, `\"` and `\n`
 * (https://docs.influxdata.com/influxdb/v1.6/query_language/spec/#strings). Some characters have
 * no way in at all (checked against influxd 1.6.7): the scanner reads a carriage return as a line
 * break and NUL as the end of input, so both end the literal with "found BADSTRING"; and a lone
 * surrogate turns into U+FFFD on the way to UTF-8, which would name a different value. Values
 * holding those are refused (`ok: false`); line-protocol.ts refuses the same ids for writes, so
 * no stored probe is unreachable.
 */

export type QuoteResult = { ok: true; text: string } | { ok: false; reason: string };

const SPECIAL = /[\\'"\n]/g;
const UNQUOTABLE = /[\r\0]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function escapeSpecial(char: string): string {
  return char === "\n" ? "\\n" : `\\${char}`;
}

function quote(value: string, mark: "'" | '"'): QuoteResult {
  if (UNQUOTABLE.test(value)) {
    return {
      ok: false,
      reason: `${JSON.stringify(value)} holds a carriage return, NUL or lone surrogate, which InfluxQL cannot quote`,
    };
  }
  return { ok: true, text: `${mark}${value.replace(SPECIAL, escapeSpecial)}${mark}` };
}

/** `'…'` holding exactly `value`. */
export function quoteString(value: string): QuoteResult {
  return quote(value, "'");
}

/** `"…"` naming exactly `name` (a database, measurement, tag or field). */
export function quoteIdentifier(name: string): QuoteResult {
  return quote(name, '"');
}
