/**
 * What a parent reads once: a headline with the one date that matters, and a few plain lines.
 * No rule ids, no technical terms, no unit ids (see `describeReason`'s "parent" audience).
 */
import { describeReason } from "./reason-words.js";
import type { Reason, Verdict } from "./types.js";
import { formatDate, formatDuration, formatTime } from "./wording.js";

export interface ParentSummary {
  headline: string;
  /** When the milk should be used by, ISO 8601 UTC; null when it should not be used as is. */
  useBy: string | null;
  lines: string[];
}

export interface ParentSummaryOptions {
  timeZone?: string;
  expressedAtMs: number;
}

const H_MS = 3_600_000;

/** Notes (band "safe") a parent should still read. */
const PARENT_NOTES = new Set<Reason["code"]>(["custody-ended", "probable-thaw", "excursion", "thawing"]);

function num(r: Reason, key: string): number {
  const x = r.values?.[key];
  return typeof x === "number" ? x : 0;
}

function doNotUseHeadline(r: Reason, tz: string, expressedAtMs: number): string {
  switch (r.code) {
    case "refrozen":
      return `Do not use: it thawed on ${formatDate(r.fromMs ?? 0, tz)} and was refrozen`;
    case "fresh-limit":
      return `Do not use: it was not frozen or used within ${formatDuration(num(r, "checkMaxH") * H_MS)} of expressing`;
    case "frozen-limit":
      return `Do not use: it was expressed on ${formatDate(expressedAtMs, tz)}, longer ago than frozen milk may be kept`;
    case "thawed-limit":
      return `Do not use: it thawed on ${formatTime(r.fromMs ?? 0, tz)}, more than ${formatDuration(num(r, "checkMaxH") * H_MS)} ago`;
    case "room-temperature":
    case "thawed-room-temperature":
      return "Do not use: it was left somewhere warm for too long";
    case "cool-bag-limit":
      return `Do not use: it was in a cool bag for more than ${formatDuration(num(r, "checkMaxH") * H_MS)}`;
    default:
      return "Do not use this milk";
  }
}

/** The earliest moment a running or paused time limit reaches a band above safe. */
function useByMs(v: Verdict): number | null {
  let best: number | null = null;
  for (const b of v.budgets) {
    const at = b.untilMs ?? v.asOfMs + b.remainingMs;
    if (best === null || at < best) best = at;
  }
  return best;
}

export function parentSummary(verdict: Verdict, opts: ParentSummaryOptions): ParentSummary {
  const tz = opts.timeZone ?? "UTC";
  const lines: string[] = [];
  const add = (text: string) => {
    if (!lines.includes(text)) lines.push(text);
  };
  const concerns = verdict.reasons.filter((r) => r.band !== "safe");
  // Only the reasons that set the verdict: a do-not-use batch does not also say "ask the milk bank".
  for (const r of concerns)
    if (r.band === verdict.verdict) add(describeReason(r, { timeZone: tz, audience: "parent" }));
  const notesToo = verdict.verdict !== "do-not-use";
  for (const r of verdict.reasons)
    if (r.band === "safe" && PARENT_NOTES.has(r.code) && (notesToo || r.code === "custody-ended"))
      add(describeReason(r, { timeZone: tz, audience: "parent" }));
  add(`Expressed on ${formatDate(opts.expressedAtMs, tz)}.`);

  if (verdict.verdict === "do-not-use") {
    const worst = concerns.find((r) => r.band === "do-not-use") as Reason;
    return { headline: doNotUseHeadline(worst, tz, opts.expressedAtMs), useBy: null, lines };
  }
  if (verdict.verdict === "check")
    return { headline: "Ask the milk bank before using this milk", useBy: null, lines };

  const at = useByMs(verdict);
  if (at === null) return { headline: "Safe to use", useBy: null, lines };
  const when = formatTime(at, tz);
  const headline =
    verdict.state === "frozen"
      ? `Keep it frozen. Use by ${when}`
      : verdict.state === "fresh"
        ? `Use or freeze by ${when}`
        : `Use by ${when}`;
  return { headline, useBy: new Date(at).toISOString(), lines };
}
