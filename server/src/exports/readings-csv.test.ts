import { describe, expect, it } from "vitest";
import { csvTemp, csvText } from "./readings-csv.js";

describe("CSV fields", () => {
  it("quote commas, quotes and line breaks per RFC 4180", () => {
    expect(csvText("Freezer 2")).toBe("Freezer 2");
    expect(csvText("Freezer, bay 2")).toBe('"Freezer, bay 2"');
    expect(csvText('the "cold" one')).toBe('"the ""cold"" one"');
    expect(csvText("two\nlines")).toBe('"two\nlines"');
  });

  it("defuse text a spreadsheet would run as a formula with a leading apostrophe", () => {
    for (const start of ["=", "+", "-", "@", "\t"])
      expect(csvText(`${start}SUM(A1)`)).toBe(`'${start}SUM(A1)`);
    // A carriage return is also a line break: guarded, then quoted.
    expect(csvText("\rSUM(A1)")).toBe('"\'\rSUM(A1)"');
    expect(csvText('=HYPERLINK("x"),y')).toBe('"\'=HYPERLINK(""x""),y"');
    expect(csvText("Ada's = freezer")).toBe("Ada's = freezer");
  });

  it("print temperatures without float noise, and fault markers as stored", () => {
    expect(csvTemp(-18.5 + 0.3)).toBe("-18.2");
    expect(csvTemp(-18.0625)).toBe("-18.0625");
    expect(csvTemp(-127)).toBe("-127");
    expect(csvTemp(6553.5)).toBe("6553.5");
    expect(csvTemp(1e308)).toBe("1e+308");
  });
});
