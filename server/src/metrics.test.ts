import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";

const metricsOf = () =>
  createMetrics({ journalDepth: () => 0, storeLagMs: () => 0, storeBackoffMs: () => 0 });

describe("hot-path counters", () => {
  it("take in their tallies when read, each addition once, by label", async () => {
    const m = metricsOf();
    const readings = m.readings.tally();
    const status = m.messages.tally({ kind: "status" });
    const temp = m.messages.tally({ kind: "temp_c" });
    readings.add(3);
    readings.add();
    status.add();
    expect((await m.readings.get()).values[0]?.value).toBe(4);
    readings.add(2);
    temp.add(5);
    const text = await m.registry.metrics();
    expect(text).toMatch(/^coldtrail_ingest_readings_total 6$/m);
    expect(text).toMatch(/^coldtrail_ingest_messages_total\{kind="status"\} 1$/m);
    expect(text).toMatch(/^coldtrail_ingest_messages_total\{kind="temp_c"\} 5$/m);
    // Read again with nothing added: the same totals, nothing counted twice.
    expect(await m.registry.metrics()).toMatch(/^coldtrail_ingest_readings_total 6$/m);
    // prom-client's own inc still adds to the same counter.
    m.readings.inc(10);
    expect((await m.readings.get()).values[0]?.value).toBe(16);
  });
});
