/**
 * Cumulative time out of range in a rolling window (RULES.md §3: a separate cumulative counter
 * alongside the single-event rule, the pattern of WHO's Q-tag and Fridge-tag alarms).
 */

export interface Span {
  fromMs: number;
  toMs: number;
}

/** Sorted, with overlapping or touching spans joined; empty spans dropped. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = spans
    .filter((s) => s.toMs > s.fromMs)
    .sort((a, b) => a.fromMs - b.fromMs || a.toMs - b.toMs);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s.fromMs <= last.toMs) last.toMs = Math.max(last.toMs, s.toMs);
    else out.push({ fromMs: s.fromMs, toMs: s.toMs });
  }
  return out;
}

export interface BusiestWindow {
  fromMs: number;
  toMs: number;
  coveredMs: number;
}

/**
 * The window of `windowMs` that overlaps the spans most (the earliest such window). A best window
 * can always be slid until its start meets a span's start or its end meets a span's end, so only
 * those windows are tried: O(n) after merging.
 */
export function busiestWindow(spans: readonly Span[], windowMs: number): BusiestWindow | null {
  const s = mergeSpans(spans);
  if (s.length === 0) return null;
  const prefix = [0];
  for (const x of s) prefix.push((prefix[prefix.length - 1] as number) + (x.toMs - x.fromMs));
  const at = (i: number) => s[i] as Span;
  const sumBefore = (i: number) => prefix[i] as number;

  let best: BusiestWindow | null = null;
  const consider = (fromMs: number, coveredMs: number) => {
    if (best === null || coveredMs > best.coveredMs || (coveredMs === best.coveredMs && fromMs < best.fromMs))
      best = { fromMs, toMs: fromMs + windowMs, coveredMs };
  };

  // Windows starting at a span's start.
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const end = at(i).fromMs + windowMs;
    if (j < i) j = i;
    while (j + 1 < s.length && at(j + 1).fromMs < end) j++;
    consider(at(i).fromMs, sumBefore(j) - sumBefore(i) + Math.min(at(j).toMs, end) - at(j).fromMs);
  }
  // Windows ending at a span's end.
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    const start = at(i).toMs - windowMs;
    while (at(k).toMs <= start) k++;
    consider(start, sumBefore(i + 1) - sumBefore(k + 1) + at(k).toMs - Math.max(at(k).fromMs, start));
  }
  return best;
}
