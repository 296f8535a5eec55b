/**
 * Times for people: absolute times in the browser's own time zone, and ages and durations in
 * words. Pure; the clock and (for tests) the time zone are passed in.
 */

const MIN_MS = 60_000;
const HOUR_MS = 60 * MIN_MS;
const DAY_MS = 24 * HOUR_MS;
/** Mean Gregorian month, for "about N months" only. */
const MONTH_MS = 30.44 * DAY_MS;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 h 15 min", "3 days 4 h", "about 5 months": two units at most, rounded down. */
export function formatDuration(ms: number): string {
  const abs = Math.max(0, ms);
  if (abs < MIN_MS) return "less than a minute";
  if (abs < HOUR_MS) return `${Math.floor(abs / MIN_MS)} min`;
  if (abs < 2 * DAY_MS) {
    const h = Math.floor(abs / HOUR_MS);
    const m = Math.floor((abs % HOUR_MS) / MIN_MS);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  if (abs < 60 * DAY_MS) {
    const d = Math.floor(abs / DAY_MS);
    const h = Math.floor((abs % DAY_MS) / HOUR_MS);
    return h ? `${plural(d, "day")} ${h} h` : plural(d, "day");
  }
  return `about ${plural(Math.floor(abs / MONTH_MS), "month")}`;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 days ago"; "in 5 min" for future times. */
export function formatAge(tsMs: number, nowMs: number): string {
  const d = nowMs - tsMs;
  const abs = Math.abs(d);
  if (abs < 10_000) return "just now";
  let words: string;
  if (abs < MIN_MS) words = `${Math.floor(abs / 1000)} s`;
  else if (abs < HOUR_MS) words = `${Math.floor(abs / MIN_MS)} min`;
  else if (abs < 2 * DAY_MS) words = `${Math.floor(abs / HOUR_MS)} h`;
  else words = plural(Math.floor(abs / DAY_MS), "day");
  return d >= 0 ? `${words} ago` : `in ${words}`;
}

/** Date and time in the viewer's zone (or `timeZone`), e.g. "3 May 2026, 14:00". */
export function formatLocal(iso: string | number, timeZone?: string): string {
  const ms = typeof iso === "number" ? iso : Date.parse(iso);
  if (Number.isNaN(ms)) return String(iso);
  return new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
    ...(timeZone && { timeZone }),
  }).format(ms);
}

/** The browser's IANA time zone (sent as `?tz=` so the server words times as the page does). */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** A date without a time, e.g. "3 May 2026"; a "2026-05-03" calendar day stays that day. */
export function formatDay(isoOrDay: string | number, timeZone?: string): string {
  const day = typeof isoOrDay === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoOrDay) : null;
  const ms = day
    ? Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]), 12)
    : typeof isoOrDay === "number"
      ? isoOrDay
      : Date.parse(isoOrDay);
  if (Number.isNaN(ms)) return String(isoOrDay);
  return new Intl.DateTimeFormat(undefined, {
    dateStyle: "long",
    ...(day ? { timeZone: "UTC" } : timeZone && { timeZone }),
  }).format(ms);
}

/** "from 3 May 14:00 to 4 May 02:00 (12 h)"; an open span is "since … (ongoing, 12 h so far)". */
export function formatSpan(
  fromIso: string,
  toIso: string | null | undefined,
  nowMs: number,
  timeZone?: string,
): string {
  const fromMs = Date.parse(fromIso);
  if (toIso === null || toIso === undefined) {
    return `since ${formatLocal(fromMs, timeZone)} (ongoing, ${formatDuration(nowMs - fromMs)} so far)`;
  }
  const toMs = Date.parse(toIso);
  return `from ${formatLocal(fromMs, timeZone)} to ${formatLocal(toMs, timeZone)} (${formatDuration(toMs - fromMs)})`;
}

/** Brief: a unit whose last reading is older than 15 minutes is shown as stale. */
export const STALE_AFTER_S = 15 * 60;
export const isStale = (ageS: number): boolean => ageS > STALE_AFTER_S;
