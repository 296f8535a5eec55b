/**
 * One advertisement per line of JSON, for replay files and captures:
 * `{"atMs":1777816800000,"mac":"A4:C1:38:00:00:01","rssi":-61,"name":null,"serviceData":{"fcd2":"40020ff9"},"manufacturerData":{}}`.
 * Bytes are hex; manufacturer data is keyed by the decimal company id and excludes it (as in `BleAdvert`).
 */
import { z } from "zod";
import { bytesToMac, macToBytes, normaliseUuid16 } from "../decoders/advert.js";
import { parseHex, toHex } from "../decoders/hex.js";
import type { ScannedAdvert } from "./advert-source.js";

const lineSchema = z.strictObject({
  atMs: z.number().int().min(0),
  mac: z.string(),
  rssi: z.number().int().min(-150).max(20).nullable().optional(),
  name: z.string().max(248).nullable().optional(),
  serviceData: z.record(z.string(), z.string()).default({}),
  manufacturerData: z.record(z.string(), z.string()).default({}),
});

export type AdvertLineResult = { ok: true; advert: ScannedAdvert } | { ok: false; reason: string };

export function parseAdvertLine(line: string): AdvertLineResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}` };
  }
  const p = lineSchema.safeParse(value);
  if (!p.success) {
    const i = p.error.issues[0];
    return { ok: false, reason: `${i?.path.join(".") || "line"}: ${i?.message ?? "invalid"}` };
  }
  const mac = macToBytes(p.data.mac);
  if (!mac)
    return { ok: false, reason: `mac must look like AA:BB:CC:DD:EE:FF, got "${p.data.mac.slice(0, 40)}"` };
  const advert: ScannedAdvert = {
    mac: bytesToMac(mac),
    rssi: p.data.rssi ?? null,
    name: p.data.name ?? null,
    atMs: p.data.atMs,
    serviceData: {},
    manufacturerData: {},
  };
  for (const [uuid, hex] of Object.entries(p.data.serviceData)) {
    const u = normaliseUuid16(uuid);
    if (!u) return { ok: false, reason: `serviceData key must be a 16-bit UUID like fcd2, got "${uuid}"` };
    const b = parseHex(hex);
    if (!b.ok) return { ok: false, reason: `serviceData.${uuid}: ${b.reason}` };
    advert.serviceData[u] = b.bytes;
  }
  for (const [id, hex] of Object.entries(p.data.manufacturerData)) {
    const n = Number(id);
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) {
      return { ok: false, reason: `manufacturerData key must be a company id 0-65535, got "${id}"` };
    }
    const b = parseHex(hex);
    if (!b.ok) return { ok: false, reason: `manufacturerData.${id}: ${b.reason}` };
    advert.manufacturerData[n] = b.bytes;
  }
  return { ok: true, advert };
}

export function formatAdvertLine(a: ScannedAdvert): string {
  return JSON.stringify({
    atMs: a.atMs,
    mac: a.mac,
    rssi: a.rssi,
    name: a.name,
    serviceData: Object.fromEntries(Object.entries(a.serviceData).map(([k, v]) => [k, toHex(v)])),
    manufacturerData: Object.fromEntries(Object.entries(a.manufacturerData).map(([k, v]) => [k, toHex(v)])),
  });
}
