/**
 * The calendar day a moment falls on in an IANA zone, for pages that must show a date and never
 * the minute (a passport shows when milk was expressed, not when the pump stopped).
 */
const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      hourCycle: "h23",
    });
    formats.set(timeZone, f);
  }
  return f;
}

function partsOf(ms: number, timeZone: string) {
  const parts = format(timeZone).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
  };
}

/** How far the zone's wall clock is ahead of UTC at `ms`. */
function offsetMs(ms: number, timeZone: string): number {
  const p = partsOf(ms, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

export interface LocalDay {
  /** "2026-05-03" */
  date: string;
  /** The first moment of that day in the zone (00:00 local, or the first valid time after it). */
  startMs: number;
}

/** The day `ms` falls on in `timeZone`, and when that day began there. */
export function localDay(ms: number, timeZone: string): LocalDay {
  const p = partsOf(ms, timeZone);
  const date = `${String(p.year).padStart(4, "0")}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
  const midnightWall = Date.UTC(p.year, p.month - 1, p.day);
  // The offset at midnight can differ from the offset at `ms` (a DST change that day): settle it.
  let startMs = midnightWall - offsetMs(midnightWall, timeZone);
  startMs = midnightWall - offsetMs(startMs, timeZone);
  // A zone that skips midnight (DST at 00:00) starts its day at the first valid time.
  if (partsOf(startMs, timeZone).day !== p.day) startMs += 3_600_000;
  return { date, startMs };
}
