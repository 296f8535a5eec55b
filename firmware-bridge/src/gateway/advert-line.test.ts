import { describe, expect, it } from "vitest";
import { formatAdvertLine, parseAdvertLine } from "./advert-line.js";
import { advertFromNoble, loadNoble, NobleMissingError } from "./noble-source.js";

const T0 = Date.UTC(2026, 4, 3, 14, 0, 0);

describe("advert lines", () => {
  it("round-trips an advertisement", () => {
    const a = {
      atMs: T0,
      mac: "A4:C1:38:00:00:01",
      rssi: -61,
      name: "ATC_000001",
      serviceData: { "181a": Uint8Array.of(1, 2, 3) },
      manufacturerData: { 1177: Uint8Array.of(5, 0x12) },
    };
    const line = formatAdvertLine(a);
    expect(line).toBe(
      '{"atMs":1777816800000,"mac":"A4:C1:38:00:00:01","rssi":-61,"name":"ATC_000001","serviceData":{"181a":"010203"},"manufacturerData":{"1177":"0512"}}',
    );
    expect(parseAdvertLine(line)).toEqual({ ok: true, advert: a });
  });
  it.each([
    ["{", /not JSON/],
    ['{"atMs":1,"mac":"zz"}', /mac must look like/],
    ['{"atMs":1,"mac":"A4:C1:38:00:00:01","serviceData":{"abcdef":"00"}}', /16-bit UUID/],
    ['{"atMs":1,"mac":"A4:C1:38:00:00:01","serviceData":{"fcd2":"0g"}}', /not hex/],
    ['{"atMs":1,"mac":"A4:C1:38:00:00:01","manufacturerData":{"70000":"00"}}', /company id/],
    ['{"mac":"A4:C1:38:00:00:01"}', /atMs/],
  ])("refuses %s", (line, reason) => {
    const r = parseAdvertLine(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe("noble source", () => {
  it("maps a noble peripheral (lowercase address, company id inside manufacturer data)", () => {
    const a = advertFromNoble(
      {
        address: "a4:c1:38:0a:0b:0c",
        rssi: -70,
        advertisement: {
          localName: "ATC_0A0B0C",
          serviceData: [{ uuid: "fcd2", data: Buffer.from("40020ff9", "hex") }],
          manufacturerData: Buffer.from("990405", "hex"),
        },
      },
      T0,
    );
    expect(a).toEqual({
      mac: "A4:C1:38:0A:0B:0C",
      rssi: -70,
      name: "ATC_0A0B0C",
      atMs: T0,
      serviceData: { fcd2: Uint8Array.of(0x40, 0x02, 0x0f, 0xf9) },
      manufacturerData: { 1177: Uint8Array.of(0x05) },
    });
  });
  it("drops a peripheral without an address (macOS hides it)", () => {
    expect(advertFromNoble({ address: "", rssi: -1 }, T0)).toBeNull();
  });
  it("says how to install the optional noble package when it is missing", async () => {
    // @abandonware/noble is deliberately not installed in this workspace.
    await expect(loadNoble()).rejects.toThrow(NobleMissingError);
    await expect(loadNoble()).rejects.toThrow(/npm install @abandonware\/noble/);
  });
});
