/**
 * Messages in the shapes OpenMQTTGateway and Theengs Gateway publish (their docs and
 * TheengsGateway/ble_gateway.py; see gateway-message.ts), with this test's own MACs and values.
 */
import { encodeAdvert } from "@coldtrail/firmware-bridge/decoders";
import { describe, expect, it } from "vitest";
import { parseGatewayMessage } from "./gateway-message.js";

const BINDKEY = "231d39c1d7cc1ab1aee224cd096db932";
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function pvvxServiceData(mac: string, tempC: number): string {
  const r = encodeAdvert("pvvx", { tempC, humidityPct: 45, batteryPct: 80, batteryMv: 2950 }, { mac });
  if (!r.ok) throw new Error(r.reason);
  return hex(r.advert.serviceData["181a"] as Uint8Array);
}

function bthomeServiceData(mac: string, tempC: number, counter?: number): string {
  const r = encodeAdvert(
    "bthome-v2",
    { tempC, batteryPct: 90 },
    counter === undefined ? {} : { mac, bindkey: BINDKEY, counter },
  );
  if (!r.ok) throw new Error(r.reason);
  return hex(r.advert.serviceData.fcd2 as Uint8Array);
}

describe("parseGatewayMessage", () => {
  it("OpenMQTTGateway, decoded values (default settings)", () => {
    const msg = {
      id: "A4:C1:38:AA:00:01",
      mac_type: 0,
      adv_type: 0,
      name: "ATC_AA0001",
      rssi: -71,
      brand: "Xiaomi",
      model: "LYWSD03MMC",
      model_id: "LYWSD03MMC_ATC",
      type: "THB",
      tempc: -18.4,
      tempf: -1.12,
      hum: 41,
      batt: 87,
      volt: 2.93,
    };
    expect(parseGatewayMessage("home/OpenMQTTGateway/BTtoMQTT/A4C138AA0001", json(msg))).toEqual({
      ok: true,
      mac: "A4:C1:38:AA:00:01",
      reading: { tempC: -18.4, batteryPct: 87, batteryMv: 2930, rssi: -71, source: "gateway:LYWSD03MMC_ATC" },
    });
  });
  it("old OpenMQTTGateway: values as strings, MAC only in the topic", () => {
    expect(
      parseGatewayMessage(
        "home/OpenMQTTGateway/BTtoMQTT/4C33A6603C79",
        json({ hum: "52.6", tempc: "-19.2", tempf: "-2.56" }),
      ),
    ).toEqual({
      ok: true,
      mac: "4C:33:A6:60:3C:79",
      reading: { tempC: -19.2, source: "gateway" },
    });
  });
  it("OpenMQTTGateway with pubadvdata: the raw service data is decoded by coldtrail's own decoder", () => {
    const mac = "A4:C1:38:AA:00:02";
    const msg = {
      id: mac,
      mac_type: 0,
      adv_type: 0,
      name: "ATC_AA0002",
      rssi: -64,
      servicedata: pvvxServiceData(mac, -20.37),
      servicedatauuid: "0x181a",
      brand: "Xiaomi",
      model: "LYWSD03MMC",
      model_id: "LYWSD03MMC_PVVX",
      type: "THB",
      tempc: -20.4, // the gateway's own decoding; ours wins when the bytes are there
      batt: 80,
    };
    expect(parseGatewayMessage("home/OMG_ESP32_BLE/BTtoMQTT/A4C138AA0002", json(msg))).toEqual({
      ok: true,
      mac,
      reading: { tempC: -20.37, batteryPct: 80, batteryMv: 2950, rssi: -64, source: "pvvx" },
    });
  });
  it("Theengs Gateway, an advertisement it published undecoded (UUID without 0x)", () => {
    const mac = "A4:C1:38:AA:00:03";
    const msg = { id: mac, rssi: -80, servicedatauuid: "fcd2", servicedata: bthomeServiceData(mac, 3.5) };
    expect(parseGatewayMessage("home/TheengsGateway/BTtoMQTT/A4C138AA0003", json(msg))).toMatchObject({
      ok: true,
      reading: { tempC: 3.5, batteryPct: 90, source: "bthome-v2" },
    });
  });
  it("encrypted BTHome: decrypted with the probe's bindkey, counter returned; without the key undecodable", () => {
    const mac = "54:48:E6:8F:80:A5";
    const msg = json({
      id: mac,
      rssi: -70,
      servicedatauuid: "0xfcd2",
      servicedata: bthomeServiceData(mac, -18.25, 77),
    });
    expect(
      parseGatewayMessage("home/TheengsGateway/BTtoMQTT/5448E68F80A5", msg, () => BINDKEY),
    ).toMatchObject({
      ok: true,
      reading: { tempC: -18.25, counter: 77 },
    });
    expect(parseGatewayMessage("home/TheengsGateway/BTtoMQTT/5448E68F80A5", msg)).toMatchObject({
      ok: false,
      reason: "undecodable",
      detail: expect.stringContaining("bindkey"),
    });
  });
  it("with a bindkey, a plaintext packet is refused even when the gateway offers decoded values", () => {
    const mac = "54:48:E6:8F:80:A6";
    const msg = json({
      id: mac,
      servicedatauuid: "0xfcd2",
      servicedata: bthomeServiceData(mac, 30),
      tempc: 30,
    });
    expect(parseGatewayMessage("home/x/BTtoMQTT/5448E68F80A6", msg, () => BINDKEY)).toMatchObject({
      ok: false,
      reason: "undecodable",
    });
  });
  it("iBeacon-style: `id` is a UUID, the MAC is in `mac`", () => {
    const r = parseGatewayMessage(
      "home/x/BTtoMQTT/1de4b189115e45f6b44e509352269977",
      json({
        id: "1de4b189115e45f6b44e509352269977",
        mac: "60:87:57:4C:9B:C2",
        rssi: -78,
        model_id: "IBEACON",
      }),
    );
    expect(r).toEqual({ ok: false, reason: "no_temperature", mac: "60:87:57:4C:9B:C2" });
  });
  it.each([
    ["not JSON", Buffer.from("online"), "not_json"],
    ["a JSON array", json([1, 2]), "not_json"],
    ["bytes that are not UTF-8", Buffer.from([0xff, 0xfe, 0x7b]), "not_json"],
    ["no MAC anywhere", json({ tempc: 4 }), "no_mac"],
    ["presence only", json({ id: "A4:C1:38:AA:00:09", rssi: -90, distance: 7.8 }), "no_temperature"],
    [
      "raw bytes no decoder knows",
      json({ id: "A4:C1:38:AA:00:09", servicedatauuid: "0xfe95", servicedata: "30585b05" }),
      "undecodable",
    ],
    ["bad hex", json({ id: "A4:C1:38:AA:00:09", manufacturerdata: "zz" }), "undecodable"],
  ])("ignores %s", (_name, payload, reason) => {
    expect(parseGatewayMessage("home/OpenMQTTGateway/BTtoMQTT/undecoded", payload)).toMatchObject({
      ok: false,
      reason,
    });
  });
  it("does not decode messages of devices that are not registered", () => {
    const msg = json({ id: "A4:C1:38:AA:00:01", tempc: 4 });
    expect(parseGatewayMessage("home/x/BTtoMQTT/A4C138AA0001", msg, undefined, () => false)).toEqual({
      ok: false,
      reason: "unknown_mac",
      mac: "A4:C1:38:AA:00:01",
    });
  });
});
