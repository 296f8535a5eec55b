import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { placeMarkLabels } from "./mark-labels.js";

/** About 7 px a letter, as at 12 px in a sans-serif face. */
const measure = (t: string) => t.length * 7;
const AREA = { left: 50, right: 380 };

describe("place labels above the chart", () => {
  it("start at their line, clear of the axis", () => {
    expect(placeMarkLabels([{ x: 50, label: "Freezer" }], AREA, measure, 4)).toEqual([
      { text: "Freezer", x: 54, width: 49 },
    ]);
  });

  it("end at their line when they would run past the right edge", () => {
    expect(placeMarkLabels([{ x: 370, label: "Cool bag" }], AREA, measure, 4)).toEqual([
      { text: "Cool bag", x: 310, width: 56 },
    ]);
  });

  it("are shortened between close lines, or left out when a few letters would not fit", () => {
    const placed = placeMarkLabels(
      [
        { x: 60, label: "Bea's kitchen freezer" },
        { x: 140, label: "Cool bag" },
        { x: 150, label: "Courier box" },
        { x: 300, label: "Milk bank freezer 2" },
      ],
      AREA,
      measure,
      4,
    );
    expect(placed.map((p) => p.text)).toEqual(["Bea's kit…", "Courier box", "Milk bank…"]);
  });

  it("never overlap and never leave the plot, whatever the places and times", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            x: fc.integer({ min: 0, max: 420 }),
            label: fc.string({ minLength: 1, maxLength: 30 }),
          }),
          {
            maxLength: 12,
          },
        ),
        (marks) => {
          const placed = placeMarkLabels(marks, AREA, measure, 4);
          for (const p of placed) {
            expect(p.x).toBeGreaterThanOrEqual(AREA.left);
            expect(p.x + p.width).toBeLessThanOrEqual(AREA.right);
          }
          for (let i = 1; i < placed.length; i++)
            expect(placed[i]?.x).toBeGreaterThanOrEqual(
              (placed[i - 1]?.x ?? 0) + (placed[i - 1]?.width ?? 0),
            );
        },
      ),
      { numRuns: 500 },
    );
  });
});
