import { decodeReadingsPayload, readingsTopic } from "@coldtrail/firmware-bridge/protocol";
import { describe, expect, it } from "vitest";
import {
  createProbeDevice,
  type DeviceMessage,
  deviceClockMs,
  flushProbe,
  type ProbeDeviceConfig,
  type ProbeDeviceState,
  sampleProbe,
  setProbeOnline,
} from "./probe-device.js";

const T0 = Date.UTC(2026, 4, 3, 12, 0, 0);
const MIN = 60_000;

function run(config: Partial<ProbeDeviceConfig>, n: number, offlineFrom = -1, offlineTo = -1) {
  let s = createProbeDevice({ probeId: "sim-test-1", intervalMs: MIN, seed: 7, ...config }, T0);
  const messages: DeviceMessage[] = [];
  for (let i = 0; i < n; i++) {
    const t = T0 + i * MIN;
    if (i === offlineFrom) s = setProbeOnline(s, false, t).state;
    if (i === offlineTo) {
      const o = setProbeOnline(s, true, t);
      s = o.state;
      messages.push(...o.messages);
    }
    const o = sampleProbe(s, t, -19 + Math.sin(i / 10));
    s = o.state;
    messages.push(...o.messages);
  }
  return { state: s, messages };
}

const encode = (m: DeviceMessage) => new TextEncoder().encode(JSON.stringify(m.payload));

describe("virtual probe", () => {
  it("sends one reading a wake, quantized to 0.0625 °C, seq increasing, on its own topic", () => {
    const { messages } = run({}, 10);
    expect(messages).toHaveLength(10);
    const readings = messages.flatMap((m) => m.payload.readings);
    expect(readings.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of readings) expect(Number.isInteger(r.temp_c * 16)).toBe(true);
    expect(readings.map((r) => r.ts)).toEqual(Array.from({ length: 10 }, (_, i) => T0 + i * MIN));
    expect(new Set(messages.map((m) => m.topic))).toEqual(new Set([readingsTopic("sim-test-1")]));
  });

  it("every message passes the wire protocol's decoder", () => {
    const { messages } = run(
      { duplicateProbability: 0.2, reorderProbability: 0.2, publishEvery: 3 },
      2000,
      100,
      1500,
    );
    expect(messages.length).toBeGreaterThan(10);
    for (const m of messages) {
      const d = decodeReadingsPayload(encode(m));
      expect(d.ok, d.ok ? "" : d.message).toBe(true);
    }
  });

  it("stays within ±0.5 °C of the true temperature (datasheet accuracy) plus one step", () => {
    for (let seed = 1; seed < 30; seed++) {
      const { messages } = run({ seed }, 20);
      for (const [i, m] of messages.entries()) {
        const trueC = -19 + Math.sin(i / 10);
        expect(Math.abs(m.payload.readings[0]!.temp_c - trueC)).toBeLessThanOrEqual(0.5 + 0.0625 + 0.1);
      }
    }
  });

  it("buffers while Wi-Fi is down and replays oldest first in batches of at most 500", () => {
    const { messages, state } = run({}, 1400, 100, 1300);
    const replay = messages.filter((m) => m.payload.readings.length > 1);
    expect(replay.map((m) => m.payload.readings.length)).toEqual([500, 500, 200]);
    expect(replay.every((m) => m.sentAtMs === T0 + 1300 * MIN)).toBe(true);
    const seqs = messages.flatMap((m) => m.payload.readings.map((r) => r.seq));
    expect(seqs).toEqual(Array.from({ length: 1400 }, (_, i) => i)); // nothing lost, in order
    expect(state.dropped).toBe(0);
  });

  it("drops the oldest readings when the buffer overflows, and counts them", () => {
    const { messages, state } = run({ bufferCapacity: 300 }, 1000, 0, 900);
    const seqs = messages.flatMap((m) => m.payload.readings.map((r) => r.seq));
    expect(seqs[0]).toBe(600);
    expect(state.dropped).toBe(600);
  });

  it("duplicates and reorders messages when asked to, deterministically by seed", () => {
    const a = run({ duplicateProbability: 0.3, reorderProbability: 0.3 }, 200);
    const b = run({ duplicateProbability: 0.3, reorderProbability: 0.3 }, 200);
    expect(b.messages).toEqual(a.messages);
    const firstSeqs = a.messages.map((m) => m.payload.readings[0]!.seq!);
    expect(firstSeqs.length).toBeGreaterThan(200); // duplicates
    const outOfOrder = firstSeqs.filter((s, i) => i > 0 && s < firstSeqs[i - 1]!).length;
    expect(outOfOrder).toBeGreaterThan(10);
    expect(new Set(firstSeqs).size).toBeGreaterThanOrEqual(199); // at most the last is still held back
    const clean = run({}, 200);
    expect(clean.messages.map((m) => m.payload.readings[0]!.seq)).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  it("a held-back message goes out on flush", () => {
    let s: ProbeDeviceState = createProbeDevice(
      { probeId: "sim-test-1", intervalMs: MIN, seed: 1, reorderProbability: 1 },
      T0,
    );
    const o = sampleProbe(s, T0, -19);
    expect(o.messages).toEqual([]);
    s = o.state;
    const f = flushProbe(s, T0 + 1);
    expect(f.messages.map((m) => m.payload.readings[0]!.seq)).toEqual([0]);
  });

  it("stamps readings with a drifting clock", () => {
    const s = createProbeDevice(
      { probeId: "sim-test-1", intervalMs: MIN, seed: 1, clockDriftPpm: 50, clockOffsetMs: 1500 },
      T0,
    );
    expect(deviceClockMs(s, T0)).toBe(T0 + 1500);
    expect(deviceClockMs(s, T0 + 86_400_000)).toBe(T0 + 86_400_000 + 1500 + 4320); // 50 ppm of a day
  });

  it("a device without a clock omits ts", () => {
    const { messages } = run({ hasClock: false }, 2);
    expect(messages[0]!.payload.readings[0]).not.toHaveProperty("ts");
  });

  it("drains its battery with every wake and publish, and reports it", () => {
    const { messages } = run({ initialBatteryPct: 50, intervalMs: MIN }, 3000);
    const first = messages[0]!.payload;
    const last = messages.at(-1)!.payload;
    expect(first.battery_pct).toBe(50);
    expect(last.battery_pct!).toBeLessThan(first.battery_pct!);
    expect(last.battery_mv!).toBeLessThan(first.battery_mv!);
    expect(first.battery_mv).toBe(3750);
  });

  it("seq wraps around at 2^32", () => {
    const { messages } = run({ firstSeq: 0xffff_fffe }, 3);
    expect(messages.map((m) => m.payload.readings[0]!.seq)).toEqual([0xffff_fffe, 0xffff_ffff, 0]);
  });
});
