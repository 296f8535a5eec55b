/**
 * The ESP32 probe's core (plain C++17 in esp32/lib/coldtrail_core) on the host: its own C++ tests,
 * and the payloads it encodes checked against the wire protocol's zod schemas, so the firmware and
 * the server cannot drift apart. Needs g++ (Debian: build-essential).
 *
 * COLDTRAIL_UPDATE_VECTORS=1 rewrites esp32/test/vectors/*.json from the core's output.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import {
  decodeReadingsPayload,
  decodeStatusPayload,
  PROTOCOL_LIMITS,
  parseProbeTopic,
} from "@coldtrail/firmware-bridge/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const esp32 = resolve(import.meta.dirname, "../esp32");
const coreSrc = join(esp32, "lib/coldtrail_core/src");
const hostDir = join(esp32, "test/host");
const vectorsDir = join(esp32, "test/vectors");
// The flags the brief and README promise: warnings are errors.
const CXXFLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-O1", `-I${coreSrc}`, `-I${hostDir}`];

interface Emitted {
  scenario: string;
  topic: string;
  payload: string;
}

interface Vector {
  description: string;
  topic: string;
  payload: string;
  expect: "ok";
}

/** Which scenario line of encode-scenarios each checked-in vector is. */
const VECTOR_SCENARIOS: Record<string, { scenario: string; description: string }> = {
  "replay-3": {
    scenario: "replay-3-1",
    description:
      "Cold boot during a power cut: three readings on the unsynced clock, rebased when NTP answered, replayed in one message with battery_mv and rssi.",
  },
  "chunk-500": {
    scenario: "outage-1",
    description:
      "First of three chunks replaying a 20-hour power cut (1,200 readings a minute apart, -20 °C warming): exactly 500 readings, oldest first.",
  },
  "battery-fields": {
    scenario: "battery-fields-1",
    description: "One on-schedule reading with battery_pct, battery_mv and rssi.",
  },
  "status-online": {
    scenario: "status-online",
    description: "Retained birth message published on every connect.",
  },
  "status-offline": {
    scenario: "status-offline",
    description: "Retained MQTT last will set at connect.",
  },
};

let work = "";
let testRun: { code: number; stdout: string };
let emitted: Emitted[] = [];

async function compile(source: string, output: string): Promise<string> {
  const cores = (await readdir(coreSrc)).filter((f) => f.endsWith(".cpp")).map((f) => join(coreSrc, f));
  await run("g++", [...CXXFLAGS, join(hostDir, source), ...cores, "-o", output]);
  return output;
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function find(scenario: string): Emitted {
  const e = emitted.find((m) => m.scenario === scenario);
  if (!e) throw new Error(`encode-scenarios printed no "${scenario}" line`);
  return e;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "coldtrail-esp32-core-"));
  const [testBin, scenarioBin] = await Promise.all([
    compile("core-test.cpp", join(work, "core-test")),
    compile("encode-scenarios.cpp", join(work, "encode-scenarios")),
  ]);
  try {
    const r = await run(testBin, []);
    testRun = { code: 0, stdout: r.stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    testRun = { code: err.code ?? -1, stdout: err.stdout ?? "" };
  }
  const scenarios = await run(scenarioBin, [], { maxBuffer: 16 * 1024 * 1024 });
  expect(scenarios.stderr).toBe("");
  emitted = scenarios.stdout
    .trimEnd()
    .split("\n")
    .map((line) => {
      const [scenario = "", topic = "", payload = ""] = line.split("\t");
      return { scenario, topic, payload };
    });
  if (process.env.COLDTRAIL_UPDATE_VECTORS === "1") {
    for (const [file, v] of Object.entries(VECTOR_SCENARIOS)) {
      const e = find(v.scenario);
      const vector: Vector = { description: v.description, topic: e.topic, payload: e.payload, expect: "ok" };
      await writeFile(join(vectorsDir, `${file}.json`), `${JSON.stringify(vector, null, 2)}\n`);
    }
  }
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("esp32 core host tests (g++ -std=c++17 -Wall -Wextra -Werror)", () => {
  it("exit 0 with every registered test passing", async () => {
    const source = await readFile(join(hostDir, "core-test.cpp"), "utf8");
    const registered = source.match(/^TEST\(/gm)?.length ?? 0;
    expect(registered).toBeGreaterThanOrEqual(29);
    expect(testRun.stdout).not.toContain("FAIL");
    expect(testRun.stdout.trim().split("\n").at(-1)).toBe(`passed ${registered} failed 0`);
    expect(testRun.code).toBe(0);
  });
});

describe("payloads the core encodes pass the wire protocol", () => {
  it("every emitted message decodes on the topic kind it was sent to", () => {
    expect(emitted.map((e) => e.scenario)).toEqual([
      "replay-3-1",
      "outage-1",
      "outage-2",
      "outage-3",
      "battery-fields-1",
      "status-online",
      "status-offline",
    ]);
    for (const e of emitted) {
      const topic = parseProbeTopic(e.topic);
      expect(topic).toEqual({
        ok: true,
        probeId: "esp32-a1b2c3",
        kind: e.scenario.startsWith("status") ? "status" : "readings",
      });
      const decoded = e.scenario.startsWith("status")
        ? decodeStatusPayload(bytes(e.payload))
        : decodeReadingsPayload(bytes(e.payload));
      expect(decoded, `${e.scenario}: ${decoded.ok ? "" : decoded.message}`).toMatchObject({ ok: true });
    }
  });

  it("the 3-reading replay carries the rebased times, exact sixteenths and vitals", () => {
    const d = decodeReadingsPayload(bytes(find("replay-3-1").payload));
    expect(d).toEqual({
      ok: true,
      value: {
        readings: [
          { ts: Date.UTC(2026, 4, 3, 14, 0, 0), temp_c: -19.5, seq: 1 },
          { ts: Date.UTC(2026, 4, 3, 14, 1, 0), temp_c: -19.4375, seq: 2 },
          { ts: Date.UTC(2026, 4, 3, 14, 2, 0), temp_c: -19.375, seq: 3 },
        ],
        battery_mv: 3950,
        rssi: -67,
      },
    });
  });

  it("a 1,200-reading outage goes out as 500 + 500 + 200, oldest first, every seq once", () => {
    const chunks = ["outage-1", "outage-2", "outage-3"].map((s) => {
      const d = decodeReadingsPayload(bytes(find(s).payload));
      if (!d.ok) throw new Error(d.message);
      expect(bytes(find(s).payload).byteLength).toBeLessThanOrEqual(PROTOCOL_LIMITS.maxPayloadBytes);
      return d.value.readings;
    });
    expect(chunks.map((c) => c.length)).toEqual([500, 500, 200]);
    const all = chunks.flat();
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(all.map((r) => r.ts)).toEqual(
      Array.from({ length: 1200 }, (_, i) => Date.UTC(2026, 4, 3, 14) + i * 60_000),
    );
    expect(all[0]?.temp_c).toBe(-20);
    expect(all.at(-1)?.temp_c).toBe(-2.0625);
    // Every temperature is a whole number of sixteenths, printed without rounding.
    for (const r of all) expect(Number.isInteger(r.temp_c * 16)).toBe(true);
  });

  it("the same outage as one message would be refused: chunking is what makes it deliverable", () => {
    const readings = ["outage-1", "outage-2", "outage-3"].flatMap((s) => {
      const d = decodeReadingsPayload(bytes(find(s).payload));
      return d.ok ? d.value.readings : [];
    });
    const merged = decodeReadingsPayload(bytes(JSON.stringify({ readings })));
    expect(merged).toMatchObject({ ok: false, reason: "invalid" });
    expect(merged.ok ? "" : merged.message).toContain("at most 500");
  });

  it("the status payloads are the birth and the last will", () => {
    expect(decodeStatusPayload(bytes(find("status-online").payload))).toEqual({
      ok: true,
      value: { state: "online", fw: "0.1.0" },
    });
    expect(decodeStatusPayload(bytes(find("status-offline").payload))).toEqual({
      ok: true,
      value: { state: "offline" },
    });
    // The will is a status message, not a readings message.
    expect(decodeReadingsPayload(bytes(find("status-offline").payload)).ok).toBe(false);
  });
});

describe("shared vectors esp32/test/vectors/*.json", () => {
  it("hold exactly the expected files", async () => {
    const files = (await readdir(vectorsDir)).filter((f) => f.endsWith(".json")).sort();
    expect(files).toEqual(
      Object.keys(VECTOR_SCENARIOS)
        .map((n) => `${n}.json`)
        .sort(),
    );
  });

  for (const [file, v] of Object.entries(VECTOR_SCENARIOS)) {
    it(`${file}.json is what the core encodes today and decodes on its topic`, async () => {
      const vector = JSON.parse(await readFile(join(vectorsDir, `${file}.json`), "utf8")) as Vector;
      const e = find(v.scenario);
      expect(vector.topic).toBe(e.topic);
      expect(vector.payload).toBe(e.payload);
      expect(vector.expect).toBe("ok");
      const topic = parseProbeTopic(vector.topic);
      if (!topic.ok) throw new Error(topic.message);
      const decoded =
        topic.kind === "status"
          ? decodeStatusPayload(bytes(vector.payload))
          : decodeReadingsPayload(bytes(vector.payload));
      expect(decoded.ok).toBe(true);
    });
  }

  it("chunk-500.json holds exactly the protocol's maximum of readings", async () => {
    const vector = JSON.parse(await readFile(join(vectorsDir, "chunk-500.json"), "utf8")) as Vector;
    const d = decodeReadingsPayload(bytes(vector.payload));
    expect(d.ok && d.value.readings.length).toBe(PROTOCOL_LIMITS.maxReadingsPerMessage);
  });
});
