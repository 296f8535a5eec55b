import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeReadingsPayload, PROTOCOL_LIMITS, parseProbeTopic } from "@coldtrail/firmware-bridge/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startBroker, type TestBroker } from "./broker.js";
import { runCli } from "./cli.js";
import { type ServerDouble, startServerDouble } from "./server-double.js";

const EXAMPLES = join(import.meta.dirname, "..", "src", "scenarios", "examples");
let broker: TestBroker;
let api: ServerDouble;
let dir: string;

beforeEach(async () => {
  broker = await startBroker(
    (u, p) => api.probes.some((x) => x.id === u && x.secret === p) || (u === "replayer" && p === "pw"),
  );
  api = await startServerDouble("tok", broker.url);
  dir = await mkdtemp(join(tmpdir(), "coldtrail-sim-run-"));
});
afterEach(async () => {
  await broker.close();
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

const readingMessages = () => broker.received.filter((m) => m.topic.endsWith("/readings"));

describe("coldtrail-sim run", () => {
  it("replays the power-cut scenario: every reading arrives, with device timestamps in the past, buffer in batches ≤ 500", async () => {
    const started = Date.now();
    const r = await runCli([
      "run",
      join(EXAMPLES, "power-cut-full-freezer.json"),
      "--mqtt",
      broker.url,
      "--username",
      "replayer",
      "--password",
      "pw",
      "--json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(summary).toMatchObject({ readings: 48 * 60, errors: 0 });
    expect(summary.acked).toBe(summary.messages);
    const msgs = readingMessages();
    expect(msgs).toHaveLength(summary.messages);
    const all = msgs.flatMap((m) => {
      const d = decodeReadingsPayload(m.payload);
      expect(d.ok).toBe(true);
      return d.ok ? d.value.readings : [];
    });
    expect(all).toHaveLength(48 * 60);
    expect(
      Math.max(
        ...msgs.map(
          (m) =>
            (decodeReadingsPayload(m.payload) as { ok: true; value: { readings: unknown[] } }).value.readings
              .length,
        ),
      ),
    ).toBe(500);
    for (const x of all) {
      expect(x.ts!).toBeLessThanOrEqual(Date.now() + PROTOCOL_LIMITS.maxFutureSkewMs);
      expect(x.ts!).toBeGreaterThan(started - 49 * 3_600_000);
    }
    expect(all.map((x) => x.seq)).toEqual(all.map((_, i) => i)); // in order within the one connection
  });

  it("registers the scenario's units and probes through the API and publishes under the issued ids", async () => {
    const r = await runCli([
      "run",
      join(EXAMPLES, "cool-bag-trip.json"),
      "--mqtt",
      broker.url,
      "--api",
      api.url,
      "--token",
      "tok",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(api.units.map((u) => [u.name, u.kind])).toEqual([
      ["Donor freezer", "freezer"],
      ["Cool bag", "cool-bag"],
      ["Recipient freezer", "freezer"],
    ]);
    const ids = new Set(
      readingMessages().map((m) => (parseProbeTopic(m.topic) as { probeId: string }).probeId),
    );
    expect(ids).toEqual(new Set(api.probes.map((p) => p.id)));
    expect(r.stdout).toContain("run: expect verdict safe for milk in unit recipient");
  });

  it("refuses an invalid scenario with the reason, before connecting", async () => {
    const bad = join(dir, "bad.json");
    await writeFile(
      bad,
      JSON.stringify({ name: "x", durationH: 1, units: [{ id: "f", model: "igloo" }], probes: [] }),
    );
    const r = await runCli(["run", bad, "--mqtt", broker.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^coldtrail-sim run: .*bad\.json: scenario is not valid: units\.0\.model: /);
    expect(broker.received).toEqual([]);
  });

  it("fails with the broker's refusal when the credentials are wrong", async () => {
    const r = await runCli([
      "run",
      join(EXAMPLES, "door-left-ajar.json"),
      "--mqtt",
      broker.url,
      "--username",
      "replayer",
      "--password",
      "no",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/probe sim-ajar-freezer: the broker refused the credentials \(CONNACK 5/);
  });
});
