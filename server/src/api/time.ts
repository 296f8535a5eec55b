import { z } from "zod";
import { checkTimeZone } from "../rules/index.js";

/** ISO 8601 date-time in requests (DESIGN.md: times are ISO 8601 strings), to epoch ms. */
export const isoTime = z
  .string()
  .refine(
    (s) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(s) &&
      !Number.isNaN(Date.parse(s)),
    {
      error: (i) =>
        `must be an ISO 8601 date-time with a time zone, like 2026-05-03T14:00:00Z; got "${String(i.input).slice(0, 60)}"`,
    },
  )
  .transform((s) => Date.parse(s));

export const toIso = (ms: number): string => new Date(ms).toISOString();

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A bucket width: `30s`, `5m`, `1h`, `1d`, or an ISO 8601 duration such as `PT5M` / `P1D`.
 */
export const duration = z
  .string()
  .transform((s, ctx) => {
    const simple = /^(\d+)(ms|s|m|h|d)$/.exec(s);
    if (simple) return Number(simple[1]) * (UNIT_MS[simple[2] as string] as number);
    const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(s);
    if (iso && s !== "P" && s !== "PT") {
      const [, d, h, m, sec] = iso;
      return (
        Number(d ?? 0) * 86_400_000 +
        Number(h ?? 0) * 3_600_000 +
        Number(m ?? 0) * 60_000 +
        Number(sec ?? 0) * 1000
      );
    }
    ctx.addIssue({
      code: "custom",
      message: `must be a duration like 30s, 5m, 1h, 1d or PT5M; got "${s.slice(0, 40)}"`,
    });
    return z.NEVER;
  })
  .refine((ms) => ms >= 1000, "must be at least 1 second");

/**
 * `?tz=Europe/London`: the IANA zone a page wants reasons worded in (the browser's own zone), so
 * that a time never shows in UTC next to the same time in local.
 */
export const timeZoneQuery = z
  .string()
  .max(64)
  .refine((tz) => checkTimeZone(tz) === null, {
    error: (i) => `tz must be an IANA time zone such as Europe/London; got "${String(i.input).slice(0, 64)}"`,
  })
  .optional();
