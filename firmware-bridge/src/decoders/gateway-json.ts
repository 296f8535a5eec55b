/**
 * OpenMQTTGateway / Theengs Gateway publish each advertisement as JSON, e.g.
 * `{"id":"AA:BB:CC:DD:EE:FF","name":"ATC_8D18B2","servicedatauuid":"0xfcd2","servicedata":"40…","manufacturerdata":"9904…"}`.
 * Their `manufacturerdata` starts with the 2-byte company id, little-endian; `servicedata` does not
 * include the UUID. This turns one such object into a `BleAdvert`.
 */
import { z } from "zod";
import { type BleAdvert, bytesToMac, macToBytes, normaliseUuid16 } from "./advert.js";
import { parseHex } from "./hex.js";

const gatewayAdvertSchema = z.object({
  id: z.string().optional(),
  mac: z.string().optional(),
  name: z.string().optional(),
  servicedatauuid: z.string().optional(),
  servicedata: z.string().optional(),
  manufacturerdata: z.string().optional(),
});

export type GatewayAdvertJson = z.infer<typeof gatewayAdvertSchema>;

export type AdvertResult = { ok: true; advert: BleAdvert } | { ok: false; reason: string };

export function advertFromGatewayJson(value: unknown, options: { bindkey?: string } = {}): AdvertResult {
  const parsed = gatewayAdvertSchema.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return {
      ok: false,
      reason: `gateway JSON: ${i ? `${i.path.join(".") || "value"}: ${i.message}` : "invalid"}`,
    };
  }
  const j = parsed.data;
  const advert: BleAdvert = { serviceData: {}, manufacturerData: {} };
  const address = j.id ?? j.mac;
  if (address !== undefined) {
    const mac = macToBytes(address);
    if (!mac)
      return {
        ok: false,
        reason: `gateway JSON: "id" must be a MAC like AA:BB:CC:DD:EE:FF, got "${address}"`,
      };
    advert.mac = bytesToMac(mac);
  }
  if (j.name !== undefined) advert.name = j.name;
  if (j.servicedata !== undefined) {
    if (j.servicedatauuid === undefined) {
      return {
        ok: false,
        reason: 'gateway JSON: "servicedata" without "servicedatauuid": cannot tell which service it is',
      };
    }
    const uuid = normaliseUuid16(j.servicedatauuid);
    if (!uuid) {
      return {
        ok: false,
        reason: `gateway JSON: "servicedatauuid" must be a 16-bit UUID like 0xfcd2, got "${j.servicedatauuid}"`,
      };
    }
    const data = parseHex(j.servicedata);
    if (!data.ok) return { ok: false, reason: `gateway JSON: "servicedata": ${data.reason}` };
    advert.serviceData[uuid] = data.bytes;
  }
  if (j.manufacturerdata !== undefined) {
    const data = parseHex(j.manufacturerdata);
    if (!data.ok) return { ok: false, reason: `gateway JSON: "manufacturerdata": ${data.reason}` };
    if (data.bytes.length < 2) {
      return {
        ok: false,
        reason: `gateway JSON: "manufacturerdata" must start with the 2-byte company id, got ${data.bytes.length} byte(s)`,
      };
    }
    const company = (data.bytes[0] as number) | ((data.bytes[1] as number) << 8);
    advert.manufacturerData[company] = data.bytes.subarray(2);
  }
  if (j.servicedata === undefined && j.manufacturerdata === undefined) {
    return {
      ok: false,
      reason:
        'gateway JSON has neither "servicedata" nor "manufacturerdata": set the gateway to publish raw advertisement data',
    };
  }
  if (options.bindkey !== undefined) advert.bindkey = options.bindkey;
  return { ok: true, advert };
}

/** The reverse, for simulators that pretend to be a gateway. */
export function gatewayJsonFromAdvert(ad: BleAdvert): GatewayAdvertJson {
  const out: GatewayAdvertJson = {};
  if (ad.mac !== undefined) out.id = ad.mac;
  if (ad.name !== undefined) out.name = ad.name;
  const [uuid, data] = Object.entries(ad.serviceData)[0] ?? [];
  if (uuid !== undefined && data !== undefined) {
    out.servicedatauuid = `0x${uuid}`;
    out.servicedata = Buffer.from(data).toString("hex");
  }
  const [company, mdata] = Object.entries(ad.manufacturerData)[0] ?? [];
  if (company !== undefined && mdata !== undefined) {
    const id = Number(company);
    out.manufacturerdata = Buffer.concat([Uint8Array.of(id & 0xff, id >> 8), mdata]).toString("hex");
  }
  return out;
}
