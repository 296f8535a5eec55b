import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePlainValuePayload, decodeReadingsPayload, decodeStatusPayload } from "./decode.js";
import { PROTOCOL_LIMITS } from "./limits.js";
import { decodePlainValueTolerant, decodeReadingsTolerant } from "./tolerant-decode.js";
import { parseProbeTopic, plainValueTopic, readingsTopic, statusTopic } from "./topics.js";
import vectors from "./vectors/messages.json" with { type: "json" };

const enc = new TextEncoder();

function decodeFor(topic: string, payload: Uint8Array) {
  const t = parseProbeTopic(topic);
  if (!t.ok) throw new Error(t.message);
  if (t.kind === "readings") return decodeReadingsPayload(payload);
  if (t.kind === "temp_c") return decodePlainValuePayload(payload);
  return decodeStatusPayload(payload);
}

/** What the server does with a vector, in the vectors' own terms. */
function serverOutcome(topic: string, payload: Uint8Array): unknown {
  const t = parseProbeTopic(topic);
  if (!t.ok) throw new Error(t.message);
  if (t.kind === "status") {
    const s = decodeStatusPayload(payload);
    return s.ok ? { status: s.value } : { refused: s.reason };
  }
  if (t.kind === "temp_c") {
    const p = decodePlainValueTolerant(payload);
    return p.ok ? { stored: [p.value] } : { refused: p.reason };
  }
  const r = decodeReadingsTolerant(payload, vectors.now_ms);
  if (!r.ok) return { refused: r.reason };
  return {
    stored: r.value.readings,
    refusedReadings: r.value.refused.map(({ index, reason }) => ({ index, reason })),
    identicalDuplicates: r.value.identicalDuplicates,
    droppedFields: r.value.droppedFields.map(({ field, reason }) => ({ field, reason })),
  };
}

const bytesOf = (v: { payload?: string; payload_hex?: string }) =>
  v.payload_hex ? Buffer.from(v.payload_hex, "hex") : enc.encode(v.payload);

describe("protocol vectors, strict (what a device should send)", () => {
  for (const v of vectors.vectors) {
    it(`${v.name} → ${v.strict}`, () => {
      const r = decodeFor(v.topic, bytesOf(v));
      if (v.strict === "ok") expect(r).toMatchObject({ ok: true });
      else expect(r).toMatchObject({ ok: false, reason: v.strict });
      if (!r.ok) expect(r.message.length).toBeGreaterThan(10);
    });
  }
});

describe("protocol vectors, server (tolerant per reading)", () => {
  for (const v of vectors.vectors) {
    it(v.name, () => {
      const got = serverOutcome(v.topic, bytesOf(v));
      const want =
        "refused" in v.server || "status" in v.server || v.topic.endsWith("/temp_c")
          ? v.server
          : {
              refusedReadings: [],
              identicalDuplicates: 0,
              droppedFields: [],
              ...v.server,
            };
      expect(got).toEqual(want);
    });
  }
});

describe("topics", () => {
  it("builds and parses each kind", () => {
    expect(parseProbeTopic(readingsTopic("p-01"))).toEqual({ ok: true, probeId: "p-01", kind: "readings" });
    expect(parseProbeTopic(plainValueTopic("p_02"))).toEqual({ ok: true, probeId: "p_02", kind: "temp_c" });
    expect(parseProbeTopic(statusTopic("P03"))).toEqual({ ok: true, probeId: "P03", kind: "status" });
  });
  it.each([
    "coldtrail/v1/probes/ab/readings",
    "coldtrail/v1/probes/has space/readings",
    `coldtrail/v1/probes/${"x".repeat(65)}/readings`,
    "coldtrail/v2/probes/p-01/readings",
    "coldtrail/v1/probes/p-01/humidity",
    "coldtrail/v1/probes/p-01/readings/extra",
    "coldtrail/v1/probes/p,01/readings",
  ])("refuses %s", (topic) => {
    expect(parseProbeTopic(topic)).toMatchObject({ ok: false, reason: "bad_topic" });
  });
  it("answers as splitting the topic on / and checking each part would (same reasons and messages)", () => {
    // The parser scans the topic for speed; this is the plain version it must agree with.
    const bySplit = (topic: string) => {
      const parts = topic.split("/");
      if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== "coldtrail/v1" || parts[2] !== "probes")
        return `topic must be coldtrail/v1/probes/{probeId}/{readings|temp_c|status}, got "${topic.slice(0, 120)}"`;
      const [, , , id = "", kind = ""] = parts;
      if (!/^[A-Za-z0-9_-]{3,64}$/.test(id))
        return `probe id must be 3-64 characters of [A-Za-z0-9_-], got "${id.slice(0, 80)}"`;
      if (!["readings", "temp_c", "status"].includes(kind))
        return `topic kind must be readings, temp_c or status, got "${kind.slice(0, 40)}"`;
      return { ok: true, probeId: id, kind };
    };
    const piece = fc.constantFrom(
      "coldtrail",
      "v1",
      "v2",
      "probes",
      "p-01",
      "ab",
      "",
      "readings",
      "temp_c",
      "status",
      "x/y",
    );
    const topic = fc.oneof(
      fc.array(piece, { maxLength: 7 }).map((p) => p.join("/")),
      fc.string(),
    );
    fc.assert(
      fc.property(topic, (t) => {
        const r = parseProbeTopic(t);
        expect(r.ok ? r : r.message).toEqual(bySplit(t));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("limits", () => {
  it("accepts 500 readings and refuses 501", () => {
    const make = (n: number) =>
      enc.encode(
        JSON.stringify({
          readings: Array.from({ length: n }, (_, i) => ({
            ts: 1_777_816_800_000 + i * 60_000,
            temp_c: -19,
            seq: i,
          })),
        }),
      );
    expect(decodeReadingsPayload(make(500)).ok).toBe(true);
    expect(decodeReadingsPayload(make(501))).toMatchObject({ ok: false, reason: "invalid" });
  });
  it("refuses an oversized payload without parsing it", () => {
    const big = new Uint8Array(PROTOCOL_LIMITS.maxPayloadBytes + 1).fill(0x20);
    expect(decodeReadingsPayload(big)).toMatchObject({ ok: false, reason: "too_large" });
  });
});
