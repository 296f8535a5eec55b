/**
 * Every BLE format coldtrail decodes, in the order they are tried. A new format is one module
 * (decoder + encoder) listed here plus its captures.
 */
import type {
  BleAdvert,
  BleDecoder,
  BleEncoder,
  DecodeResult,
  EncodeOptions,
  EncodeResult,
  EncodeValues,
  FormatId,
} from "./advert.js";
import { atc1441, atc1441Encoder } from "./atc1441.js";
import { bthomeV2, bthomeV2Encoder } from "./bthome.js";
import { goveeH5074, goveeH5074Encoder } from "./govee-h5074.js";
import { goveeH5075, goveeH5075Encoder } from "./govee-h5075.js";
import { inkbirdIbsTh, inkbirdIbsThEncoder } from "./inkbird-ibs-th.js";
import { pvvx, pvvxEncoder } from "./pvvx.js";
import { ruuvi3, ruuvi3Encoder } from "./ruuvi-3.js";
import { ruuvi5, ruuvi5Encoder } from "./ruuvi-5.js";

/**
 * Inkbird first: it is matched by name and checksummed, while its "company id" is really a temperature
 * that can collide with a real company id (0xEC88 = −49.84 °C, 0x0499 = 11.77 °C).
 */
export const DECODERS: readonly BleDecoder[] = [
  inkbirdIbsTh,
  bthomeV2,
  pvvx,
  atc1441,
  ruuvi5,
  ruuvi3,
  goveeH5075,
  goveeH5074,
];

export const ENCODERS: readonly BleEncoder[] = [
  inkbirdIbsThEncoder,
  bthomeV2Encoder,
  pvvxEncoder,
  atc1441Encoder,
  ruuvi5Encoder,
  ruuvi3Encoder,
  goveeH5075Encoder,
  goveeH5074Encoder,
];

export const FORMAT_IDS: readonly FormatId[] = DECODERS.map((d) => d.id);

export function isFormatId(id: string): id is FormatId {
  return (FORMAT_IDS as readonly string[]).includes(id);
}

export function decoderFor(id: FormatId): BleDecoder {
  return DECODERS.find((d) => d.id === id) as BleDecoder;
}

export function encoderFor(id: FormatId): BleEncoder {
  return ENCODERS.find((e) => e.id === id) as BleEncoder;
}

/**
 * Decodes with the first matching format that accepts the bytes. With a bindkey configured, formats
 * that are never encrypted are refused: a plaintext packet from a device meant to encrypt is a spoof
 * or a downgrade (bthome.io/encryption, "Limitations").
 */
export function decodeAdvert(ad: BleAdvert): DecodeResult {
  const candidates = DECODERS.filter((d) => d.matches(ad));
  if (candidates.length === 0) return { ok: false, reason: noDecoderReason(ad) };
  const reasons: string[] = [];
  for (const d of candidates) {
    if (ad.bindkey && !d.encrypted) {
      reasons.push(
        `${d.id}: a bindkey is configured for this device but ${d.id} is never encrypted: refused as a possible downgrade/spoof`,
      );
      continue;
    }
    const r = d.decode(ad);
    if (r.ok) return r;
    reasons.push(r.reason);
  }
  return { ok: false, reason: reasons.join("; ") };
}

export function encodeAdvert(format: FormatId, values: EncodeValues, options?: EncodeOptions): EncodeResult {
  return encoderFor(format).encode(values, options);
}

function noDecoderReason(ad: BleAdvert): string {
  const uuids = Object.keys(ad.serviceData);
  const companies = Object.keys(ad.manufacturerData).map(
    (k) => `0x${Number(k).toString(16).padStart(4, "0")}`,
  );
  return (
    `no decoder matches this advertisement (service data UUIDs: ${uuids.join(", ") || "none"}; ` +
    `manufacturer ids: ${companies.join(", ") || "none"}; name: ${ad.name ?? "none"}). ` +
    `Known formats: ${FORMAT_IDS.join(", ")}`
  );
}
