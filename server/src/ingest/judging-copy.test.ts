import { describe, expect, it } from "vitest";
import { readingsForJudging } from "./judging-copy.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const msg = (topic: string, payload: string, retained = false) => ({
  topic,
  payload: bytes(payload),
  username: null,
  clientId: null,
  retained,
});
const known = (id: string) => id === "probe-1";
const AT = Date.UTC(2026, 10, 30, 12);

describe("readingsForJudging", () => {
  it("gives a readings message's readings, with the arrival time, as ingest would journal them", () => {
    const got = readingsForJudging(
      msg(
        "coldtrail/v1/probes/probe-1/readings",
        JSON.stringify({ readings: [{ ts: AT - 60_000, temp_c: -19, seq: 4 }] }),
      ),
      known,
      AT,
    );
    expect(got).toEqual([
      { probeId: "probe-1", tsMs: AT - 60_000, tempC: -19, seq: 4, serverTimed: false, receivedMs: AT },
    ]);
  });

  it("stamps a plain value with its arrival time, and ignores a retained one", () => {
    expect(readingsForJudging(msg("coldtrail/v1/probes/probe-1/temp_c", "-18.5"), known, 7000)).toEqual([
      { probeId: "probe-1", tsMs: 7000, tempC: -18.5, seq: null, serverTimed: true, receivedMs: 7000 },
    ]);
    expect(readingsForJudging(msg("coldtrail/v1/probes/probe-1/temp_c", "-18.5", true), known, 7000)).toEqual(
      [],
    );
  });

  it("gives nothing for an unknown probe, a status message, a bad topic or an unreadable payload", () => {
    const readings = JSON.stringify({ readings: [{ ts: AT, temp_c: -19 }] });
    expect(readingsForJudging(msg("coldtrail/v1/probes/probe-9/readings", readings), known, 1)).toEqual([]);
    expect(
      readingsForJudging(msg("coldtrail/v1/probes/probe-1/status", '{"state":"online"}'), known, 1),
    ).toEqual([]);
    expect(readingsForJudging(msg("elsewhere/probe-1/readings", readings), known, 1)).toEqual([]);
    expect(readingsForJudging(msg("coldtrail/v1/probes/probe-1/readings", "{not json"), known, 1)).toEqual(
      [],
    );
  });
});
