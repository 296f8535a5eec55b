/**
 * Words for verdicts, limits and units. Colour is never the only signal (WCAG 2.2 SC 1.4.1 "Use
 * of Color"): every verdict has a word and a symbol as well as its colour.
 */
import type { Band, Budget, Reason, Review, UnitKind } from "../api/types.js";

export interface BandLook {
  /** The plain verdict a recipient reads. */
  words: string;
  /** A symbol that does not depend on colour; decorative, the words carry the meaning. */
  symbol: string;
  /** CSS class suffix: `verdict-safe`, `verdict-check`, `verdict-do-not-use`. */
  cls: string;
  /** What to do, in one sentence. */
  advice: string;
}

const LOOKS: Record<Band, BandLook> = {
  safe: {
    words: "Safe to use",
    symbol: "✓",
    cls: "verdict-safe",
    advice: "Storage stayed within the rules for the whole monitored time.",
  },
  check: {
    words: "Check before use",
    symbol: "!",
    cls: "verdict-check",
    advice: "Something needs a person's judgement: read the reasons, and ask the milk bank if unsure.",
  },
  "do-not-use": {
    words: "Do not use",
    symbol: "✕",
    cls: "verdict-do-not-use",
    advice: "This milk should not be fed to a baby. Read the reasons below.",
  },
};

export const bandLook = (b: Band): BandLook => LOOKS[b] ?? LOOKS.check;

/** Worst first, so the reasons that decided the verdict come before the notes. */
const BAND_RANK: Record<Band, number> = { "do-not-use": 0, check: 1, safe: 2 };
export function sortReasons(reasons: readonly Reason[]): Reason[] {
  return [...reasons].sort((a, b) => (BAND_RANK[a.band] ?? 1) - (BAND_RANK[b.band] ?? 1));
}

/** What each RULES.md time limit counts, for budget lines. Unknown rows show their ID. */
const LIMIT_WORDS: Record<string, string> = {
  "FR-1": "Fresh milk in the fridge",
  "FR-2": "Fresh milk in a fridge warmer than 4 °C",
  "RT-1": "Time at room temperature",
  "RT-2": "Time above 25 °C",
  "CB-1": "Time in a cool bag",
  "FZ-1": "Frozen storage",
  "FZ-2": "Ice-compartment storage",
  "FZ-3": "Donor freezing",
  "MB-1": "Milk-bank freezer storage",
  "TH-1": "Thawed milk in the fridge",
  "TH-2": "Thawed milk at room temperature",
};
export const limitWords = (rule: string): string => LIMIT_WORDS[rule] ?? `Limit ${rule}`;

const BAND_SHORT: Record<Exclude<Band, "safe">, string> = {
  check: "needs checking",
  "do-not-use": "must not be used",
};

/**
 * One budget as a sentence head and its time: "Frozen storage: needs checking in about 5 months".
 * A paused clock (the milk is no longer where this limit counts) keeps its remaining time.
 */
export function budgetWords(
  b: Budget,
  formatDuration: (ms: number) => string,
  opts: { rule?: boolean } = {},
): string {
  const left = formatDuration(b.remainingMinutes * 60_000);
  // Staff see the RULES.md row; a recipient's passport shows the words only.
  const what = opts.rule === false ? limitWords(b.limit) : `${limitWords(b.limit)} (${b.limit})`;
  if (b.remainingMinutes <= 0) return `${what}: limit reached, milk ${BAND_SHORT[b.band]}`;
  if (b.until === null) return `${what}: ${left} left before the milk ${BAND_SHORT[b.band]} (clock paused)`;
  return `${what}: milk ${BAND_SHORT[b.band]} in ${left}`;
}

const KIND_WORDS: Record<string, string> = {
  freezer: "Freezer",
  fridge: "Fridge",
  "cool-bag": "Cool bag",
  "out-of-custody": "Out of monitored custody",
};
export const kindWords = (k: UnitKind | string | null): string =>
  k ? (KIND_WORDS[k] ?? k) : "Unknown place";

const DECISION_WORDS: Record<Review["decision"], string> = {
  release: "Released for use",
  hold: "On hold",
  discard: "To be discarded",
};
export const decisionWords = (d: Review["decision"]): string => DECISION_WORDS[d] ?? d;

/** "−19.5 °C" with a real minus sign, or "—" for no value. */
export function formatTemp(c: number | null | undefined, digits = 1): string {
  if (c === null || c === undefined || !Number.isFinite(c)) return "—";
  const s = Math.abs(c).toFixed(digits);
  return `${c < 0 && Number(s) !== 0 ? "−" : ""}${s} °C`;
}
