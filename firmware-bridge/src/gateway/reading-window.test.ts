import { describe, expect, it } from "vitest";
import { createReadingWindows, medianReading } from "./reading-window.js";

const T0 = Date.UTC(2026, 4, 3, 14, 0, 0);

describe("medianReading", () => {
  it("takes the lower median sample, with its own time, and the latest battery and rssi", () => {
    const r = medianReading([
      { atMs: T0 + 1000, tempC: -18.2, batteryPct: 90, rssi: -70 },
      { atMs: T0 + 11_000, tempC: 25.0 }, // one odd packet cannot move the median
      { atMs: T0 + 21_000, tempC: -18.4, batteryPct: 89 },
      { atMs: T0 + 31_000, tempC: -18.3, rssi: -65 },
    ]);
    expect(r).toEqual({ tsMs: T0 + 31_000, tempC: -18.3, batteryPct: 89, rssi: -65, samples: 4 });
  });
  it("a single sample is its own median", () => {
    expect(medianReading([{ atMs: T0, tempC: 4 }])).toEqual({ tsMs: T0, tempC: 4, samples: 1 });
  });
});

describe("createReadingWindows", () => {
  it("closes a window when a sample of a later window arrives; windows are clock-aligned", () => {
    const w = createReadingWindows(60_000);
    expect(w.add("p1", { atMs: T0 + 5_000, tempC: -18 }, 0)).toEqual({ kind: "added", closed: null });
    expect(w.add("p1", { atMs: T0 + 59_999, tempC: -19 }, 0)).toEqual({ kind: "added", closed: null });
    const next = w.add("p1", { atMs: T0 + 60_000, tempC: -20 }, 0);
    expect(next).toEqual({ kind: "added", closed: { tsMs: T0 + 59_999, tempC: -19, samples: 2 } });
  });
  it("keeps probes apart", () => {
    const w = createReadingWindows(60_000);
    w.add("a", { atMs: T0, tempC: 1 }, 0);
    w.add("b", { atMs: T0, tempC: 2 }, 0);
    expect(w.add("a", { atMs: T0 + 60_000, tempC: 3 }, 0)).toMatchObject({ closed: { tempC: 1 } });
    expect(w.openCount).toBe(2);
  });
  it("refuses samples of a closed window (late or repeated) instead of making a second reading", () => {
    const w = createReadingWindows(60_000);
    w.add("p", { atMs: T0 + 60_000, tempC: 1 }, 0);
    expect(w.add("p", { atMs: T0 + 1_000, tempC: 1 }, 0)).toEqual({ kind: "late" });
    w.add("p", { atMs: T0 + 120_000, tempC: 1 }, 0);
    expect(w.add("p", { atMs: T0 + 61_000, tempC: 9 }, 0)).toEqual({ kind: "late" });
  });
  it("due() closes a window open for a whole window on the receive clock (the sensor fell silent)", () => {
    const w = createReadingWindows(60_000);
    w.add("p", { atMs: T0 + 1_000, tempC: -18 }, 1_000);
    expect(w.due(60_999)).toEqual([]);
    expect(w.due(61_000)).toEqual([{ probeId: "p", reading: { tsMs: T0 + 1_000, tempC: -18, samples: 1 } }]);
    expect(w.openCount).toBe(0);
    // A straggler of that window is late now, not a second reading for the same minute.
    expect(w.add("p", { atMs: T0 + 2_000, tempC: -18 }, 62_000)).toEqual({ kind: "late" });
  });
  it("flushAll() closes everything", () => {
    const w = createReadingWindows(60_000);
    w.add("a", { atMs: T0, tempC: 1 }, 0);
    w.add("b", { atMs: T0, tempC: 2 }, 0);
    expect(w.flushAll().map((x) => x.probeId)).toEqual(["a", "b"]);
    expect(w.flushAll()).toEqual([]);
  });
  it("refuses a window that is not positive", () => {
    expect(() => createReadingWindows(0)).toThrow(/windowMs/);
  });
});
