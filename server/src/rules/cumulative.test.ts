import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { busiestWindow, mergeSpans, type Span } from "./cumulative.js";

function naiveBest(spans: Span[], windowMs: number): number {
  // Every whole-number window start in range; spans use small integers so this is exact.
  let best = 0;
  const lo = Math.min(...spans.map((s) => s.fromMs)) - windowMs;
  const hi = Math.max(...spans.map((s) => s.toMs));
  const merged = mergeSpans(spans);
  for (let start = lo; start <= hi; start++) {
    let sum = 0;
    for (const s of merged)
      sum += Math.max(0, Math.min(s.toMs, start + windowMs) - Math.max(s.fromMs, start));
    best = Math.max(best, sum);
  }
  return best;
}

describe("cumulative windows", () => {
  it("mergeSpans joins overlapping and touching spans", () => {
    expect(
      mergeSpans([
        { fromMs: 5, toMs: 7 },
        { fromMs: 0, toMs: 2 },
        { fromMs: 2, toMs: 3 },
        { fromMs: 6, toMs: 9 },
        { fromMs: 4, toMs: 4 },
      ]),
    ).toEqual([
      { fromMs: 0, toMs: 3 },
      { fromMs: 5, toMs: 9 },
    ]);
  });

  it("busiestWindow finds the most covered window (checked against brute force)", () => {
    const span = fc
      .record({ fromMs: fc.integer({ min: 0, max: 200 }), len: fc.integer({ min: 1, max: 30 }) })
      .map(({ fromMs, len }) => ({ fromMs, toMs: fromMs + len }));
    fc.assert(
      fc.property(
        fc.array(span, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 80 }),
        (spans, w) => {
          const best = busiestWindow(spans, w);
          expect(best?.coveredMs).toBe(naiveBest(spans, w));
          expect(best?.toMs).toBe((best?.fromMs as number) + w);
        },
      ),
    );
  });

  it("no spans, no window", () => {
    expect(busiestWindow([], 10)).toBeNull();
  });
});
