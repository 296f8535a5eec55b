import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gatewayCommand } from "@coldtrail/firmware-bridge/gateway";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer } from "../../server/test/harness.js";

/**
 * BLE mode end to end without a radio: `coldtrail-sim ble` writes the advertisements of a
 * thermometer in a simulated freezer with a power cut; the gateway replays them into a real server;
 * the readings arrive, and show the power cut.
 */
const run = promisify(execFile);
const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "coldtrail-sim.js");
const work = mkdtempSync(join(tmpdir(), "coldtrail-simble-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("coldtrail-sim ble", () => {
  it("emits advertisements the gateway replays into the server, power cut included", async () => {
    const s = await startTestServer();
    try {
      const unit = await s.api<{ id: string }>("POST", "/api/v1/units", { name: "f", kind: "freezer" });
      const probe = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
      const startMs = Date.now() - 3 * 3_600_000;
      expect(
        (
          await s.api("PUT", `/api/v1/probes/${probe.body.id}/unit`, {
            unitId: unit.body.id,
            at: new Date(startMs - 60_000).toISOString(),
          })
        ).status,
      ).toBe(200);
      const mac = "A4:C1:38:00:00:42";
      const { stdout } = await run(
        process.execPath,
        [
          BIN,
          "ble",
          "--unit",
          "upright-freezer",
          "--format",
          "pvvx",
          "--mac",
          mac,
          "--minutes",
          "180",
          "--power-cut-at-min",
          "60",
          "--start",
          new Date(startMs).toISOString(),
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      const file = join(work, "adverts.jsonl");
      writeFileSync(file, stdout);
      expect(stdout.trim().split("\n").length).toBeGreaterThan(900); // one every 10 s for 3 h
      const config = join(work, "gateway.json");
      writeFileSync(
        config,
        JSON.stringify({
          broker: s.mqttUrl,
          spoolDir: join(work, "spool"),
          probes: [{ mac, probeId: probe.body.id, secret: probe.body.secret }],
        }),
      );
      const out: string[] = [];
      const code = await gatewayCommand(
        ["--config", config, "--source", `replay:${file}`, "--log-level", "silent"],
        {
          out: (l) => out.push(l),
          err: () => undefined,
          stopSignal: new Promise(() => undefined),
        },
      );
      expect(code).toBe(0);
      await s.parts.forwarder.drain();
      const r = await s.api<{ readings: { ts: string; temp_c: number }[] }>(
        "GET",
        `/api/v1/probes/${probe.body.id}/readings?from=${new Date(startMs - 60_000).toISOString()}`,
      );
      // One reading a minute (the gateway's window), cold before the power cut, warmer after.
      expect(r.body.readings.length).toBeGreaterThanOrEqual(170);
      const before = r.body.readings
        .filter((x) => Date.parse(x.ts) < startMs + 55 * 60_000)
        .map((x) => x.temp_c);
      const after = r.body.readings
        .filter((x) => Date.parse(x.ts) > startMs + 170 * 60_000)
        .map((x) => x.temp_c);
      expect(Math.max(...before)).toBeLessThan(-10);
      expect(Math.min(...after)).toBeGreaterThan(Math.max(...before));
    } finally {
      await s.cleanup();
    }
  });

  it("refuses unknown units and formats with a one-line reason", async () => {
    await expect(run(process.execPath, [BIN, "ble", "--format", "nope"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--format must be one of/),
    });
    await expect(run(process.execPath, [BIN, "ble", "--unit", "oven"])).rejects.toMatchObject({ code: 2 });
  });
});
