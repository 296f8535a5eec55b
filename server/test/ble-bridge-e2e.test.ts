import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer } from "./harness.js";

/**
 * A household that already runs a Theengs Gateway: the server subscribes to its broker
 * (COLDTRAIL_BLE_BRIDGE_URL), and a BLE thermometer registered with `bleMac` becomes a probe.
 */
const dir = mkdtempSync(join(tmpdir(), "coldtrail-blebridge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("BLE gateway bridge through the public contract", () => {
  it("a Theengs Gateway message for a registered bleMac lands as that probe's reading; duplicates and unknown MACs do not", async () => {
    const household = await Aedes.createBroker();
    const net = createServer(household.handle);
    await new Promise<void>((r) => net.listen(0, "127.0.0.1", () => r()));
    const url = `mqtt://127.0.0.1:${(net.address() as { port: number }).port}`;
    const subscribed = new Promise<void>((r) => household.on("subscribe", () => r()));
    let s = await startTestServer(
      { COLDTRAIL_BLE_BRIDGE_URL: url, COLDTRAIL_BLE_BRIDGE_TOPICS: "home/+/BTtoMQTT/+" },
      dir,
    );
    const u = await s.api<{ id: string }>("POST", "/api/v1/units", {
      name: "garage freezer",
      kind: "freezer",
    });
    const p = await s.api<{ id: string; bleMac: string }>("POST", "/api/v1/probes", {
      unitId: u.body.id,
      bleMac: "a4-c1-38-00-00-99",
    });
    expect(p.status).toBe(201);
    expect(p.body.bleMac).toBe("A4:C1:38:00:00:99");
    const again = await s.api<{ error: { message: string } }>("POST", "/api/v1/probes", {
      bleMac: "A4:C1:38:00:00:99",
    });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(p.body.id);
    expect((await s.api("POST", "/api/v1/probes", { bleMac: "not-a-mac" })).status).toBe(400);

    await subscribed;
    const gw = await mqtt.connectAsync(url, { clientId: "theengs-gateway" });
    const before = Date.now();
    await gw.publishAsync(
      "home/TheengsGateway/BTtoMQTT/A4C138000099",
      JSON.stringify({
        id: "A4:C1:38:00:00:99",
        name: "ATC_000099",
        rssi: -71,
        brand: "Xiaomi",
        model: "LYWSD03MMC",
        model_id: "LYWSD03MMC_PVVX",
        tempc: -18.4,
        hum: 40.2,
        batt: 81,
      }),
    );
    await gw.publishAsync(
      "home/TheengsGateway/BTtoMQTT/112233445566",
      JSON.stringify({ id: "11:22:33:44:55:66", tempc: 21 }),
    );
    await gw.endAsync();
    await new Promise((r) => setTimeout(r, 300));
    // The bridge keeps one reading a minute per probe; stopping the server sends the open window.
    await s.cleanup();
    s = await startTestServer({}, dir);
    const r = await s.api<{ readings: { ts: string; temp_c: number }[] }>(
      "GET",
      `/api/v1/probes/${p.body.id}/readings?from=${new Date(before - 60_000).toISOString()}`,
    );
    expect(r.body.readings.map((x) => x.temp_c)).toEqual([-18.4]);
    await s.cleanup();
    await new Promise<void>((res) => household.close(() => res()));
    await new Promise<void>((res) => net.close(() => res()));
  });
});
