/**
 * Recording a move, in words and checks that need no server: where a batch can go, the time a
 * person typed (not in the future, not before the batch's last move), the plain sentence that
 * confirms the move, and the passport code in a scanned QR label. Pure; clocks are passed in.
 */
import { type CodeResult, normalisePassportCode } from "./passport-code.js";

/** How a batch leaves her custody (the moves route's `how`, server/src/registry/batches.ts). */
export type LeaveHow = "handed-over" | "fed" | "discarded";

/** A destination: one of her units, or out of monitored custody. */
export type Destination = { unitId: string; unitName: string } | { unitId: null; how: LeaveHow };

/** The choices for leaving custody, first the one a donor uses most. */
export const LEAVE_CHOICES: readonly { how: LeaveHow; words: string }[] = [
  { how: "handed-over", words: "Handed to the milk bank courier" },
  { how: "fed", words: "Fed" },
  { how: "discarded", words: "Thrown away" },
];

const LEAVE_DONE: Record<LeaveHow, string> = {
  "handed-over": "Handed to the milk bank courier",
  fed: "Marked as fed",
  discarded: "Marked as thrown away",
};

/** `<input type=datetime-local>` value (minutes) for a moment, in the browser's zone. */
export function localInputValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/**
 * A typed move time: empty means now; a time more than `skewMs` after `nowMs` or not after
 * `sinceMs` (when the batch came into its current place) is refused in words.
 */
export function checkMoveTime(
  typed: string,
  ctx: { nowMs: number; sinceMs: number | null; sinceWhere: string; skewMs?: number; reader?: Reader },
): { ok: true; atMs: number } | { ok: false; reason: string } {
  if (typed.trim() === "") return { ok: true, atMs: ctx.nowMs };
  const atMs = Date.parse(typed);
  if (Number.isNaN(atMs))
    return { ok: false, reason: `"${typed}" is not a day and time. Pick one, or leave it as now.` };
  if (atMs > ctx.nowMs + (ctx.skewMs ?? 60_000))
    return {
      ok: false,
      reason: `${clock(atMs, ctx.nowMs, ctx.reader)} is still to come. A move is recorded when it has happened: pick a time up to now.`,
    };
  if (ctx.sinceMs !== null && atMs <= ctx.sinceMs)
    return {
      ok: false,
      reason: `The batch came into ${ctx.sinceWhere} at ${clock(ctx.sinceMs, ctx.nowMs, ctx.reader)}; the move must be after that.`,
    };
  return { ok: true, atMs };
}

/** Where the words are read: the viewer's zone and language unless given (tests give them). */
export interface Reader {
  timeZone?: string | undefined;
  locale?: string | undefined;
}

/** "14:05" today, "14:05 on 3 May" on another day. */
export function clock(atMs: number, nowMs: number, reader: Reader = {}): string {
  const tz = reader.timeZone ? { timeZone: reader.timeZone } : {};
  const locale = reader.locale;
  const day = (ms: number) =>
    new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", ...tz }).format(ms);
  const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", ...tz }).format(atMs);
  if (day(atMs) === day(nowMs)) return time;
  const date = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", ...tz }).format(atMs);
  return `${time} on ${date}`;
}

/** "Moved to Bea's cool bag at 14:05." or "Handed to the milk bank courier at 14:05." */
export function moveConfirmation(to: Destination, atMs: number, nowMs: number, reader: Reader = {}): string {
  const when = clock(atMs, nowMs, reader);
  return to.unitId === null ? `${LEAVE_DONE[to.how]} at ${when}.` : `Moved to ${to.unitName} at ${when}.`;
}

const NOT_A_LABEL: CodeResult = {
  ok: false,
  reason: "This QR code is not a coldtrail bag label. Point the camera at the label on the milk bag.",
};

/**
 * The passport code in what a QR label holds: the passport URL (`<public URL>/p/<code>`, from
 * any host, since labels outlive addresses) or a bare code, normalised as a typed code is.
 */
export function codeFromScan(text: string): CodeResult {
  const t = text.trim();
  let url: URL | null = null;
  try {
    url = /^https?:\/\//i.test(t) ? new URL(t) : null;
  } catch {
    url = null;
  }
  if (url) {
    const m = /\/p\/([0-9A-Za-z]+)\/?$/.exec(url.pathname);
    return m ? normalisePassportCode(m[1] as string) : NOT_A_LABEL;
  }
  const r = normalisePassportCode(t);
  return r.ok ? r : NOT_A_LABEL;
}
