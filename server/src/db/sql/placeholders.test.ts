import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toPostgresPlaceholders } from "./placeholders.js";

describe("toPostgresPlaceholders", () => {
  it.each([
    ["SELECT 1", "SELECT 1", 0],
    ["SELECT * FROM unit WHERE id = ?", "SELECT * FROM unit WHERE id = $1", 1],
    ["INSERT INTO t (a, b, c) VALUES (?,?,?)", "INSERT INTO t (a, b, c) VALUES ($1,$2,$3)", 3],
    ["SELECT '?' , ?", "SELECT '?' , $1", 1],
    ["SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1],
    ["SELECT '', ?", "SELECT '', $1", 1],
    [`SELECT "odd?""name" FROM t WHERE x = ?`, `SELECT "odd?""name" FROM t WHERE x = $1`, 1],
    ["SELECT ? -- why? because\n, ?", "SELECT $1 -- why? because\n, $2", 2],
    ["SELECT ? -- trailing?", "SELECT $1 -- trailing?", 1],
    ["SELECT /* a ? */ ?", "SELECT /* a ? */ $1", 1],
    ["SELECT /* outer /* inner ? */ still ? */ ?", "SELECT /* outer /* inner ? */ still ? */ $1", 1],
    ["SELECT E'it\\'s ?', ?", "SELECT E'it\\'s ?', $1", 1],
    ["SELECT e'\\\\', ?", "SELECT e'\\\\', $1", 1],
    // Not an E string: the E ends a keyword, so a backslash is a plain character.
    ["SELECT CASE WHEN ? THEN 'a\\' ELSE'b' END, ?", "SELECT CASE WHEN $1 THEN 'a\\' ELSE'b' END, $2", 2],
    ["SELECT $$ ? $$, ?", "SELECT $$ ? $$, $1", 1],
    ["SELECT $fn$ ? $$ ? $fn$, ?", "SELECT $fn$ ? $$ ? $fn$, $1", 1],
    ["SELECT a$b, ?", "SELECT a$b, $1", 1],
    ["SELECT x::BIGINT FROM t WHERE y = ?", "SELECT x::BIGINT FROM t WHERE y = $1", 1],
    ["SELECT 1 - ?, 4 / ?", "SELECT 1 - $1, 4 / $2", 2],
  ])("%j → %j", (input, sql, count) => {
    expect(toPostgresPlaceholders(input)).toEqual({ ok: true, sql, count });
  });

  it.each([
    ["SELECT ?1", /numbered placeholder "\?1…" at offset 7/],
    ["SELECT $1", /numbered placeholder "\$1…" at offset 7/],
    ["SELECT 'open", /unterminated string literal at offset 7/],
    ['SELECT "open', /unterminated quoted identifier at offset 7/],
    ["SELECT /* open /* nested */", /unterminated \/\* comment at offset 7/],
    ["SELECT $q$ open", /unterminated dollar-quoted string \$q\$ at offset 7/],
    ["SELECT E'open\\'", /unterminated string literal/],
  ])("refuses %j", (input, reason) => {
    const result = toPostgresPlaceholders(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(reason);
      expect(result.reason).toMatch(/write SQL with plain "\?" placeholders/);
    }
  });

  // Statements assembled from every kind of token; each `?` token must become the next $n and
  // every `?` inside a literal, identifier or comment must stay as written.
  it("numbers exactly the placeholders outside quotes and comments, in any mix", () => {
    const text = fc.stringMatching(/^[a-zA-Z0-9 ?'"$*/\\\n-]{0,12}$/);
    const word = fc.stringMatching(/^[a-df-zA-DF-Z0-9_,=()<>+]{1,8}$/);
    type Token = { input: string; output: (n: () => number) => string };
    const token: fc.Arbitrary<Token> = fc.oneof(
      word.map((w) => ({ input: w, output: () => w })),
      fc.constant({ input: "?", output: (next: () => number) => `$${next()}` }),
      text.map((t) => {
        const s = `'${t.replaceAll("'", "''")}'`;
        return { input: s, output: () => s };
      }),
      text.map((t) => {
        const s = `"${t.replaceAll('"', '""')}"`;
        return { input: s, output: () => s };
      }),
      text.map((t) => {
        const s = `E'${t.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
        return { input: s, output: () => s };
      }),
      text.map((t) => {
        const s = `-- ${t.replaceAll("\n", " ")}\n`;
        return { input: s, output: () => s };
      }),
      text
        .filter((t) => !`/* ${t} */`.slice(2, -2).includes("/*") && !`/* ${t} */`.slice(2, -2).includes("*/"))
        .map((t) => {
          const s = `/* ${t} */`;
          return { input: s, output: () => s };
        }),
      text
        .filter((t) => `${t}$tag$`.indexOf("$tag$") === t.length)
        .map((t) => {
          const s = `$tag$${t}$tag$`;
          return { input: s, output: () => s };
        }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 20 }), (tokens) => {
        let n = 0;
        const next = () => {
          n += 1;
          return n;
        };
        const input = tokens.map((t) => t.input).join(" ");
        const expected = tokens.map((t) => t.output(next)).join(" ");
        expect(toPostgresPlaceholders(input)).toEqual({ ok: true, sql: expected, count: n });
      }),
      { numRuns: 2000 },
    );
  });
});
