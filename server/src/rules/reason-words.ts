/**
 * Every sentence a reason says, built from its `{code, values}` and its times, for two readers:
 * staff (may cite rule ids and technical terms) and parents (plain words: what happened and what
 * to do; never rule ids, "mean kinetic temperature" or unit ids). The engine gets every message
 * from here, so the words and the numbers cannot drift apart.
 */
import type { Reason } from "./types.js";
import { formatDuration, formatTempC, formatTime } from "./wording.js";

export type Audience = "staff" | "parent";

export interface DescribeOptions {
  /** IANA zone for times; default "UTC". */
  timeZone?: string;
  audience?: Audience;
}

const MIN_MS = 60_000;
const H_MS = 3_600_000;

type Values = NonNullable<Reason["values"]>;

function num(v: Values, key: string): number {
  const x = v[key];
  return typeof x === "number" ? x : 0;
}
function str(v: Values, key: string): string {
  const x = v[key];
  return typeof x === "string" ? x : "";
}
function flag(v: Values, key: string): boolean {
  return v[key] === true;
}

function unitWords(kind: string): string {
  return kind === "cool-bag" ? "cool bag" : kind === "" ? "unit" : kind;
}

function hours(h: number): string {
  return formatDuration(h * H_MS);
}

/** "within 12 hours at best and 24 hours at most" / "within 4 days". */
function limitWords(v: Values, what: string): string {
  const safe = num(v, "safeMaxH");
  const check = num(v, "checkMaxH");
  if (safe === check) return `${what} within ${hours(safe)}`;
  return `${what} within ${hours(safe)} at best and ${hours(check)} at most`;
}

/** The sentence for one reason. Times use `timeZone` (default UTC) with the zone's short name. */
export function describeReason(reason: Reason, opts: DescribeOptions = {}): string {
  const tz = opts.timeZone ?? "UTC";
  const parent = (opts.audience ?? "staff") === "parent";
  const t = (ms: number | null | undefined) => formatTime(ms ?? 0, tz);
  const v: Values = reason.values ?? {};
  const unit = unitWords(str(v, "unitKind"));
  const from = reason.fromMs ?? null;
  const to = reason.toMs ?? null;
  const dur = (key = "minutes") => formatDuration(num(v, key) * MIN_MS);
  const ongoing = flag(v, "ongoing");

  switch (reason.code) {
    case "excursion": {
      const line = formatTempC(num(v, "thresholdC"));
      const peak = formatTempC(num(v, "peakC"));
      const effect = str(v, "effect");
      if (parent) {
        const what = ongoing
          ? `The ${unit} has been warmer than it should be (above ${line}) since ${t(from)}.`
          : `The ${unit} was warmer than it should be (above ${line}) for ${dur()} from ${t(from)}.`;
        if (effect === "fresh-3-days") return `${what} Fresh milk from it should be used or frozen sooner.`;
        if (effect === "note") return what;
        return `${what} Ask the milk bank before using this milk.`;
      }
      const base = ongoing
        ? `The ${unit} has been warmer than ${line} since ${t(from)} (${dur()} above it so far, up to ${peak}).`
        : `The ${unit} was warmer than ${line} for ${dur()} from ${t(from)} (up to ${peak}).`;
      if (effect === "fresh-3-days")
        return `${base} Fresh milk kept warmer than ${line} must be used or frozen within ${hours(num(v, "freshWarmH"))} of expressing (${reason.rule}).`;
      if (effect === "note") return base;
      return base;
    }
    case "fridge-freezing": {
      const line = formatTempC(num(v, "thresholdC"));
      if (parent)
        return `The ${unit} was too cold (below ${line}) for ${dur()} from ${t(from)}; the milk may have started to freeze. Ask the milk bank before using it.`;
      return `The ${unit} was colder than ${line} for ${dur()} from ${t(from)} (down to ${formatTempC(num(v, "peakC"))}); milk in it may have started to freeze.`;
    }
    case "cumulative-excursion": {
      const line = formatTempC(num(v, "thresholdC"));
      const unknown = num(v, "unmonitoredMinutes");
      const total = num(v, "minutes");
      const what =
        unknown === 0
          ? `warmer than ${line}`
          : unknown >= total
            ? "not reporting"
            : `warmer than ${line} or not reporting`;
      const window = hours(num(v, "windowH"));
      if (parent)
        return `In the ${window} from ${t(from)}, the ${unit} was ${what} for ${dur()} in total, more than it should be. Ask the milk bank before using this milk.`;
      return `Within the ${window} from ${t(from)}, the ${unit} was ${what} for ${dur()} in total (more than ${dur("maxMinutes")}).`;
    }
    case "gap":
      if (parent)
        return ongoing
          ? `The ${unit}'s thermometer has sent nothing since ${t(from)}, so we do not know how warm the milk has been. Check the ${unit} and ask the milk bank.`
          : `The ${unit}'s thermometer sent nothing for ${dur()} from ${t(from)}, so we do not know how warm the milk was then. Ask the milk bank before using it.`;
      return ongoing
        ? `No readings from the ${unit} since ${t(from)} (${dur()}): the milk's temperature since then is unknown.`
        : `No readings from the ${unit} for ${dur()}, from ${t(from)} to ${t(to)}: the milk's temperature in that time is unknown.`;
    case "short-gaps": {
      const n = num(v, "count");
      if (parent) return `The thermometer missed a few readings (${dur()} in total); that is normal.`;
      return `${n === 1 ? "One short break" : `${n} short breaks`} in the readings, ${dur()} in total.`;
    }
    case "custody-gap": {
      const long = reason.band !== "safe";
      if (parent)
        return long
          ? `Nobody recorded where the milk was for ${dur()} from ${t(from)}, so we do not know how warm it was. Ask the milk bank before using it.`
          : `Nobody recorded where the milk was for ${dur()} from ${t(from)}; that short time is not a concern.`;
      return `Nobody recorded where the milk was for ${dur()}, from ${t(from)} to ${t(to)}${long ? "" : ` (shorter than ${dur("checkAfterMin")}, so a note)`}.`;
    }
    case "custody-ended":
      return `Monitoring ended at ${t(from)}: since then its temperature is unknown.`;
    case "sensor-fault": {
      const trouble = str(v, "probe");
      const count = num(v, "count");
      const example = v.exampleC === null ? "not a number" : formatTempC(num(v, "exampleC"));
      const span = ongoing
        ? `since ${t(from)}`
        : from === to || to === null
          ? `at ${t(from)}`
          : `from ${t(from)} to ${t(to)}`;
      const action = parent
        ? `Until it reads normally, nobody knows how warm the milk was; ask the milk bank.`
        : `that time is unmonitored; check the probe.`;
      if (trouble === "disconnected")
        return parent
          ? `The ${unit}'s thermometer was disconnected ${span}. ${action}`
          : `The probe was disconnected ${span} (it read ${example}${count > 1 ? `, ${count} times` : ""}): ${action}`;
      if (trouble === "restarted")
        return parent
          ? `The ${unit}'s thermometer restarted ${span} and sent a false reading. ${action}`
          : `The probe restarted ${span} (it read ${example}, its power-on value${count > 1 ? `, ${count} times` : ""}): ${action}`;
      if (trouble === "stuck")
        return parent
          ? `The ${unit}'s thermometer showed exactly the same temperature (${example}) ${span}, which a working one never does. ${action}`
          : `The ${unit}'s probe read exactly ${example} without any change ${span} (${dur()}); a real ${unit} cycles, so the probe is stuck or frozen in ice: ${action}`;
      if (parent) return `The ${unit}'s thermometer sent impossible readings ${span}. ${action}`;
      return `The ${unit}'s probe sent ${count === 1 ? "an impossible reading" : `${count} impossible readings`} (such as ${example}${str(v, "fault") === "jump" ? ", a jump no air can make" : ""}) ${span}; those moments count as unmonitored.`;
    }
    case "low-coverage":
      if (parent)
        return num(v, "monitoredPct") === 0
          ? "There are no temperature readings for this milk yet. Ask the milk bank before using it."
          : `Temperature readings cover only ${num(v, "monitoredPct")}% of the time the milk was stored. Ask the milk bank before using it.`;
      return num(v, "monitoredPct") === 0
        ? "There are no readings for the time the milk has been stored yet; its temperature is unknown."
        : `Readings cover only ${num(v, "monitoredPct")}% of the time the milk has been stored; the rest is unknown.`;
    case "interval-learned":
      if (flag(v, "fallback"))
        return `Too few readings to learn how often the ${unit}'s probe reports; assuming every ${formatInterval(num(v, "intervalMs"))}.`;
      return `Readings arrive about every ${formatInterval(num(v, "intervalMs"))} (learned from the readings).`;
    case "before-custody": {
      const state = str(v, "state");
      if (state === "fresh")
        return parent
          ? `The ${dur()} between expressing and first storage were not recorded.`
          : `The ${dur()} between expressing and first storage (${t(to)}) were not monitored.`;
      return parent
        ? `The milk was already ${state} when it was first stored (${t(to)}).`
        : `The milk was recorded as already ${state} when first stored (${t(to)}); how it was kept before that was not monitored.`;
    }
    case "thawing": {
      const planned = flag(v, "planned");
      if (flag(v, "atEnd") && !ongoing)
        return parent
          ? `The milk may have started to thaw (from ${t(from)}) when monitoring ended. Ask the milk bank before using it.`
          : `The milk was softening when monitoring ended: its estimated temperature had been above ${formatTempC(num(v, "estimateAboveC"))} since ${t(from)}.`;
      if (ongoing)
        return planned
          ? `The milk has been thawing in the fridge since ${t(from)}.`
          : parent
            ? `The milk may be starting to thaw (since ${t(from)}). Ask the milk bank before using it.`
            : `The milk may be starting to thaw: its estimated temperature has been above ${formatTempC(num(v, "estimateAboveC"))} since ${t(from)}.`;
      if (parent)
        return `The milk may have started to soften in the ${unit} for ${formatDuration((to ?? 0) - (from ?? 0))} from ${t(from)}, then froze solid again. Ask the milk bank before using it.`;
      return `The milk may have started to soften in the ${unit} for ${formatDuration((to ?? 0) - (from ?? 0))} from ${t(from)} (estimated milk temperature above ${formatTempC(num(v, "estimateAboveC"))}), then froze solid again.`;
    }
    case "probable-thaw": {
      const planned = flag(v, "planned");
      const started = typeof v.startedMs === "number" ? v.startedMs : null;
      const when =
        started !== null && started < (from ?? 0)
          ? `started to thaw around ${t(started)} and had thawed by ${t(from)}`
          : `thawed around ${t(from)}`;
      if (parent)
        return planned
          ? `The milk ${when} in the fridge. Do not freeze it again.`
          : `The milk probably ${when} in the ${unit}. Do not freeze it again; ask the milk bank before using it.`;
      const how =
        str(v, "by") === "air"
          ? `the air around it was above ${formatTempC(num(v, "airAboveC"))} for ${formatDuration(num(v, "airForMin") * MIN_MS)} or more`
          : `estimated milk temperature above ${formatTempC(num(v, "thawAboveC"))}`;
      return planned
        ? `The milk ${when} in the fridge (${how}); thawed milk must not be refrozen.`
        : `The milk probably ${when} in the ${unit} (${how}); thawed milk must not be refrozen.`;
    }
    case "refrozen":
      if (parent)
        return `Do not use: the milk thawed around ${t(from)} and was frozen again around ${t(to)}. Milk that has thawed must never be refrozen.`;
      return `The milk thawed around ${t(from)} and froze again in the ${unit} around ${t(to)}. Thawed milk must never be refrozen (${reason.rule}).`;
    case "fresh-limit": {
      const usedMs = num(v, "hours") * H_MS;
      const warm = str(v, "warm");
      const warmAt = typeof v.warmAtMs === "number" ? v.warmAtMs : null;
      const why =
        warm === "warm"
          ? ` because it was kept warmer than ${formatTempC(num(v, "warmAboveC"))} (from ${t(warmAt)})`
          : warm === "unmonitored"
            ? ` because its temperature went unmonitored (from ${t(warmAt)})`
            : "";
      if (parent)
        return `The milk was kept unfrozen for ${formatDuration(usedMs)} after expressing, longer than it should be${why}.`;
      return `The milk was kept unfrozen for ${formatDuration(usedMs)} after expressing; ${limitWords(v, "fresh milk should be used or frozen")}${why}.`;
    }
    case "frozen-limit": {
      const usedMs = num(v, "days") * 24 * H_MS;
      if (parent)
        return `The milk was expressed ${formatDuration(usedMs)} before ${flag(v, "thawed") ? "it thawed" : "now"}, longer than frozen milk should be kept.`;
      return `The milk was expressed ${formatDuration(usedMs)} before ${flag(v, "thawed") ? "it thawed" : "now"}; ${limitWords(v, "frozen milk should be used")}.`;
    }
    case "thawed-limit": {
      const used = formatDuration(num(v, "hours") * H_MS);
      const since = flag(v, "declared")
        ? `was already thawed when first stored (${t(from)})`
        : `thawed around ${t(from)}`;
      const when = flag(v, "running") ? `${used} ago` : `${used} before monitoring ended (${t(to)})`;
      const what = `The milk ${since}, ${when}`;
      if (parent) return `${what}; thawed milk should be used within ${hours(num(v, "safeMaxH"))}.`;
      return `${what}; ${limitWords(v, "thawed milk should be used")}.`;
    }
    case "room-temperature":
    case "thawed-room-temperature": {
      const what = reason.code === "room-temperature" ? "fresh milk" : "thawed milk";
      const where = placesWords(str(v, "places"));
      if (parent)
        return `The ${what} was somewhere warm (${where}) for ${dur()} in total; ${what} left warm should be used within ${hours(num(v, "safeMaxH"))}.`;
      return `The ${what} was at room temperature (${where}) for ${dur()} in total; ${limitWords(v, `${what} at room temperature should be used`)}.`;
    }
    case "hot":
      if (parent)
        return `The milk was somewhere hot (above ${formatTempC(num(v, "thresholdC"))}) for ${dur()} from ${t(from)}. Ask the milk bank before using it.`;
      return `The unfrozen milk was in air above ${formatTempC(num(v, "thresholdC"))} for ${dur()} (first at ${t(from)}); no guideline gives a safe time that warm.`;
    case "cool-bag-limit":
      if (parent)
        return `The milk spent ${formatDuration(num(v, "hours") * H_MS)} in cool bags; it should leave a cool bag within ${hours(num(v, "checkMaxH"))}.`;
      return `The chilled milk spent ${formatDuration(num(v, "hours") * H_MS)} in cool bags; ${limitWords(v, "milk should leave a cool bag")}.`;
    case "transport-limit":
      if (parent)
        return `The frozen milk was in a cool bag for ${formatDuration(num(v, "hours") * H_MS)}. It stayed frozen; the milk bank will check it against its own transport limit.`;
      return `The frozen milk was in cool bags for ${formatDuration(num(v, "hours") * H_MS)}, more than ${hours(num(v, "checkAfterH"))}; it stayed frozen. Staff should judge the journey against their bank's transport limit (${reason.rule}).`;
    default: {
      // Every reason code has its words: adding a code without them does not compile.
      const unknown: never = reason.code;
      return String(unknown);
    }
  }
}

/** "fridge:10;cool-bag:15" → "air above 10 °C in the fridge, above 15 °C in the cool bag". */
function placesWords(places: string): string {
  const parts = places
    .split(";")
    .filter((x) => x !== "")
    .map((x) => {
      const [kind, c] = x.split(":");
      return `above ${formatTempC(Number(c))} in the ${unitWords(kind ?? "")}`;
    });
  return parts.length === 0 ? "warm air" : `air ${parts.join(", ")}`;
}

/** "10 min", "1 min 30 s", "45 s". */
export function formatInterval(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
}
