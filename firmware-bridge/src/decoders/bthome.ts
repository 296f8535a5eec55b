/**
 * BTHome v2 (service data UUID 0xFCD2), plain or AES-CCM encrypted.
 *
 * Layout (bthome.io/format): device-info byte (bit 0 encrypted, bit 2 trigger-based, bits 5-7 version),
 * then objects `id, little-endian value`, in ascending id order.
 * Encryption (bthome.io/encryption): AES-128-CCM, 4-byte MIC, no associated data;
 * service data = info, ciphertext, counter (uint32 LE), MIC; nonce = MAC (6 bytes as written) +
 * UUID as sent (d2 fc) + info byte + counter. The counter must rise; checking that needs state, so it
 * is returned as `counter` for the gateway to check.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import {
  type BleDecoder,
  type BleEncoder,
  type DecodeResult,
  type EncodeResult,
  fail,
  macToBytes,
  nonFinite,
} from "./advert.js";
import { BTHOME_OBJECTS, type BthomeProperty } from "./bthome-objects.js";
import { parseHex } from "./hex.js";

export const BTHOME_UUID = "fcd2";
const ID = "bthome-v2" as const;
const UUID_AS_SENT = Uint8Array.of(0xd2, 0xfc);
const MIC_BYTES = 4;
const COUNTER_BYTES = 4;

function readLe(b: Uint8Array, at: number, n: number, signed: boolean): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + (b[at + i] ?? 0);
  if (signed && v >= 2 ** (8 * n - 1)) v -= 2 ** (8 * n);
  return v;
}

type Values = Partial<Record<BthomeProperty, number>>;

/** Walks the objects; stops at the first unknown id, refuses an object cut short. */
export function parseBthomeObjects(
  payload: Uint8Array,
): { ok: true; values: Values } | { ok: false; reason: string } {
  const values: Values = {};
  let at = 0;
  while (at < payload.length) {
    const id = payload[at] as number;
    const obj = BTHOME_OBJECTS.get(id);
    // The spec: "A BTHome receiver will stop parsing object ids as soon as it finds an object id that
    // isn't supported" — what follows cannot be framed without knowing that object's length.
    if (!obj) break;
    let start = at + 1;
    let len = obj.bytes;
    if (len === 0) {
      if (start >= payload.length)
        return { ok: false, reason: `object 0x${hex2(id)} at byte ${at} has no length byte` };
      len = payload[start] as number;
      start += 1;
    }
    if (start + len > payload.length) {
      return {
        ok: false,
        reason: `object 0x${hex2(id)} at byte ${at} needs ${len} bytes, only ${payload.length - start} left (truncated)`,
      };
    }
    const p = obj.property;
    // Several objects of one kind (e.g. two temperatures) are allowed; the first is the device's main one.
    if (p && values[p.name] === undefined) {
      values[p.name] = (readLe(payload, start, len, obj.signed) * p.mul) / p.div;
    }
    at = start + len;
  }
  return { ok: true, values };
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function parseBindkey(bindkey: string): Uint8Array | undefined {
  const k = parseHex(bindkey);
  return k.ok && k.bytes.length === 16 ? k.bytes : undefined;
}

function nonceFor(mac: Uint8Array, info: number, counter: Uint8Array): Buffer {
  return Buffer.concat([mac, UUID_AS_SENT, Uint8Array.of(info), counter]);
}

function decrypt(
  data: Uint8Array,
  key: Uint8Array,
  mac: Uint8Array,
): { ok: true; plain: Uint8Array; counter: number } | { ok: false; reason: string } {
  const info = data[0] as number;
  const end = data.length;
  const ciphertext = data.subarray(1, end - COUNTER_BYTES - MIC_BYTES);
  const counterBytes = data.subarray(end - COUNTER_BYTES - MIC_BYTES, end - MIC_BYTES);
  const mic = data.subarray(end - MIC_BYTES);
  try {
    const d = createDecipheriv("aes-128-ccm", key, nonceFor(mac, info, counterBytes), {
      authTagLength: MIC_BYTES,
    });
    d.setAuthTag(mic);
    const plain = Buffer.concat([d.update(ciphertext), d.final()]);
    return { ok: true, plain: new Uint8Array(plain), counter: readLe(counterBytes, 0, 4, false) };
  } catch {
    // node:crypto signals a failed CCM authentication by throwing; that is an expected outcome here.
    return {
      ok: false,
      reason:
        "decryption failed: the message integrity check does not match (wrong bindkey, wrong MAC, or tampered data)",
    };
  }
}

export const bthomeV2: BleDecoder = {
  id: ID,
  encrypted: true,
  matches: (ad) => BTHOME_UUID in ad.serviceData,
  decode(ad): DecodeResult {
    const data = ad.serviceData[BTHOME_UUID];
    if (!data || data.length === 0) return fail(ID, "no service data under UUID fcd2");
    const info = data[0] as number;
    const version = info >> 5;
    if (version !== 2) {
      return fail(
        ID,
        `device-info byte 0x${hex2(info)} says BTHome version ${version}; only version 2 is supported (version 1 uses UUIDs 181c/181e)`,
      );
    }
    let payload: Uint8Array;
    let counter: number | undefined;
    if ((info & 0x01) === 0x01) {
      if (!ad.bindkey)
        return fail(ID, "advertisement is encrypted: configure this device's bindkey (32 hex digits)");
      const key = parseBindkey(ad.bindkey);
      if (!key)
        return fail(ID, `bindkey must be 32 hex digits (16 bytes), got ${ad.bindkey.length} characters`);
      if (!ad.mac)
        return fail(ID, "advertisement is encrypted: the device MAC is needed (it is part of the nonce)");
      const mac = macToBytes(ad.mac);
      if (!mac) return fail(ID, `MAC must look like AA:BB:CC:DD:EE:FF, got "${ad.mac}"`);
      if (data.length < 1 + 1 + COUNTER_BYTES + MIC_BYTES) {
        return fail(
          ID,
          `encrypted service data needs at least 10 bytes (info, data, 4-byte counter, 4-byte MIC), got ${data.length}`,
        );
      }
      const d = decrypt(data, key, mac);
      if (!d.ok) return fail(ID, d.reason);
      payload = d.plain;
      counter = d.counter;
    } else {
      if (ad.bindkey) {
        // bthome.io/encryption warns that receivers accepting plaintext let anyone spoof an encrypted
        // device; with a key configured, a plaintext packet is refused.
        return fail(
          ID,
          "advertisement is not encrypted but a bindkey is configured for this device: refused as a possible downgrade/spoof",
        );
      }
      payload = data.subarray(1);
    }
    const parsed = parseBthomeObjects(payload);
    if (!parsed.ok) return fail(ID, parsed.reason);
    const v = parsed.values;
    return {
      ok: true,
      format: ID,
      tempC: v.tempC ?? null,
      ...(v.humidityPct !== undefined && { humidityPct: v.humidityPct }),
      ...(v.batteryPct !== undefined && { batteryPct: v.batteryPct }),
      ...(v.packetId !== undefined && { packetId: v.packetId }),
      ...(counter !== undefined && { counter }),
    };
  },
};

function intIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

export const bthomeV2Encoder: BleEncoder = {
  id: ID,
  encode(values, options = {}): EncodeResult {
    const bad = nonFinite(ID, values);
    if (bad) return bad;
    const parts: number[] = [];
    const le = (v: number, n: number) => {
      for (let i = 0; i < n; i++) parts.push(Math.floor(v / 256 ** i) & 0xff);
    };
    if (values.packetId !== undefined) {
      if (!intIn(values.packetId, 0, 255)) return fail(ID, `packetId must be 0-255, got ${values.packetId}`);
      parts.push(0x00, values.packetId);
    }
    if (values.batteryPct !== undefined) {
      const b = Math.round(values.batteryPct);
      if (!intIn(b, 0, 100)) return fail(ID, `batteryPct must be 0-100, got ${values.batteryPct}`);
      parts.push(0x01, b);
    }
    const t = Math.round(values.tempC * 100);
    if (!intIn(t, -32768, 32767)) return fail(ID, `tempC must be -327.68…327.67, got ${values.tempC}`);
    parts.push(0x02);
    le(t < 0 ? t + 65536 : t, 2);
    if (values.humidityPct !== undefined) {
      const h = Math.round(values.humidityPct * 100);
      if (!intIn(h, 0, 10000)) return fail(ID, `humidityPct must be 0-100, got ${values.humidityPct}`);
      parts.push(0x03);
      le(h, 2);
    }
    const plain = Uint8Array.from(parts);
    if (options.bindkey === undefined) {
      return {
        ok: true,
        advert: { serviceData: { [BTHOME_UUID]: Uint8Array.of(0x40, ...plain) }, manufacturerData: {} },
      };
    }
    const key = parseBindkey(options.bindkey);
    if (!key) return fail(ID, "bindkey must be 32 hex digits");
    const mac = options.mac === undefined ? undefined : macToBytes(options.mac);
    if (!mac) return fail(ID, "encryption needs the device MAC (AA:BB:CC:DD:EE:FF)");
    const counter = options.counter ?? 0;
    if (!intIn(counter, 0, 0xffffffff)) return fail(ID, `counter must be a uint32, got ${counter}`);
    const info = 0x41;
    const counterBytes = Uint8Array.of(
      counter & 0xff,
      (counter >>> 8) & 0xff,
      (counter >>> 16) & 0xff,
      counter >>> 24,
    );
    const c = createCipheriv("aes-128-ccm", key, nonceFor(mac, info, counterBytes), {
      authTagLength: MIC_BYTES,
    });
    const ciphertext = Buffer.concat([c.update(plain), c.final()]);
    const data = Buffer.concat([Uint8Array.of(info), ciphertext, counterBytes, c.getAuthTag()]);
    return {
      ok: true,
      advert: {
        mac: options.mac,
        serviceData: { [BTHOME_UUID]: new Uint8Array(data) },
        manufacturerData: {},
      },
    };
  },
};
