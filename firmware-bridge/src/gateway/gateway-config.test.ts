import { describe, expect, it } from "vitest";
import { parseGatewayConfig } from "./gateway-config.js";

const probe = { mac: "a4:c1:38:00:00:01", probeId: "freezer-1", secret: "s3cret" };

describe("parseGatewayConfig", () => {
  it("accepts the full object, normalises MACs and applies defaults", () => {
    const r = parseGatewayConfig({ broker: "mqtt://127.0.0.1:1883", probes: [{ ...probe, format: "pvvx" }] });
    expect(r).toEqual({
      ok: true,
      config: {
        broker: "mqtt://127.0.0.1:1883",
        spoolDir: "./spool",
        windowMs: 60_000,
        maxSpooledPerProbe: 129_600,
        probes: [{ mac: "A4:C1:38:00:00:01", probeId: "freezer-1", secret: "s3cret", format: "pvvx" }],
      },
    });
  });
  it("accepts the bare probe list with the broker from the command line; flags override the file", () => {
    const r = parseGatewayConfig([probe], {
      broker: "mqtts://coldtrail.example:8883",
      windowS: 30,
      spoolDir: "/var/spool/ct",
    });
    expect(r).toMatchObject({
      ok: true,
      config: { broker: "mqtts://coldtrail.example:8883", windowMs: 30_000, spoolDir: "/var/spool/ct" },
    });
  });
  it.each([
    [[probe], /no broker/],
    [{ broker: "http://x", probes: [probe] }, /broker must be a URL/],
    [{ broker: "mqtt://x", probes: [] }, /probes is empty/],
    [{ broker: "mqtt://x", probes: [{ ...probe, mac: "nope" }] }, /probes\.0\.mac: mac must look like/],
    [{ broker: "mqtt://x", probes: [{ ...probe, probeId: "a b" }] }, /probes\.0\.probeId/],
    [{ broker: "mqtt://x", probes: [{ ...probe, format: "xiaomi" }] }, /format must be one of/],
    [{ broker: "mqtt://x", probes: [{ ...probe, bindkey: "12" }] }, /bindkey must be 32 hex/],
    [
      { broker: "mqtt://x", probes: [{ ...probe, format: "pvvx", bindkey: "0".repeat(32) }] },
      /never encrypted/,
    ],
    [
      { broker: "mqtt://x", probes: [probe, { ...probe, probeId: "other" }] },
      /probes\.1\.mac A4:C1:38:00:00:01 is also probes\.0\.mac/,
    ],
    [
      { broker: "mqtt://x", probes: [probe, { ...probe, mac: "A4:C1:38:00:00:02" }] },
      /probeId "freezer-1" is also/,
    ],
    [{ broker: "mqtt://x", probes: [probe], extra: 1 }, /config/],
    ["nonsense", /gateway config/],
  ])("refuses %j", (value, reason) => {
    const r = parseGatewayConfig(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
