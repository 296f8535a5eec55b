/**
 * Reads the BLE captures kept beside this module (`<format>.json`, one file per decoder format)
 * and checks their shape, so a malformed capture file fails the tests that use it by name.
 */
import { readdirSync, readFileSync } from "node:fs";
import { z } from "zod";
import type { BleAdvert, FormatId } from "../advert.js";
import { FORMAT_IDS, isFormatId } from "../registry.js";

const EXPECTED_VALUE = z.union([z.number(), z.boolean(), z.null()]);

const CAPTURE = z
  .object({
    id: z.string().min(1),
    format: z.string().refine(isFormatId, { message: "not a decoder format id" }),
    device: z.string().min(1),
    source: z.string().min(10),
    note: z.string().optional(),
    mac: z.string().nullable(),
    bindkey: z.string().nullable(),
    service_uuid: z.string().nullable(),
    manufacturer_id: z.number().int().nonnegative().nullable(),
    name: z.string().nullable(),
    data: z.string().regex(/^([0-9a-f]{2})*$/),
    expect: z.record(z.string(), EXPECTED_VALUE).optional(),
    absent: z.array(z.string()).optional(),
    error: z.literal(true).optional(),
  })
  .strict()
  .refine((c) => (c.error === true) !== (c.expect !== undefined), {
    message: 'a capture has exactly one of "expect" (decodes) or "error": true (is refused)',
  });

const CAPTURE_FILE = z
  .object({ format: z.string(), about: z.string().min(1), captures: z.array(CAPTURE).min(1) })
  .strict();

/** One advertisement payload and what decoding it must give, with where it came from. */
export interface Capture {
  id: string;
  format: FormatId;
  device: string;
  source: string;
  note?: string;
  mac: string | null;
  bindkey: string | null;
  service_uuid: string | null;
  manufacturer_id: number | null;
  name: string | null;
  /** Payload in lowercase hex, without the service UUID or company id. */
  data: string;
  /** Decoded values by wire name (`temp_c`, `humidity_pct`, …); absent when the capture must be refused. */
  expect?: Record<string, number | boolean | null>;
  /** Fields the packet marks "not available". */
  absent?: string[];
  error?: true;
}

export const CAPTURES_DIR = new URL("./", import.meta.url);

/** The capture files present, by name (`bthome-v2.json`, …). */
export function captureFileNames(): string[] {
  return readdirSync(CAPTURES_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

/** Every capture of one format, from `<format>.json`; throws naming the file and the field when malformed. */
export function loadCaptures(format: FormatId): Capture[] {
  const file = `${format}.json`;
  const parsed = CAPTURE_FILE.safeParse(JSON.parse(readFileSync(new URL(file, CAPTURES_DIR), "utf8")));
  if (!parsed.success) {
    throw new Error(`captures/${file} is malformed: ${z.prettifyError(parsed.error)}; fix the file`);
  }
  const { data } = parsed;
  const stray = data.captures.find((c) => c.format !== format);
  if (data.format !== format || stray) {
    throw new Error(
      `captures/${file} must hold only ${format} captures, found ${stray ? `${stray.id} (${stray.format})` : `format "${data.format}"`}`,
    );
  }
  return data.captures as Capture[];
}

/** Every capture of every decoder format, in registry order. */
export function loadAllCaptures(): Capture[] {
  return FORMAT_IDS.flatMap(loadCaptures);
}

/** The advertisement a scanner would report for this capture. */
export function advertOf(
  c: Capture,
  data: Uint8Array = Uint8Array.from(Buffer.from(c.data, "hex")),
): BleAdvert {
  return {
    ...(c.mac !== null && { mac: c.mac }),
    ...(c.name !== null && { name: c.name }),
    ...(c.bindkey !== null && { bindkey: c.bindkey }),
    serviceData: c.service_uuid !== null ? { [c.service_uuid]: data } : {},
    manufacturerData: c.manufacturer_id !== null ? { [c.manufacturer_id]: data } : {},
  };
}
