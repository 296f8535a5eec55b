/**
 * `coldtrail-bridge decode`: one advertisement in (flags or gateway JSON), one JSON reading out.
 * Exit codes: 0 decoded, 1 well-formed input whose bytes no decoder accepts, 2 usage/input errors.
 */
import { parseArgs } from "node:util";
import { type BleAdvert, type BleReading, macToBytes, normaliseUuid16 } from "../decoders/advert.js";
import { advertFromGatewayJson } from "../decoders/gateway-json.js";
import { parseHex } from "../decoders/hex.js";
import { decodeAdvert } from "../decoders/registry.js";

export const EXIT_OK = 0;
export const EXIT_UNDECODABLE = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const DECODE_USAGE = `Usage:
  coldtrail-bridge decode --service-uuid <uuid16> --data <hex> [--mac AA:BB:CC:DD:EE:FF] [--name <name>] [--bindkey <32 hex>]
  coldtrail-bridge decode --manufacturer-id <id> --data <hex> [--mac …] [--name …]
  coldtrail-bridge decode --json '<OpenMQTTGateway/Theengs advertisement JSON>' [--bindkey <32 hex>]

  --service-uuid     16-bit service UUID, e.g. fcd2 (BTHome) or 181a (pvvx/ATC); --data is the service data without the UUID
  --manufacturer-id  company id, decimal or 0x…, e.g. 1177 or 0x0499 (Ruuvi); --data is without the 2-byte company id
  --json             {"id":"AA:BB:…","name":…,"servicedatauuid":"0xfcd2","servicedata":"…","manufacturerdata":"…"}
                     (manufacturerdata starts with the company id, little-endian)

Prints {"format":…,"temp_c":…,"humidity_pct"?,"battery_pct"?,"battery_mv"?} and exits 0;
exits 1 when no decoder accepts the bytes, 2 on a usage error. The reason goes to stderr.`;

type Parsed = { ok: true; advert: BleAdvert } | { ok: false; reason: string };

const OPTIONS = {
  "service-uuid": { type: "string" },
  "manufacturer-id": { type: "string" },
  data: { type: "string" },
  mac: { type: "string" },
  name: { type: "string" },
  bindkey: { type: "string" },
  json: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>["values"];

function parseCompanyId(text: string): number | undefined {
  const t = text.trim();
  const n = /^0x[0-9a-f]{1,4}$/i.test(t)
    ? Number.parseInt(t.slice(2), 16)
    : /^\d{1,5}$/.test(t)
      ? Number(t)
      : Number.NaN;
  return Number.isInteger(n) && n >= 0 && n <= 0xffff ? n : undefined;
}

function checkBindkey(bindkey: string | undefined): string | undefined {
  if (bindkey === undefined) return undefined;
  const k = parseHex(bindkey);
  return k.ok && k.bytes.length === 16
    ? undefined
    : `--bindkey must be 32 hex digits (16 bytes), got "${bindkey}"`;
}

function advertFromJsonFlag(v: Values): Parsed {
  const mixed = (["service-uuid", "manufacturer-id", "data", "mac", "name"] as const).filter(
    (k) => v[k] !== undefined,
  );
  if (mixed.length > 0) {
    return { ok: false, reason: `--json cannot be combined with ${mixed.map((k) => `--${k}`).join(", ")}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(v.json as string);
  } catch (e) {
    return { ok: false, reason: `--json is not valid JSON: ${(e as Error).message}` };
  }
  const r = advertFromGatewayJson(value, v.bindkey === undefined ? {} : { bindkey: v.bindkey });
  return r.ok ? r : { ok: false, reason: r.reason };
}

function advertFromFlags(v: Values): Parsed {
  const hasUuid = v["service-uuid"] !== undefined;
  const hasCompany = v["manufacturer-id"] !== undefined;
  if (hasUuid === hasCompany) {
    return {
      ok: false,
      reason: "give exactly one of --service-uuid, --manufacturer-id (with --data), or --json",
    };
  }
  if (v.data === undefined)
    return { ok: false, reason: "--data <hex> is required with --service-uuid or --manufacturer-id" };
  const data = parseHex(v.data);
  if (!data.ok) return { ok: false, reason: `--data: ${data.reason}` };
  const advert: BleAdvert = { serviceData: {}, manufacturerData: {} };
  if (hasUuid) {
    const uuid = normaliseUuid16(v["service-uuid"] as string);
    if (!uuid)
      return {
        ok: false,
        reason: `--service-uuid must be a 16-bit UUID like fcd2 or 0x181a, got "${v["service-uuid"]}"`,
      };
    advert.serviceData[uuid] = data.bytes;
  } else {
    const id = parseCompanyId(v["manufacturer-id"] as string);
    if (id === undefined) {
      return {
        ok: false,
        reason: `--manufacturer-id must be 0-65535, decimal or 0x…, got "${v["manufacturer-id"]}"`,
      };
    }
    advert.manufacturerData[id] = data.bytes;
  }
  if (v.mac !== undefined) {
    if (!macToBytes(v.mac))
      return { ok: false, reason: `--mac must look like AA:BB:CC:DD:EE:FF, got "${v.mac}"` };
    advert.mac = v.mac;
  }
  if (v.name !== undefined) advert.name = v.name;
  if (v.bindkey !== undefined) advert.bindkey = v.bindkey;
  return { ok: true, advert };
}

/** The printed shape is the DESIGN.md contract; `null` stays (the device said "not available"), `undefined` is left out. */
export function readingJson(r: BleReading): string {
  return JSON.stringify({
    format: r.format,
    temp_c: r.tempC,
    humidity_pct: r.humidityPct,
    battery_pct: r.batteryPct,
    battery_mv: r.batteryMv,
  });
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ");

export function runDecode(args: readonly string[], io: CliIo): number {
  let values: Values;
  try {
    values = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    // parseArgs reports unknown options and missing values by throwing; that is a usage error here.
    io.err(`coldtrail-bridge decode: ${oneLine((e as Error).message)} (see --help)`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.out(DECODE_USAGE);
    return EXIT_OK;
  }
  const keyProblem = checkBindkey(values.bindkey);
  const parsed: Parsed = keyProblem
    ? { ok: false, reason: keyProblem }
    : values.json !== undefined
      ? advertFromJsonFlag(values)
      : advertFromFlags(values);
  if (!parsed.ok) {
    io.err(`coldtrail-bridge decode: ${oneLine(parsed.reason)} (see --help)`);
    return EXIT_USAGE;
  }
  const r = decodeAdvert(parsed.advert);
  if (!r.ok) {
    io.err(`coldtrail-bridge decode: ${oneLine(r.reason)}`);
    return EXIT_UNDECODABLE;
  }
  io.out(readingJson(r));
  return EXIT_OK;
}
