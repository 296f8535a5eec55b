import { describe, expect, it } from "vitest";
import { quoteIdentifier, quoteString } from "./influxql.js";

describe("quoteString", () => {
  it.each([
    ["freezer-01", "'freezer-01'"],
    ["", "''"],
    ["x' OR '1'='1", "'x\\' OR \\'1\\'=\\'1'"],
    ["a\\", "'a\\\\'"],
    ["a\\'", "'a\\\\\\''"],
    ["a\nb", "'a\\nb'"],
    ['a"b', "'a\\\"b'"],
    ["a b,c=d", "'a b,c=d'"],
    ["a\tb\u0001\u007f", "'a\tb\u0001\u007f'"],
    ["\u{1F9CA}", "'\u{1F9CA}'"],
  ])("quotes %j as %j", (value, quoted) => {
    expect(quoteString(value)).toEqual({ ok: true, text: quoted });
  });

  it.each(["a\rb", "a\u0000b", "a\uD800", "\uDC00b"])(
    "refuses %j, which no InfluxQL literal can hold",
    (value) => {
      expect(quoteString(value)).toEqual({
        ok: false,
        reason: `${JSON.stringify(value)} holds a carriage return, NUL or lone surrogate, which InfluxQL cannot quote`,
      });
    },
  );
});

describe("quoteIdentifier", () => {
  it.each([
    ["coldtrail", '"coldtrail"'],
    ['a"; DROP DATABASE "b', '"a\\"; DROP DATABASE \\"b"'],
    ["a\\", '"a\\\\"'],
  ])("quotes %j as %j", (name, quoted) => {
    expect(quoteIdentifier(name)).toEqual({ ok: true, text: quoted });
  });

  it("refuses a name with a carriage return", () => {
    expect(quoteIdentifier("a\rb").ok).toBe(false);
  });
});
