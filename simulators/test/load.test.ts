import { decodeReadingsPayload, parseProbeTopic } from "@coldtrail/firmware-bridge/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoadError, runLoad } from "../src/load/run-load.js";
import { startBroker, type TestBroker } from "./broker.js";
import { runCli } from "./cli.js";

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker((u, p) => u === "loader" && p === "s3cret");
});
afterAll(() => broker.close());

describe("runLoad (library, for the benchmark)", () => {
  it("publishes at about the target rate and reports acks and PUBACK latency", async () => {
    broker.received.length = 0;
    const progress: number[] = [];
    const r = await runLoad({
      url: broker.url,
      probes: 50,
      ratePerS: 1000,
      durationS: 1.5,
      connections: 4,
      username: "loader",
      password: "s3cret",
      progressMs: 500,
      onProgress: (p) => progress.push(p.sent),
    });
    expect(r.sent).toBeGreaterThan(1200);
    expect(r.sent).toBeLessThanOrEqual(1500);
    expect(r.acked).toBe(r.sent);
    expect(r.errors).toBe(0);
    expect(r.ratePerS).toBeGreaterThan(700);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50);
    expect(r.connections).toBe(4);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    // What reached the broker is valid protocol, spread over 50 probes, ts strictly increasing per probe.
    const lastTs = new Map<string, number>();
    for (const m of broker.received) {
      const t = parseProbeTopic(m.topic);
      const d = decodeReadingsPayload(m.payload);
      expect(t.ok && d.ok).toBe(true);
      if (!t.ok || !d.ok) continue;
      const ts = d.value.readings[0]!.ts!;
      expect(ts).toBeGreaterThan(lastTs.get(t.probeId) ?? 0);
      lastTs.set(t.probeId, ts);
    }
    expect(lastTs.size).toBe(50);
  });

  it("fails fast with a coded error when the broker refuses the credentials", async () => {
    await expect(
      runLoad({
        url: broker.url,
        probes: 1,
        ratePerS: 10,
        durationS: 1,
        username: "loader",
        password: "wrong",
      }),
    ).rejects.toThrow(LoadError);
  });

  it("refuses nonsense options, naming them", async () => {
    await expect(runLoad({ url: broker.url, probes: 0, ratePerS: 10, durationS: 1 })).rejects.toThrow(
      "probes must be ≥ 1, got 0",
    );
    await expect(runLoad({ url: broker.url, probes: 1, ratePerS: -1, durationS: 1 })).rejects.toThrow(
      "rate must be > 0 readings/s, got -1",
    );
  });
});

describe("coldtrail-sim load (CLI)", () => {
  it("reports achieved rate and PUBACK latency p50/p99, with progress meanwhile", async () => {
    const r = await runCli([
      "load",
      "--mqtt",
      broker.url,
      "--probes",
      "100",
      "--rate",
      "500",
      "--duration",
      "2",
      "--connections",
      "2",
      "--username",
      "loader",
      "--password",
      "s3cret",
      "--json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    // Before any progress: when sending starts (a bench measures from there).
    expect(lines[0]).toMatch(/^load: connected 2 connections in [\d.]+ s; sending 500\/s for 2 s$/);
    expect(
      lines.filter((l) => /^load: \d+\.\d s · sent \d+ · acked \d+/.test(l)).length,
    ).toBeGreaterThanOrEqual(1);
    const result = JSON.parse(lines.at(-1)!);
    expect(result.acked).toBeGreaterThan(0);
    expect(result.acked).toBe(result.sent);
    expect(result.ratePerS).toBeGreaterThan(300);
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50);
  });

  it("prints one human summary line without --json", async () => {
    const r = await runCli([
      "load",
      "--mqtt",
      broker.url,
      "--probes",
      "5",
      "--rate",
      "50",
      "--duration",
      "1",
      "--username",
      "loader",
      "--password",
      "s3cret",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n").at(-1)).toMatch(
      /^load: done: sent \d+ · acked \d+ · errors 0 · \d+ readings\/s over [\d.]+ s on 5 connections · PUBACK latency p50 [\d.]+ ms, p99 [\d.]+ ms$/,
    );
  });

  it("exits 2 with a one-line reason for a bad option", async () => {
    const r = await runCli(["load", "--rate", "fast"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('coldtrail-sim load: --rate must be a number ≥ 0.001, got "fast"\n');
  });
});
