import { describe, expect, it } from "vitest";
import { advertFromGatewayJson, gatewayJsonFromAdvert } from "./gateway-json.js";
import { decodeAdvert, encodeAdvert } from "./registry.js";

describe("advertFromGatewayJson", () => {
  it("reads OpenMQTTGateway/Theengs service data (extra fields ignored)", () => {
    const r = advertFromGatewayJson({
      id: "a4:c1:38:8d:18:b2",
      name: "ATC_8D18B2",
      rssi: -71,
      brand: "Xiaomi",
      servicedatauuid: "0xfcd2",
      servicedata: "400009015d025d0903b718",
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.advert).toEqual({
      mac: "A4:C1:38:8D:18:B2",
      name: "ATC_8D18B2",
      serviceData: { fcd2: Uint8Array.from(Buffer.from("400009015d025d0903b718", "hex")) },
      manufacturerData: {},
    });
    expect(decodeAdvert(r.advert)).toEqual({
      ok: true,
      format: "bthome-v2",
      tempC: 23.97,
      humidityPct: 63.27,
      batteryPct: 93,
      packetId: 9,
    });
  });

  it("splits the little-endian company id off manufacturer data", () => {
    const r = advertFromGatewayJson({
      id: "AA:BB:CC:DD:EE:FF",
      manufacturerdata: "99040512fc5394c37c0004fffc040cac364200cdcbb8334c884f",
    });
    if (!r.ok) throw new Error(r.reason);
    expect(Object.keys(r.advert.manufacturerData)).toEqual(["1177"]);
    expect(decodeAdvert(r.advert)).toMatchObject({
      ok: true,
      format: "ruuvi-5",
      tempC: 24.3,
      humidityPct: 53.49,
    });
  });

  it("Inkbird: the company-id slot carries the temperature", () => {
    const r = advertFromGatewayJson({ name: "tps", manufacturerdata: "9ef8000000bcbc6406" });
    if (!r.ok) throw new Error(r.reason);
    expect(decodeAdvert(r.advert)).toEqual({
      ok: true,
      format: "inkbird-ibs-th",
      tempC: -18.9,
      batteryPct: 100,
      externalProbe: false,
    });
  });

  it("passes a configured bindkey through", () => {
    const r = advertFromGatewayJson(
      { id: "54:48:E6:8F:80:A5", servicedatauuid: "0xFCD2", servicedata: "41E445F3C9962B332211006C7C4519" },
      { bindkey: "231d39c1d7cc1ab1aee224cd096db932" },
    );
    if (!r.ok) throw new Error(r.reason);
    expect(decodeAdvert(r.advert)).toMatchObject({ ok: true, tempC: 25.06, counter: 1122867 });
  });

  it.each([
    [null, /gateway JSON: value: /],
    ["string", /gateway JSON: value: /],
    [{ id: 5, servicedata: "00" }, /gateway JSON: id: /],
    [{ id: "not a mac", servicedatauuid: "0x181a", servicedata: "00" }, /"id" must be a MAC/],
    [{ servicedata: "4002ca09" }, /without "servicedatauuid"/],
    [{ servicedatauuid: "0xzzzz", servicedata: "4002ca09" }, /16-bit UUID like 0xfcd2/],
    [{ servicedatauuid: "0xfcd2", servicedata: "4002ca0" }, /odd number of digits/],
    [{ manufacturerdata: "88" }, /must start with the 2-byte company id/],
    [{ manufacturerdata: "zz" }, /not hex/],
    [{ id: "AA:BB:CC:DD:EE:FF", name: "x" }, /neither "servicedata" nor "manufacturerdata"/],
  ])("refuses %j", (value, reason) => {
    expect(advertFromGatewayJson(value)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it("round-trips through gatewayJsonFromAdvert for every format", () => {
    for (const [format, options] of [
      ["bthome-v2", {}],
      ["pvvx", { mac: "A4:C1:38:00:00:01" }],
      ["ruuvi-5", {}],
      ["govee-h5075", {}],
      ["inkbird-ibs-th", { externalProbe: true }],
    ] as const) {
      const e = encodeAdvert(
        format,
        { tempC: -19.5, humidityPct: 40, batteryPct: 77, batteryMv: 2900 },
        options,
      );
      if (!e.ok) throw new Error(e.reason);
      const back = advertFromGatewayJson(JSON.parse(JSON.stringify(gatewayJsonFromAdvert(e.advert))));
      if (!back.ok) throw new Error(back.reason);
      expect(decodeAdvert(back.advert)).toMatchObject({ ok: true, format, tempC: -19.5 });
    }
  });
});
