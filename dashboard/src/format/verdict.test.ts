import { describe, expect, it } from "vitest";
import type { Reason } from "../api/types.js";
import { formatDuration } from "./time.js";
import {
  bandLook,
  budgetWords,
  decisionWords,
  formatTemp,
  kindWords,
  limitWords,
  sortReasons,
} from "./verdict.js";

describe("verdict words", () => {
  it("every band has words and a symbol, not only a colour", () => {
    for (const b of ["safe", "check", "do-not-use"] as const) {
      const l = bandLook(b);
      expect(l.words.length).toBeGreaterThan(3);
      expect(l.symbol).not.toBe("");
      expect(l.cls).toBe(`verdict-${b}`);
    }
    expect(bandLook("do-not-use").words).toBe("Do not use");
    expect(bandLook("safe").words).toBe("Safe to use");
  });

  it("an unknown band reads as check, never as safe", () => {
    expect(bandLook("nonsense" as "safe").words).toBe("Check before use");
  });

  it("sorts the deciding reasons first and keeps order within a band", () => {
    const r = (code: string, band: Reason["band"]): Reason => ({ code, band, rule: "§3", message: code });
    const sorted = sortReasons([
      r("note", "safe"),
      r("gap", "check"),
      r("thaw", "do-not-use"),
      r("gap2", "check"),
    ]);
    expect(sorted.map((x) => x.code)).toEqual(["thaw", "gap", "gap2", "note"]);
  });
});

describe("budgets", () => {
  it("says what the limit counts and how long is left", () => {
    expect(
      budgetWords(
        { limit: "FZ-1", band: "check", until: "2026-11-01T00:00:00Z", remainingMinutes: 150 * 24 * 60 },
        formatDuration,
      ),
    ).toBe("Frozen storage (FZ-1): milk needs checking in about 4 months");
    expect(
      budgetWords(
        { limit: "CB-1", band: "do-not-use", until: null, remainingMinutes: 21 * 60 },
        formatDuration,
      ),
    ).toBe("Time in a cool bag (CB-1): 21 h left before the milk must not be used (clock paused)");
    expect(
      budgetWords(
        { limit: "TH-1", band: "do-not-use", until: "2026-05-03T00:00:00Z", remainingMinutes: 0 },
        formatDuration,
      ),
    ).toBe("Thawed milk in the fridge (TH-1): limit reached, milk must not be used");
  });

  it("names unknown limits by their row", () => {
    expect(limitWords("ZZ-9")).toBe("Limit ZZ-9");
  });
});

describe("small words", () => {
  it("temperatures use a real minus sign and no negative zero", () => {
    expect(formatTemp(-19.5)).toBe("−19.5 °C");
    expect(formatTemp(3)).toBe("3.0 °C");
    expect(formatTemp(-0.01)).toBe("0.0 °C");
    expect(formatTemp(null)).toBe("—");
    expect(formatTemp(Number.NaN)).toBe("—");
  });

  it("kinds and decisions in words", () => {
    expect(kindWords("cool-bag")).toBe("Cool bag");
    expect(kindWords(null)).toBe("Unknown place");
    expect(decisionWords("hold")).toBe("On hold");
  });
});
