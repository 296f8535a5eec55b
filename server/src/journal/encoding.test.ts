import { describe, expect, it } from "vitest";
import type { Reading } from "../reading.js";
import { decodeJournalReadings, encodeJournalReadings } from "./encoding.js";

const readings: Reading[] = [
  { probeId: "p-1", tsMs: 1_780_000_000_000, tempC: -19.4375, seq: 7, serverTimed: false },
  { probeId: "p-1", tsMs: 1_780_000_060_000, tempC: 3.5, seq: null, serverTimed: true },
  { probeId: "p-1", tsMs: 1_780_000_120_000, tempC: -127, seq: 0xffff_ffff, serverTimed: false },
  { probeId: "p-1", tsMs: 1_780_000_180_000, tempC: 6553.5, seq: 0, serverTimed: true },
  { probeId: "p-1", tsMs: Number.MAX_SAFE_INTEGER, tempC: 1e-7, seq: 1, serverTimed: false },
];
const withoutProbe = (rs: readonly Reading[]) => rs.map(({ probeId: _p, ...r }) => r);

describe("journal encoding", () => {
  it("reads back every field of what it wrote, in order: seq null and 0, the uint32 maximum, server time", () => {
    const blob = encodeJournalReadings(readings);
    expect(blob.byteLength).toBe(4 + 24 * readings.length);
    expect(decodeJournalReadings(blob)).toEqual({ ok: true, readings: withoutProbe(readings) });
  });

  it("reads the JSON text rows the previous version wrote", () => {
    const old = JSON.stringify(readings.map((r) => [r.tsMs, r.tempC, r.seq, r.serverTimed ? 1 : 0]));
    expect(decodeJournalReadings(old)).toEqual({ ok: true, readings: withoutProbe(readings) });
  });

  it("refuses a damaged row, naming what it saw", () => {
    const blob = encodeJournalReadings(readings);
    expect(decodeJournalReadings(blob.subarray(0, blob.byteLength - 1))).toEqual({
      ok: false,
      reason:
        "journal readings BLOB of 123 bytes is not a 4-byte header plus 24 bytes a reading: the row is damaged",
    });
    const future = Buffer.from(blob);
    future.writeUInt32LE(2, 0);
    expect(decodeJournalReadings(future)).toEqual({
      ok: false,
      reason:
        "journal readings BLOB has format version 2, this server reads version 1: run the coldtrail version that wrote it until its journal is empty",
    });
    expect(decodeJournalReadings("[[1, -19]")).toMatchObject({ ok: false });
    expect(decodeJournalReadings('[["x", -19, null, 0]]')).toEqual({
      ok: false,
      reason: 'journal readings TEXT entry 0 must be [ts, temp_c, seq|null, 0|1], got ["x",-19,null,0]',
    });
    expect(decodeJournalReadings(null)).toEqual({
      ok: false,
      reason: "journal readings must be a BLOB or JSON TEXT, got NULL",
    });
  });
});
