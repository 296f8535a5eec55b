import { describe, expect, it } from "vitest";
import type { BleAdvert } from "./advert.js";
import { bthomeV2, bthomeV2Encoder, parseBthomeObjects } from "./bthome.js";
import { decodeAdvert } from "./registry.js";

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ""), "hex"));
const ad = (data: string, extra: Partial<BleAdvert> = {}): BleAdvert => ({
  serviceData: { fcd2: hex(data) },
  manufacturerData: {},
  ...extra,
});

// bthome.io/encryption worked example.
const SPEC_MAC = "54:48:E6:8F:80:A5";
const SPEC_KEY = "231d39c1d7cc1ab1aee224cd096db932";
const SPEC_ENCRYPTED = "41e445f3c9962b332211006c7c4519";

describe("bthome-v2, published examples", () => {
  it("format page example 40 02C409 03BF13 → 25.00 °C, 50.55 %", () => {
    expect(bthomeV2.decode(ad("4002c40903bf13"))).toEqual({
      ok: true,
      format: "bthome-v2",
      tempC: 25,
      humidityPct: 50.55,
    });
  });

  it.each([
    ["451101", 27.3], // 0x45 sint16 × 0.1
    ["02ca09", 25.06], // 0x02 sint16 × 0.01
    ["57ea", -22], // 0x57 sint8 × 1
    ["58ea", -7.7], // 0x58 sint8 × 0.35
  ])("object example %s → %s °C", (obj, tempC) => {
    expect(bthomeV2.decode(ad(`40${obj}`))).toMatchObject({ ok: true, tempC });
  });

  it("steps over length-prefixed text (0x53) and other objects to reach the temperature", () => {
    // packet id, battery, text "Hello World!", pressure… then a second temperature that must not win.
    const r = bthomeV2.decode(ad("40 0007 0161 02ca09 04138a01 530c48656c6c6f20576f726c6421 57ea"));
    expect(r).toEqual({ ok: true, format: "bthome-v2", tempC: 25.06, batteryPct: 97, packetId: 7 });
  });

  it("encryption example decrypts with the spec's key, MAC and counter", () => {
    expect(bthomeV2.decode(ad(SPEC_ENCRYPTED, { mac: SPEC_MAC, bindkey: SPEC_KEY }))).toEqual({
      ok: true,
      format: "bthome-v2",
      tempC: 25.06,
      humidityPct: 50.55,
      counter: 1122867,
    });
  });

  it("encoder reproduces the spec's encrypted bytes exactly", () => {
    const r = bthomeV2Encoder.encode(
      { tempC: 25.06, humidityPct: 50.55 },
      { mac: SPEC_MAC, bindkey: SPEC_KEY, counter: 1122867 },
    );
    if (!r.ok) throw new Error(r.reason);
    expect(Buffer.from(r.advert.serviceData.fcd2 as Uint8Array).toString("hex")).toBe(SPEC_ENCRYPTED);
  });
});

describe("bthome-v2, refusals", () => {
  const encrypted = (extra: Partial<BleAdvert>) =>
    bthomeV2.decode(ad(SPEC_ENCRYPTED, { mac: SPEC_MAC, bindkey: SPEC_KEY, ...extra }));

  it("wrong bindkey", () => {
    const r = encrypted({ bindkey: "231d39c1d7cc1ab1aee224cd096db933" });
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^bthome-v2: decryption failed/) });
  });
  it("wrong MAC (the nonce changes)", () => {
    expect(encrypted({ mac: "54:48:E6:8F:80:A6" })).toMatchObject({ ok: false, reason: /decryption failed/ });
  });
  it("no bindkey for an encrypted packet", () => {
    expect(encrypted({ bindkey: undefined })).toMatchObject({
      ok: false,
      reason: /encrypted: configure this device's bindkey/,
    });
  });
  it("no MAC for an encrypted packet", () => {
    expect(encrypted({ mac: undefined })).toMatchObject({ ok: false, reason: /MAC is needed/ });
  });
  it("malformed bindkey and MAC", () => {
    expect(encrypted({ bindkey: "abc" })).toMatchObject({
      ok: false,
      reason: /bindkey must be 32 hex digits/,
    });
    expect(encrypted({ mac: "not-a-mac" })).toMatchObject({ ok: false, reason: /MAC must look like/ });
  });
  it.each([1, 5, 8, 12])("a flipped bit in byte %i (ciphertext, counter, MIC)", (i) => {
    const bytes = hex(SPEC_ENCRYPTED);
    bytes[i] = (bytes[i] as number) ^ 0x01;
    const r = bthomeV2.decode({
      mac: SPEC_MAC,
      bindkey: SPEC_KEY,
      serviceData: { fcd2: bytes },
      manufacturerData: {},
    });
    expect(r).toMatchObject({ ok: false, reason: /decryption failed/ });
  });
  it("a plaintext packet when a bindkey is configured (downgrade)", () => {
    const r = bthomeV2.decode(ad("4002ca0903bf13", { mac: SPEC_MAC, bindkey: SPEC_KEY }));
    expect(r).toMatchObject({ ok: false, reason: /not encrypted but a bindkey is configured/ });
    expect(decodeAdvert(ad("4002ca0903bf13", { bindkey: SPEC_KEY })).ok).toBe(false);
  });
  it.each([
    ["20", 1],
    ["60", 3],
    ["00", 0],
    ["e0", 7],
  ])("wrong version: device-info 0x%s", (info, version) => {
    expect(bthomeV2.decode(ad(`${info}02ca09`))).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`BTHome version ${version}`),
    });
  });
  it("an encrypted packet truncated at every length is refused", () => {
    for (let n = 1; n < SPEC_ENCRYPTED.length / 2; n++) {
      const r = bthomeV2.decode(ad(SPEC_ENCRYPTED.slice(0, n * 2), { mac: SPEC_MAC, bindkey: SPEC_KEY }));
      expect(r.ok, `length ${n}`).toBe(false);
    }
  });
  it("empty service data", () => {
    expect(bthomeV2.decode(ad(""))).toMatchObject({ ok: false, reason: /no service data/ });
  });
  it("length byte missing after a text object", () => {
    expect(parseBthomeObjects(hex("53"))).toMatchObject({ ok: false, reason: /no length byte/ });
    expect(parseBthomeObjects(hex("5305414243"))).toMatchObject({ ok: false, reason: /truncated/ });
  });
});

describe("bthome-v2, truncation of a plaintext packet", () => {
  // 40 | 00 09 | 01 5d | 02 5d09 | 03 b718: objects end after byte 1, 3, 5, 8 and 11.
  const full = "400009015d025d0903b718";
  const boundaries = new Set([1, 3, 5, 8, 11]);
  const complete = { packetId: 9, batteryPct: 93, tempC: 23.97, humidityPct: 63.27 };

  for (let n = 1; n < full.length / 2; n++) {
    it(`cut to ${n} bytes is ${boundaries.has(n) ? "a shorter valid packet" : "refused"}`, () => {
      const r = bthomeV2.decode(ad(full.slice(0, n * 2)));
      if (!boundaries.has(n)) {
        expect(r).toMatchObject({ ok: false, reason: /truncated/ });
        return;
      }
      if (!r.ok) throw new Error(r.reason);
      // Every field it reports is the complete packet's value; nothing is made up from a partial object.
      for (const [k, v] of Object.entries(complete)) {
        const got = r[k as keyof typeof complete];
        if (got !== undefined && got !== null) expect(got).toBe(v);
      }
    });
  }
});
