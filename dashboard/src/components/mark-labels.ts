/**
 * Where the chart writes the names of the places the milk was kept, above the plot: each name
 * starts at its line (or ends there, when it would run past the right edge), never overlaps
 * another and never leaves the plot's width. A name that does not fit is shortened with "…", or
 * left out when not even a few letters fit; its line still shows. Pure, so it is tested without
 * a canvas: `measure` gives a text's width.
 */
export interface PlacedLabel {
  text: string;
  /** Left edge of the text. */
  x: number;
  width: number;
}

const ELLIPSIS = "…";
/** Fewer letters than this (before the ellipsis) say nothing: the label is left out. */
const MIN_LETTERS = 3;

export function placeMarkLabels(
  marks: readonly { x: number; label: string }[],
  area: { left: number; right: number },
  measure: (text: string) => number,
  gap: number,
): PlacedLabel[] {
  const sorted = marks.filter((m) => m.x >= area.left && m.x <= area.right).sort((a, b) => a.x - b.x);
  const out: PlacedLabel[] = [];
  let free = area.left;
  for (const [i, m] of sorted.entries()) {
    // Room up to the next line (its label starts there) or the right edge.
    const limit = Math.min(area.right, (sorted[i + 1]?.x ?? area.right) - gap);
    let text = m.label;
    let width = measure(text);
    let x = m.x + gap;
    if (x + width > limit && m.x - gap - width >= free && i === sorted.length - 1) x = m.x - gap - width;
    else {
      x = Math.max(x, free);
      let letters = text.length;
      while (x + width > limit && letters > MIN_LETTERS) {
        letters--;
        text = `${m.label.slice(0, letters).trimEnd()}${ELLIPSIS}`;
        width = measure(text);
      }
      if (x + width > limit) continue;
    }
    out.push({ text, x, width });
    free = x + width + gap;
  }
  return out;
}
