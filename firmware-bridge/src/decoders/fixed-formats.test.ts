/**
 * Negative suites for the fixed-layout formats, built from every good capture (captures/*.json):
 * truncated at every length, one byte too long, wrong version byte, corrupted checksum.
 */
import { describe, expect, it } from "vitest";
import type { BleAdvert } from "./advert.js";
import { advertOf, loadAllCaptures } from "./captures/load-captures.js";
import { crc16Modbus } from "./crc16-modbus.js";
import { inkbirdIbsTh } from "./inkbird-ibs-th.js";
import { decodeAdvert, decoderFor } from "./registry.js";
import { ruuvi3 } from "./ruuvi-3.js";
import { ruuvi5 } from "./ruuvi-5.js";

const vectors = loadAllCaptures();

const fixed = vectors.filter((v) => !v.error && v.format !== "bthome-v2");

describe("fixed-layout formats refuse every truncation and every extension", () => {
  for (const v of fixed) {
    it(`${v.id}: all ${v.data.length / 2} shorter lengths and one longer are refused`, () => {
      const full = Uint8Array.from(Buffer.from(v.data, "hex"));
      const decoder = decoderFor(v.format);
      for (let n = 0; n < full.length; n++) {
        const r = decoder.decode(advertOf(v, full.subarray(0, n)));
        expect(r.ok, `${v.id} cut to ${n} bytes: ${JSON.stringify(r)}`).toBe(false);
        if (!r.ok) expect(r.reason.startsWith(`${v.format}: `)).toBe(true);
        expect(decodeAdvert(advertOf(v, full.subarray(0, n))).ok, `${v.id} cut to ${n} via registry`).toBe(
          false,
        );
      }
      const longer = Uint8Array.of(...full, 0x00);
      expect(decoder.decode(advertOf(v, longer)).ok).toBe(false);
      expect(decodeAdvert(advertOf(v, longer)).ok).toBe(false);
    });
  }
});

describe("wrong version byte", () => {
  const df5 = Buffer.from("0512fc5394c37c0004fffc040cac364200cdcbb8334c884f", "hex");
  const df3 = Buffer.from("03291a1ece1efc18f94202ca0b53", "hex");
  it.each([0x00, 0x02, 0x04, 0x06, 0x08, 0xe1, 0xff])("ruuvi: format byte 0x%s is refused by both", (b) => {
    const five = Uint8Array.of(b, ...df5.subarray(1));
    const three = Uint8Array.of(b, ...df3.subarray(1));
    const ad = (d: Uint8Array): BleAdvert => ({ serviceData: {}, manufacturerData: { 1177: d } });
    expect(ruuvi5.decode(ad(five))).toMatchObject({
      ok: false,
      reason: /data format byte is 0x.., expected 0x05/,
    });
    expect(ruuvi3.decode(ad(three))).toMatchObject({ ok: false, reason: /expected 0x03/ });
    expect(decodeAdvert(ad(five)).ok).toBe(false);
  });
  it("ruuvi-3 refuses a temperature fraction above 99", () => {
    const bad = Uint8Array.from(Buffer.from("03291a641e1efc18f94202ca0b53", "hex"));
    expect(ruuvi3.decode({ serviceData: {}, manufacturerData: { 1177: bad } })).toMatchObject({
      ok: false,
      reason: /fraction byte is 100/,
    });
  });
});

describe("inkbird checksum", () => {
  // inkbird-01: slot 0x089c (22.04 °C), then humidity, probe, CRC, battery, type.
  const base = Uint8Array.from(Buffer.from("f41000ba4e6408", "hex"));
  const ad = (slot: number, data: Uint8Array, name = "sps"): BleAdvert => ({
    name,
    serviceData: {},
    manufacturerData: { [slot]: data },
  });
  it("accepts the capture", () => {
    expect(inkbirdIbsTh.decode(ad(2204, base)).ok).toBe(true);
  });
  it.each([0, 1, 2, 3, 4])("refuses a flipped bit in checked byte %i", (i) => {
    const d = base.slice();
    d[i] = (d[i] as number) ^ 0x10;
    expect(inkbirdIbsTh.decode(ad(2204, d))).toMatchObject({ ok: false, reason: /checksum mismatch/ });
  });
  it("refuses a changed temperature slot (the slot is inside the checksum)", () => {
    expect(inkbirdIbsTh.decode(ad(2205, base))).toMatchObject({ ok: false, reason: /checksum mismatch/ });
  });
  it("refuses a battery byte above 100 and humidity above 100 %", () => {
    const battery = Uint8Array.of(...base.subarray(0, 5), 0xc8, 0x08);
    expect(inkbirdIbsTh.decode(ad(2204, battery))).toMatchObject({
      ok: false,
      reason: /battery byte is 200/,
    });
  });
  it("is not tried without an Inkbird name", () => {
    expect(inkbirdIbsTh.matches(ad(2204, base, "GVH5075_1234"))).toBe(false);
    expect(inkbirdIbsTh.matches(ad(2204, base, "SPS"))).toBe(true);
  });
});

describe("registry", () => {
  it("a pvvx packet cut to 13 bytes is refused when the sender MAC is known, not read as atc1441", () => {
    const cut = Uint8Array.from(Buffer.from("5601cf38c1a44008bd13470c64cc0f", "hex")).subarray(0, 13);
    const known = decodeAdvert({
      mac: "A4:C1:38:CF:01:56",
      serviceData: { "181a": cut },
      manufacturerData: {},
    });
    expect(known).toMatchObject({
      ok: false,
      reason: /atc1441: MAC in the payload is 56:01:CF:38:C1:A4, the sender is A4:C1:38:CF:01:56/,
    });
    // Without the sender's MAC the two layouts can only be told apart by length: a known limit.
    const unknown = decodeAdvert({ serviceData: { "181a": cut }, manufacturerData: {} });
    expect(unknown).toMatchObject({ ok: true, format: "atc1441" });
  });

  it("says which UUIDs and company ids it saw when nothing matches", () => {
    const r = decodeAdvert({
      name: "x",
      serviceData: { fe95: Uint8Array.of(1) },
      manufacturerData: { 76: Uint8Array.of(2) },
    });
    expect(r).toEqual({
      ok: false,
      reason: expect.stringContaining("service data UUIDs: fe95; manufacturer ids: 0x004c; name: x"),
    });
  });
  it("refuses a plaintext format for a device that has a bindkey (downgrade)", () => {
    const pvvxBytes = Uint8Array.from(Buffer.from("5601cf38c1a44008bd13470c64cc0f", "hex"));
    const r = decodeAdvert({
      bindkey: "231d39c1d7cc1ab1aee224cd096db932",
      serviceData: { "181a": pvvxBytes },
      manufacturerData: {},
    });
    expect(r).toMatchObject({ ok: false, reason: /pvvx: a bindkey is configured .* refused/ });
  });
  it("an Inkbird reading whose slot equals Govee's company id decodes as Inkbird (−49.84 °C)", () => {
    const slot = 0xec88;
    const d = Uint8Array.of(0x10, 0x27, 0x01, 0, 0, 90, 0x08); // humidity 100.00 %, external probe
    const c = crc16Modbus(Uint8Array.of(slot & 0xff, slot >> 8, 0x10, 0x27, 0x01));
    d[3] = c & 0xff;
    d[4] = c >> 8;
    expect(decodeAdvert({ name: "sps", serviceData: {}, manufacturerData: { [slot]: d } })).toEqual({
      ok: true,
      format: "inkbird-ibs-th",
      tempC: -49.84,
      humidityPct: 100,
      batteryPct: 90,
      externalProbe: true,
    });
  });
});
