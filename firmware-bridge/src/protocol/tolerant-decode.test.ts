import { describe, expect, it } from "vitest";
import { PROTOCOL_LIMITS as L } from "./limits.js";
import { decodePlainValueTolerant, decodeReadingsTolerant, sentValue } from "./tolerant-decode.js";

const NOW = Date.UTC(2026, 4, 3, 12, 0, 0);
const T = NOW - 3_600_000;
const enc = new TextEncoder();
const decode = (m: unknown) => decodeReadingsTolerant(enc.encode(JSON.stringify(m)), NOW);
const one = (reading: unknown) => decode({ readings: [reading] });

describe("decodeReadingsTolerant: refused whole only when the message cannot be read", () => {
  it.each([
    ["not JSON", enc.encode("hello"), "not_json"],
    ["NaN literal", enc.encode('{"readings":[{"ts":1,"temp_c":NaN}]}'), "not_json"],
    ["bad UTF-8", Uint8Array.from([0x7b, 0xff, 0x7d]), "not_utf8"],
    ["over the size limit", new Uint8Array(L.maxPayloadBytes + 1).fill(0x20), "too_large"],
    ["JSON null", enc.encode("null"), "invalid"],
    ["a number", enc.encode("-19.5"), "invalid"],
    ["an array", enc.encode("[]"), "invalid"],
    ["no readings key", enc.encode('{"temp_c":-19.5}'), "invalid"],
    ["readings an object", enc.encode('{"readings":{"ts":1,"temp_c":2}}'), "invalid"],
    ["readings empty", enc.encode('{"readings":[]}'), "invalid"],
  ])("%s → %s", (_name, bytes, reason) => {
    const r = decodeReadingsTolerant(bytes, NOW);
    expect(r).toMatchObject({ ok: false, reason });
    if (!r.ok) expect(r.message.length).toBeGreaterThan(15);
  });

  it("accepts 500 readings and refuses 501 whole, naming the count and the limit", () => {
    const make = (n: number) => ({
      readings: Array.from({ length: n }, (_, i) => ({ ts: T + i * 1000, temp_c: -19 })),
    });
    const ok = decode(make(500));
    expect(ok.ok && ok.value.readings.length).toBe(500);
    expect(decode(make(501))).toEqual({
      ok: false,
      reason: "invalid",
      message:
        "readings must hold 1…500 readings, got 501: split a replayed buffer into messages of at most 500",
    });
  });
});

describe("decodeReadingsTolerant: sensor-fault markers are kept raw", () => {
  it("a 500-reading message with one −127 keeps all 500, the −127 marked as a fault", () => {
    const readings = Array.from({ length: 500 }, (_, i) => ({ ts: T + i * 1000, temp_c: -19.5, seq: i }));
    readings[250] = { ts: T + 250_000, temp_c: -127, seq: 250 };
    const r = decode({ readings });
    if (!r.ok) throw new Error(r.message);
    expect(r.value.readings).toHaveLength(500);
    expect(r.value.refused).toEqual([]);
    expect(r.value.readings.filter((x) => x.fault)).toEqual([
      { index: 250, ts: T + 250_000, temp_c: -127, seq: 250, fault: true },
    ]);
  });

  it.each([
    [-127, true],
    [-300, true],
    [6553.5, true],
    [1e308, true],
    [-1e308, true],
    [L.minTempC - 0.001, true],
    [L.maxTempC + 0.001, true],
    [L.minTempC, false],
    [L.maxTempC, false],
    [85, false],
    [0, false],
  ])("temp_c %d → fault %s", (temp_c, fault) => {
    expect(one({ ts: T, temp_c })).toEqual({
      ok: true,
      value: {
        readings: [{ index: 0, ts: T, temp_c, fault }],
        refused: [],
        identicalDuplicates: 0,
        droppedFields: [],
      },
    });
  });
});

describe("decodeReadingsTolerant: a reading that cannot be a reading is refused alone", () => {
  it.each([
    ["temp_c missing", { ts: T }, "missing_temp", "has no temp_c"],
    ["temp_c null", { ts: T, temp_c: null }, "missing_temp", "got null"],
    ["temp_c a string", { ts: T, temp_c: "-19.5" }, "temp_not_number", 'got string "-19.5"'],
    ["temp_c a boolean", { ts: T, temp_c: true }, "temp_not_number", "got boolean true"],
    ["temp_c an object", { ts: T, temp_c: { v: 1 } }, "temp_not_number", "got object"],
    ["ts fractional", { ts: T + 0.5, temp_c: -19 }, "ts_not_integer", String(T + 0.5)],
    ["ts a string", { ts: String(T), temp_c: -19 }, "ts_not_integer", `"${T}"`],
    ["ts null", { ts: null, temp_c: -19 }, "ts_not_integer", "null"],
    [
      "ts in seconds",
      { ts: Math.floor(T / 1000), temp_c: -19 },
      "ts_before_2020",
      "milliseconds, not seconds",
    ],
    ["ts just before 2020", { ts: L.minTsMs - 1, temp_c: -19 }, "ts_before_2020", "before 2020-01-01"],
    [
      "ts too far ahead",
      { ts: NOW + L.maxFutureSkewMs + 1, temp_c: -19 },
      "future_ts",
      "set the device clock",
    ],
    ["seq negative", { ts: T, temp_c: -19, seq: -1 }, "seq_invalid", "got -1"],
    ["seq over uint32", { ts: T, temp_c: -19, seq: L.maxSeq + 1 }, "seq_invalid", "4294967296"],
    ["seq fractional", { ts: T, temp_c: -19, seq: 1.5 }, "seq_invalid", "1.5"],
    ["seq a string", { ts: T, temp_c: -19, seq: "1" }, "seq_invalid", '"1"'],
    ["unknown key", { ts: T, temp: -19 }, "unknown_key", '"temp"'],
    ["unknown key beside good ones", { ts: T, temp_c: -19, unit: "C" }, "unknown_key", '"unit"'],
    ["a number", -19.5, "not_an_object", "-19.5"],
    ["null", null, "not_an_object", "null"],
    ["an array", [T, -19.5], "not_an_object", "[1777806000000,-19.5]"],
  ])("%s → %s", (_name, reading, reason, mentions) => {
    const r = decode({
      readings: [{ ts: T - 60_000, temp_c: -20 }, reading, { ts: T + 60_000, temp_c: -21 }],
    });
    if (!r.ok) throw new Error(r.message);
    expect(r.value.readings.map((x) => x.index)).toEqual([0, 2]);
    expect(r.value.refused).toHaveLength(1);
    expect(r.value.refused[0]).toMatchObject({ index: 1, reason });
    expect(r.value.refused[0]?.message).toContain("reading #1");
    expect(r.value.refused[0]?.message).toContain(mentions);
  });

  it("1e400 parses to Infinity and is refused: no store can keep it", () => {
    const r = decodeReadingsTolerant(enc.encode(`{"readings":[{"ts":${T},"temp_c":1e400}]}`), NOW);
    expect(r.ok && r.value.refused).toEqual([
      {
        index: 0,
        ts: T,
        temp_c: Number.POSITIVE_INFINITY,
        reason: "temp_not_finite",
        message: "reading #0: temp_c overflows a 64-bit float (got Infinity): send the value in °C",
      },
    ]);
  });

  it("keeps ts and temp_c as sent in the refusal, cut short, and leaves out keys not sent", () => {
    const long = "x".repeat(500);
    const r = decode({
      readings: [{ ts: long, temp_c: -19 }, { temp_c: { deep: [1, 2, 3] } }, 7, { ts: T }],
    });
    if (!r.ok) throw new Error(r.message);
    expect(r.value.refused.map(({ message: _, ...rest }) => rest)).toEqual([
      { index: 0, ts: "x".repeat(64), temp_c: -19, reason: "ts_not_integer" },
      { index: 1, temp_c: '{"deep":[1,2,3]}', reason: "temp_not_number" },
      { index: 2, reason: "not_an_object" },
      { index: 3, ts: T, reason: "missing_temp" },
    ]);
    expect(r.value.readings).toEqual([]);
  });

  it("accepts the boundaries: ts at 2020-01-01, ts exactly at the skew allowance, seq 0 and 2^32−1", () => {
    const r = decode({
      readings: [
        { ts: L.minTsMs, temp_c: -19, seq: 0 },
        { ts: NOW + L.maxFutureSkewMs, temp_c: -19, seq: L.maxSeq },
        { temp_c: 4 },
      ],
    });
    expect(r).toEqual({
      ok: true,
      value: {
        readings: [
          { index: 0, ts: L.minTsMs, temp_c: -19, seq: 0, fault: false },
          { index: 1, ts: NOW + L.maxFutureSkewMs, temp_c: -19, seq: L.maxSeq, fault: false },
          { index: 2, temp_c: 4, fault: false },
        ],
        refused: [],
        identicalDuplicates: 0,
        droppedFields: [],
      },
    });
  });
});

describe("decodeReadingsTolerant: duplicates within a message", () => {
  it("stores an identical duplicate once and counts it, whatever its seq", () => {
    const r = decode({
      readings: [
        { ts: T, temp_c: -19.5, seq: 1 },
        { ts: T, temp_c: -19.5, seq: 1 },
        { ts: T, temp_c: -19.5, seq: 9 },
        { ts: T + 1000, temp_c: 0 },
        { ts: T + 1000, temp_c: -0 },
      ],
    });
    if (!r.ok) throw new Error(r.message);
    expect(r.value.readings.map((x) => x.index)).toEqual([0, 3]);
    expect(r.value.identicalDuplicates).toBe(3);
    expect(r.value.refused).toEqual([]);
  });

  it("keeps the first of a conflicting pair and refuses the others, naming both values", () => {
    const r = decode({
      readings: [
        { ts: T, temp_c: -19.5 },
        { ts: T, temp_c: -12 },
        { ts: T + 1000, temp_c: -19 },
        { ts: T, temp_c: -127 },
      ],
    });
    if (!r.ok) throw new Error(r.message);
    expect(r.value.readings.map((x) => [x.index, x.temp_c])).toEqual([
      [0, -19.5],
      [2, -19],
    ]);
    expect(r.value.refused).toEqual([
      {
        index: 1,
        ts: T,
        temp_c: -12,
        reason: "conflicting_duplicate",
        message: `reading #1 repeats ts ${T} of reading #0 with another temp_c (-12 °C, first said -19.5 °C): kept the first; each reading needs its own timestamp`,
      },
      expect.objectContaining({ index: 3, temp_c: -127, reason: "conflicting_duplicate" }),
    ]);
  });

  it("a refused reading does not claim its timestamp: a later good one at that ts is kept", () => {
    const r = decode({
      readings: [
        { ts: T, temp_c: "x" },
        { ts: T, temp_c: -19 },
      ],
    });
    expect(r.ok && r.value.readings.map((x) => x.index)).toEqual([1]);
    expect(r.ok && r.value.refused.map((x) => x.reason)).toEqual(["temp_not_number"]);
  });
});

describe("decodeReadingsTolerant: optional fields are dropped alone", () => {
  it("keeps good fields and drops bad and unknown ones with a reason", () => {
    const r = decode({
      readings: [{ ts: T, temp_c: -19 }],
      battery_pct: 150,
      battery_mv: 3950,
      rssi: "x",
      fw: "1.2",
    });
    if (!r.ok) throw new Error(r.message);
    expect(r.value).toMatchObject({ battery_mv: 3950, readings: [{ index: 0 }] });
    expect(r.value.battery_pct).toBeUndefined();
    expect(r.value.rssi).toBeUndefined();
    expect(r.value.droppedFields).toEqual([
      {
        field: "battery_pct",
        value: 150,
        reason: "out_of_range",
        message: "battery_pct must be 0…100 %, got 150: dropped, the readings were kept",
      },
      {
        field: "rssi",
        value: "x",
        reason: "not_a_number",
        message: 'rssi must be a whole number of dBm, got "x": dropped, the readings were kept',
      },
      {
        field: "fw",
        value: "1.2",
        reason: "unknown_field",
        message:
          'unknown message field "fw": dropped; a message holds readings, battery_pct, battery_mv and rssi',
      },
    ]);
  });

  it.each([
    ["battery_pct", 0, true],
    ["battery_pct", 100, true],
    ["battery_pct", 87.5, true],
    ["battery_pct", -1, false],
    ["battery_mv", 20_000, true],
    ["battery_mv", 20_001, false],
    ["battery_mv", 3950.5, false],
    ["rssi", -150, true],
    ["rssi", 20, true],
    ["rssi", 21, false],
    ["rssi", null, false],
  ])("%s %s kept: %s", (field, value, kept) => {
    const r = decode({ readings: [{ ts: T, temp_c: -19 }], [field]: value });
    if (!r.ok) throw new Error(r.message);
    expect(r.value.readings).toHaveLength(1);
    expect((r.value as unknown as Record<string, unknown>)[field]).toBe(kept ? value : undefined);
    expect(r.value.droppedFields.map((d) => d.field)).toEqual(kept ? [] : [field]);
  });
});

describe("decodePlainValueTolerant", () => {
  it.each([
    ["-18.25", -18.25, false],
    ["3.9\n", 3.9, false],
    ["-127", -127, true],
    ["6553.5", 6553.5, true],
    ["1e308", 1e308, true],
    ["85", 85, false],
  ])("%j → %d (fault %s)", (text, temp_c, fault) => {
    expect(decodePlainValueTolerant(enc.encode(text))).toEqual({ ok: true, value: { temp_c, fault } });
  });

  it.each([
    ["cold", "not_json"],
    ["0x10", "not_json"],
    ["", "not_json"],
    ["nan", "not_json"],
    ["1e400", "invalid"],
    ["-1e400", "invalid"],
  ])("%j → refused %s", (text, reason) => {
    expect(decodePlainValueTolerant(enc.encode(text))).toMatchObject({ ok: false, reason });
  });
});

describe("sentValue", () => {
  it("keeps scalars, cuts strings and JSON of objects to 64 characters", () => {
    expect(sentValue(-19.5)).toBe(-19.5);
    expect(sentValue(null)).toBe(null);
    expect(sentValue(false)).toBe(false);
    expect(sentValue("a".repeat(100))).toBe("a".repeat(64));
    expect(sentValue({ a: "b".repeat(100) })).toBe(`{"a":"${"b".repeat(58)}`);
    expect(sentValue([1, 2])).toBe("[1,2]");
  });
});
