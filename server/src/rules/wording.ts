/**
 * Plain words for reasons: durations, times and temperatures as a reader reads them. Times are
 * given in the reader's IANA time zone (default UTC) with the zone's short name, never two zones.
 */
import type { UnitKind } from "./types.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "52 minutes", "3 hours 20 minutes", "5 days 2 hours", "243 days (about 8 months)". */
export function formatDuration(ms: number): string {
  const totalMin = Math.round(ms / 60_000);
  if (totalMin < 60) return plural(totalMin, "minute");
  const totalH = Math.floor(totalMin / 60);
  if (totalH < 48) {
    const min = totalMin % 60;
    return min === 0 ? plural(totalH, "hour") : `${plural(totalH, "hour")} ${plural(min, "minute")}`;
  }
  const days = Math.floor(totalH / 24);
  const h = totalH % 24;
  if (days < 60) return h === 0 ? plural(days, "day") : `${plural(days, "day")} ${plural(h, "hour")}`;
  return `${plural(days, "day")} (about ${plural(Math.round(days / 30.44), "month")})`;
}

interface ZoneFormat {
  parts: Intl.DateTimeFormat;
  nameUs: Intl.DateTimeFormat;
  nameGb: Intl.DateTimeFormat;
}
const zoneFormats = new Map<string, ZoneFormat>();

function zoneFormat(timeZone: string): ZoneFormat {
  let f = zoneFormats.get(timeZone);
  if (f === undefined) {
    const name = (locale: string) =>
      new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short", hour: "numeric" });
    f = {
      parts: new Intl.DateTimeFormat("en-US", {
        timeZone,
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      }),
      nameUs: name("en-US"),
      nameGb: name("en-GB"),
    };
    zoneFormats.set(timeZone, f);
  }
  return f;
}

/** null when `timeZone` is a zone this runtime knows, else why not. */
export function checkTimeZone(timeZone: string): string | null {
  try {
    zoneFormat(timeZone);
    return null;
  } catch {
    return `timeZone "${timeZone}" is not an IANA time zone this server knows; use a name such as "Europe/London" or "UTC"`;
  }
}

function zoneName(f: ZoneFormat, d: Date): string {
  const pick = (fmt: Intl.DateTimeFormat) =>
    fmt.formatToParts(d).find((p) => p.type === "timeZoneName")?.value;
  const us = pick(f.nameUs) ?? "";
  // en-US names American zones (EDT) but writes "GMT+1" for London; en-GB names those (BST, CEST).
  if (/^GMT[+-−]/.test(us) || us === "GMT") return pick(f.nameGb) ?? us;
  return us;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hh: string;
  mm: string;
  zone: string;
}

function localParts(ms: number, timeZone: string): LocalParts {
  const f = zoneFormat(timeZone);
  const d = new Date(ms);
  const parts = f.parts.formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "0";
  return {
    year: Number(get("year")),
    month: Number(get("month")),
    day: Number(get("day")),
    hh: get("hour").padStart(2, "0"),
    mm: get("minute").padStart(2, "0"),
    zone: zoneName(f, d),
  };
}

/** "3 May 2026, 14:05 UTC", or in the given IANA zone: "3 May 2026, 15:05 BST". */
export function formatTime(ms: number, timeZone = "UTC"): string {
  const p = localParts(ms, timeZone);
  return `${p.day} ${MONTHS[p.month - 1]} ${p.year}, ${p.hh}:${p.mm} ${p.zone}`;
}

/** "3 May 2026" in the given zone. */
export function formatDate(ms: number, timeZone = "UTC"): string {
  const p = localParts(ms, timeZone);
  return `${p.day} ${MONTHS[p.month - 1]} ${p.year}`;
}

/** "−18 °C", "4.4 °C": a real minus sign, at most one decimal. */
export function formatTempC(c: number): string {
  const rounded = Math.round(c * 10) / 10;
  const text = Number.isInteger(rounded) ? String(Math.abs(rounded)) : Math.abs(rounded).toFixed(1);
  return `${rounded < 0 ? "\u2212" : ""}${text} °C`;
}

export function unitWord(kind: UnitKind): string {
  return kind === "cool-bag" ? "cool bag" : kind;
}
