/**
 * Plain words for reasons: durations, times and temperatures as a recipient reads them.
 * Times are given in UTC, with the zone named, because the engine knows no one's time zone.
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

/** "3 May 2026, 14:05 UTC". */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const hh = String(d.getUTCHours()).padStart(2, "0");
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${hh}:${mm} UTC`;
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
