/**
 * The server's decoder: tolerant per reading. The strict schemas (`readings.ts`) say what a device
 * should send; this decides what the server keeps of what a device did send (issue #9). Only a
 * message that cannot be read at all is refused whole; otherwise every good reading is kept, each
 * bad one is refused alone with a reason, and bad optional fields are dropped.
 * Pure: the clock is passed in.
 */
import { type Decoded, decodedJson, decodedPlainNumber } from "./decode.js";
import { isPlausibleTempC, PROTOCOL_LIMITS as L } from "./limits.js";

/** Why one reading of an accepted message was not stored. */
export type ReadingRefusal =
  | "not_an_object"
  | "unknown_key"
  | "missing_temp"
  | "temp_not_number"
  | "temp_not_finite"
  | "ts_not_integer"
  | "ts_before_2020"
  | "future_ts"
  | "seq_invalid"
  | "conflicting_duplicate";

/** Why an optional message field was dropped. */
export type FieldDrop = "not_a_number" | "out_of_range" | "unknown_field";

export interface AcceptedReading {
  /** Position in the message's `readings` array. */
  index: number;
  /** Absent: the device has no clock; the server stamps arrival time. */
  ts?: number;
  /** As sent. Outside the plausible range it is a sensor-fault marker (`fault`), kept raw. */
  temp_c: number;
  seq?: number;
  fault: boolean;
}

/** A value as the device sent it, cut short: strings to 64 characters, objects to 64 of JSON. */
export type SentValue = number | boolean | string | null;

export interface RefusedReading {
  index: number;
  /** Absent when the device did not send the key. */
  ts?: SentValue;
  temp_c?: SentValue;
  reason: ReadingRefusal;
  /** What was wrong, the value seen and what to do. */
  message: string;
}

export interface DroppedField {
  field: string;
  value: SentValue;
  reason: FieldDrop;
  message: string;
}

export interface TolerantReadings {
  readings: AcceptedReading[];
  refused: RefusedReading[];
  /** Readings repeating an earlier one of the message exactly (same ts, same temp_c): stored once. */
  identicalDuplicates: number;
  droppedFields: DroppedField[];
  battery_pct?: number;
  battery_mv?: number;
  rssi?: number;
}

const READING_KEYS: ReadonlySet<string> = new Set(["ts", "temp_c", "seq"]);
const NO_KEYS: readonly string[] = [];

/** Optional message fields: each is checked alone and dropped alone (DESIGN.md, "Wire protocol"). */
const OPTIONAL_FIELDS = {
  battery_pct: { min: 0, max: 100, integer: false, unit: "%" },
  battery_mv: { min: 0, max: 20_000, integer: true, unit: "mV" },
  rssi: { min: -150, max: 20, integer: true, unit: "dBm" },
} as const;
type OptionalField = keyof typeof OPTIONAL_FIELDS;

export function sentValue(v: unknown): SentValue {
  if (v === null || typeof v === "number" || typeof v === "boolean") return v;
  if (typeof v === "string") return v.slice(0, 64);
  return JSON.stringify(v).slice(0, 64);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

type Checked =
  | { ok: true; reading: AcceptedReading }
  | { ok: false; reason: ReadingRefusal; message: string };

function refusal(reason: ReadingRefusal, message: string): Checked {
  return { ok: false, reason, message };
}

/** One reading on its own; `index` is only for messages. */
export function checkReading(r: unknown, index: number, nowMs: number): Checked {
  const at = `reading #${index}`;
  if (!isObject(r)) {
    return refusal(
      "not_an_object",
      `${at} is ${sentValue(r)}, not an object: send {"ts":<unix ms>,"temp_c":<number>,"seq":<uint32>}`,
    );
  }
  // for…in first, not Object.keys: no array per reading; own keys decide when it finds another.
  let unknown: readonly string[] = NO_KEYS;
  for (const k in r) {
    if (k !== "ts" && k !== "temp_c" && k !== "seq") {
      unknown = Object.keys(r).filter((key) => !READING_KEYS.has(key));
      break;
    }
  }
  if (unknown.length > 0) {
    return refusal(
      "unknown_key",
      `${at} has unknown key(s) ${unknown
        .slice(0, 3)
        .map((k) => JSON.stringify(k.slice(0, 32)))
        .join(", ")}: a reading holds only ts, temp_c and seq`,
    );
  }
  const t = r.temp_c;
  if (t === undefined || t === null) {
    return refusal(
      "missing_temp",
      `${at} has no temp_c (got ${t === null ? "null" : "none"}): send the temperature in °C`,
    );
  }
  if (typeof t !== "number") {
    return refusal(
      "temp_not_number",
      `${at}: temp_c must be a JSON number, got ${typeof t} ${JSON.stringify(sentValue(t))}: send -19.5, not "-19.5"`,
    );
  }
  // JSON.parse turns 1e400 into Infinity: no store can keep it, no rule can read it.
  if (!Number.isFinite(t)) {
    return refusal(
      "temp_not_finite",
      `${at}: temp_c overflows a 64-bit float (got ${t}): send the value in °C`,
    );
  }
  const ts = r.ts;
  if (ts !== undefined) {
    if (typeof ts !== "number" || !Number.isInteger(ts)) {
      return refusal(
        "ts_not_integer",
        `${at}: ts must be a whole number of milliseconds since 1970-01-01 UTC, got ${JSON.stringify(sentValue(ts))}`,
      );
    }
    if (ts < L.minTsMs) {
      return refusal(
        "ts_before_2020",
        `${at}: ts ${ts} is before 2020-01-01: is the device clock set? (ts is in milliseconds, not seconds)`,
      );
    }
    if (ts > nowMs + L.maxFutureSkewMs) {
      return refusal(
        "future_ts",
        `${at}: ts ${new Date(ts).toISOString()} is ${Math.round((ts - nowMs) / 60_000)} min ahead of the server clock (allowed ${L.maxFutureSkewMs / 60_000}): set the device clock (NTP)`,
      );
    }
  }
  const seq = r.seq;
  if (seq !== undefined && (typeof seq !== "number" || !Number.isInteger(seq) || seq < 0 || seq > L.maxSeq)) {
    return refusal(
      "seq_invalid",
      `${at}: seq must be a whole number 0…${L.maxSeq}, got ${JSON.stringify(sentValue(seq))}: omit it if the device does not count`,
    );
  }
  const fault = !isPlausibleTempC(t);
  // The usual reading (ts and seq) without the spreads: this runs once per reading.
  const reading: AcceptedReading =
    ts !== undefined && seq !== undefined
      ? { index, ts, temp_c: t, seq, fault }
      : { index, ...(ts !== undefined && { ts }), temp_c: t, ...(seq !== undefined && { seq }), fault };
  return { ok: true, reading };
}

function checkField(field: OptionalField, v: unknown): { ok: true; value: number } | DroppedField {
  const spec = OPTIONAL_FIELDS[field];
  if (typeof v !== "number" || !Number.isFinite(v) || (spec.integer && !Number.isInteger(v))) {
    return {
      field,
      value: sentValue(v),
      reason: "not_a_number",
      message: `${field} must be a ${spec.integer ? "whole " : ""}number of ${spec.unit}, got ${JSON.stringify(sentValue(v))}: dropped, the readings were kept`,
    };
  }
  if (v < spec.min || v > spec.max) {
    return {
      field,
      value: v,
      reason: "out_of_range",
      message: `${field} must be ${spec.min}…${spec.max} ${spec.unit}, got ${v}: dropped, the readings were kept`,
    };
  }
  return { ok: true, value: v };
}

/**
 * Decodes a readings payload for the server; never throws. Refused whole (`ok: false`, reasons as
 * `decodeReadingsPayload`): too large, not UTF-8, not JSON, not an object, no `readings` array, an
 * empty one, or more than 500 readings. Otherwise `ok: true`, even when every reading was refused.
 */
export function decodeReadingsTolerant(payload: Uint8Array, nowMs: number): Decoded<TolerantReadings> {
  const j = decodedJson(payload);
  if (!j.ok) return j;
  const m = j.value;
  if (!isObject(m)) {
    return {
      ok: false,
      reason: "invalid",
      message: `payload must be a JSON object {"readings":[…]}, got ${JSON.stringify(sentValue(m))}`,
    };
  }
  const list = m.readings;
  if (!Array.isArray(list)) {
    return {
      ok: false,
      reason: "invalid",
      message: `readings must be an array of readings, got ${list === undefined ? "none" : JSON.stringify(sentValue(list))}`,
    };
  }
  if (list.length === 0 || list.length > L.maxReadingsPerMessage) {
    return {
      ok: false,
      reason: "invalid",
      message: `readings must hold 1…${L.maxReadingsPerMessage} readings, got ${list.length}: split a replayed buffer into messages of at most ${L.maxReadingsPerMessage}`,
    };
  }

  const out: TolerantReadings = { readings: [], refused: [], identicalDuplicates: 0, droppedFields: [] };
  const byTs = new Map<number, AcceptedReading>();
  for (let index = 0; index < list.length; index++) {
    const r: unknown = list[index];
    const c = checkReading(r, index, nowMs);
    if (!c.ok) {
      const sent = isObject(r) ? r : {};
      out.refused.push({
        index,
        ...("ts" in sent && { ts: sentValue(sent.ts) }),
        ...("temp_c" in sent && { temp_c: sentValue(sent.temp_c) }),
        reason: c.reason,
        message: c.message,
      });
      continue;
    }
    const { reading } = c;
    if (reading.ts !== undefined) {
      const first = byTs.get(reading.ts);
      if (first) {
        if (first.temp_c === reading.temp_c) out.identicalDuplicates += 1;
        else {
          out.refused.push({
            index,
            ts: reading.ts,
            temp_c: reading.temp_c,
            reason: "conflicting_duplicate",
            message: `reading #${index} repeats ts ${reading.ts} of reading #${first.index} with another temp_c (${reading.temp_c} °C, first said ${first.temp_c} °C): kept the first; each reading needs its own timestamp`,
          });
        }
        continue;
      }
      byTs.set(reading.ts, reading);
    }
    out.readings.push(reading);
  }

  for (const [key, v] of Object.entries(m)) {
    if (key === "readings") continue;
    if (!Object.hasOwn(OPTIONAL_FIELDS, key)) {
      out.droppedFields.push({
        field: key.slice(0, 32),
        value: sentValue(v),
        reason: "unknown_field",
        message: `unknown message field ${JSON.stringify(key.slice(0, 32))}: dropped; a message holds readings, battery_pct, battery_mv and rssi`,
      });
      continue;
    }
    const field = key as OptionalField;
    const f = checkField(field, v);
    if ("ok" in f) out[field] = f.value;
    else out.droppedFields.push(f);
  }
  return { ok: true, value: out };
}

export interface TolerantPlainValue {
  temp_c: number;
  fault: boolean;
}

/**
 * Decodes a plain-value payload (`-18.5`) for the server; never throws. A bare finite number out of
 * the plausible range is kept as a sensor-fault marker; anything else is refused.
 */
export function decodePlainValueTolerant(payload: Uint8Array): Decoded<TolerantPlainValue> {
  const n = decodedPlainNumber(payload);
  if (!n.ok) return n;
  const v = n.value;
  if (!Number.isFinite(v)) {
    return {
      ok: false,
      reason: "invalid",
      message: `plain value ${v} overflows a 64-bit float: send the temperature in °C`,
    };
  }
  return { ok: true, value: { temp_c: v, fault: !isPlausibleTempC(v) } };
}
