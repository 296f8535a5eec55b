/**
 * Readings as InfluxDB line protocol, the body of the v1 `/write?precision=ms` endpoint:
 *   reading,probe_id=<tag value> temp_c=<float>[,seq=<int>i] <ms>
 * Schema from DESIGN.md "Storage". Pure; the store sends the text.
 *
 * Escaping (https://docs.influxdata.com/influxdb/v1.6/write_protocols/line_protocol_reference/):
 * in a tag value `,`, `=` and space are escaped with a backslash. A backslash itself has no
 * escape that every InfluxDB reads the same way (1.6 keeps `\\` as two characters and refuses
 * a value ending in `\`, checked against influxd 1.6.7), and nothing can carry a line break
 * inside a value. So a probe id with a backslash or line break is refused, never sent: no probe
 * id can end a tag early or start another point. NUL is refused too: influxd stores it, but no
 * InfluxQL literal can name it afterwards (see influxql.ts).
 */
import type { Reading } from "../reading.js";

export type EncodeResult = { ok: true; body: string } | { ok: false; reason: string };
export type EncodeLinesResult = { ok: true; lines: string[] } | { ok: false; reason: string };
export type TagValueResult = { ok: true; text: string } | { ok: false; reason: string };

/** Ids as the wire protocol allows them (DESIGN.md: `[A-Za-z0-9_-]`), and MAC-style ids, need no escaping. */
const PLAIN_TAG_VALUE = /^[A-Za-z0-9_.:-]+$/;
const NEEDS_ESCAPE = /[, =]/g;
const UNWRITABLE = /[\\\n\r\0]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function encodeTagValue(value: string): TagValueResult {
  if (PLAIN_TAG_VALUE.test(value)) return { ok: true, text: value };
  if (value === "") {
    // InfluxDB drops a tag with an empty value, which would store the reading under no probe.
    return { ok: false, reason: "probe id is empty; InfluxDB cannot store an empty tag value" };
  }
  if (UNWRITABLE.test(value)) {
    return {
      ok: false,
      reason: `probe id ${JSON.stringify(value)} contains a backslash, line break or NUL, which InfluxDB line protocol cannot carry in a tag value`,
    };
  }
  if (LONE_SURROGATE.test(value)) {
    return {
      ok: false,
      reason: `probe id ${JSON.stringify(value)} is not well-formed Unicode (a lone surrogate)`,
    };
  }
  return { ok: true, text: value.replace(NEEDS_ESCAPE, "\\$&") };
}

/** One line per reading, `\n`-separated; refuses the whole batch if any reading cannot be written exactly. */
export function encodeReadings(batch: readonly Reading[]): EncodeResult {
  const encoded = encodeReadingLines(batch);
  return encoded.ok ? { ok: true, body: encoded.lines.join("\n") } : encoded;
}

/** As `encodeReadings`, one string per reading, for a caller that splits a batch into requests. */
export function encodeReadingLines(batch: readonly Reading[]): EncodeLinesResult {
  const lines: string[] = new Array(batch.length);
  // `reading,probe_id=<tag> temp_c=` once per probe of the batch (a replay is one probe; a
  // forwarder batch a few, in runs), not once per reading.
  let lastProbe: string | null = null;
  let prefix = "";
  const prefixes = new Map<string, string>();
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i] as Reading;
    if (r.probeId !== lastProbe) {
      let known = prefixes.get(r.probeId);
      if (known === undefined) {
        const tag = encodeTagValue(r.probeId);
        if (!tag.ok) return { ok: false, reason: `reading ${i}: ${tag.reason}` };
        known = `reading,probe_id=${tag.text} temp_c=`;
        prefixes.set(r.probeId, known);
      }
      lastProbe = r.probeId;
      prefix = known;
    }
    if (typeof r.tempC !== "number" || !Number.isFinite(r.tempC)) {
      return {
        ok: false,
        reason: `reading ${i} of probe ${JSON.stringify(r.probeId)}: tempC must be a finite number, got ${r.tempC}`,
      };
    }
    if (!Number.isSafeInteger(r.tsMs)) {
      return {
        ok: false,
        reason: `reading ${i} of probe ${JSON.stringify(r.probeId)}: tsMs must be a whole number of ms, got ${r.tsMs}`,
      };
    }
    if (r.seq === null) {
      lines[i] = `${prefix}${formatFloat(r.tempC)} ${formatMs(r.tsMs)}`;
    } else if (Number.isSafeInteger(r.seq)) {
      lines[i] = `${prefix}${formatFloat(r.tempC)},seq=${r.seq}i ${formatMs(r.tsMs)}`;
    } else {
      return {
        ok: false,
        reason: `reading ${i} of probe ${JSON.stringify(r.probeId)}: seq must be an integer or null, got ${r.seq}`,
      };
    }
  }
  return { ok: true, lines };
}

/**
 * Texts of recent temperatures. A probe reports few distinct values (a DS18B20 steps by 1/16 °C),
 * and turning a float into its shortest decimal is the dearest part of a line; the cache is
 * emptied when it is full, so it stays small whatever arrives.
 */
const floatTexts = new Map<number, string>();
const FLOAT_TEXTS_MAX = 4096;

/**
 * JavaScript's shortest round-trip decimal (`-19.4375`, `1e-7`, `1e+21`), which InfluxDB parses
 * back to the same float64. A whole number stays a float field: only a trailing `i` makes an
 * integer. -0 is written as 0 (a sign on zero means nothing for a temperature).
 */
export function formatFloat(value: number): string {
  let text = floatTexts.get(value);
  if (text === undefined) {
    // The map's keys treat -0 as 0, which is how it is written anyway.
    text = value === 0 ? "0" : String(value);
    if (floatTexts.size >= FLOAT_TEXTS_MAX) floatTexts.clear();
    floatTexts.set(value, text);
  }
  return text;
}

/** The millions of the last timestamp written, and their text: readings of a batch share them. */
let millions = -1;
let millionsText = "";

/**
 * A whole number of ms as decimal text, as `String(ms)` writes it. A timestamp is a double beyond
 * V8's small integers, which it converts slowly; the part above a million (about 17 minutes) is
 * shared by the neighbouring readings, the rest is a small integer.
 */
export function formatMs(ms: number): string {
  if (ms < 1_000_000) return String(ms);
  let high = Math.floor(ms / 1_000_000);
  let low = ms - high * 1_000_000;
  // The division rounds near 2^53: put the remainder back into [0, 1e6).
  if (low < 0) {
    high -= 1;
    low += 1_000_000;
  } else if (low >= 1_000_000) {
    high += 1;
    low -= 1_000_000;
  }
  if (high !== millions) {
    millions = high;
    millionsText = String(high);
  }
  return low >= 100_000 ? millionsText + low : millionsText + String(1_000_000 + low).slice(1);
}
