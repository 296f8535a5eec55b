import { parseArgs } from "node:util";
import { FORMAT_IDS, type FormatId } from "@coldtrail/firmware-bridge/decoders";
import { type BleRunEvent, bleAdverts } from "../ble/ble-run.js";
import type { UnitEvent } from "../models/events.js";
import { UNIT_MODEL_IDS } from "../models/registry.js";

export const BLE_USAGE = `  coldtrail-sim ble [--unit upright-freezer] [--format pvvx] [--mac A4:C1:38:00:00:01] [--minutes 60]
                    [--power-cut-at-min N --power-back-at-min M] [--seed N]
      writes the advertisements a BLE thermometer in a simulated unit sends, one JSON line each, in the
      shape \`coldtrail-bridge gateway --source replay:<file>\` reads`;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/**
 * BLE mode: the advertisement bytes of a thermometer in a simulated unit, driven by its thermal
 * model and encoded by firmware-bridge's encoders, written as advert lines for the gateway's
 * replay source, so the whole gateway path runs without a radio.
 */
export function bleCommand(
  args: readonly string[],
  out: (line: string) => void,
  err: (line: string) => void,
): number {
  const { values: v } = parseArgs({
    args: [...args],
    options: {
      unit: { type: "string", default: "upright-freezer" },
      format: { type: "string", default: "pvvx" },
      mac: { type: "string", default: "A4:C1:38:00:00:01" },
      minutes: { type: "string", default: "60" },
      "power-cut-at-min": { type: "string" },
      "power-back-at-min": { type: "string" },
      seed: { type: "string", default: "1" },
      start: { type: "string" },
    },
  });
  if (!(UNIT_MODEL_IDS as readonly string[]).includes(v.unit)) {
    err(`coldtrail-sim ble: --unit must be one of ${UNIT_MODEL_IDS.join(", ")}, got "${v.unit}"`);
    return 2;
  }
  if (!(FORMAT_IDS as readonly string[]).includes(v.format)) {
    err(`coldtrail-sim ble: --format must be one of ${FORMAT_IDS.join(", ")}, got "${v.format}"`);
    return 2;
  }
  const minutes = Number(v.minutes);
  if (!(minutes > 0 && minutes <= 60 * 24 * 31)) {
    err(`coldtrail-sim ble: --minutes must be 1-44640, got "${v.minutes}"`);
    return 2;
  }
  const events: BleRunEvent[] = [];
  const at = (name: "power-cut-at-min" | "power-back-at-min", kind: UnitEvent["kind"]) => {
    if (v[name] === undefined) return true;
    const m = Number(v[name]);
    if (!(m >= 0 && m <= minutes)) {
      err(`coldtrail-sim ble: --${name} must be between 0 and --minutes, got "${v[name]}"`);
      return false;
    }
    events.push({ afterMs: m * 60_000, event: { kind } as UnitEvent });
    return true;
  };
  if (!at("power-cut-at-min", "power-cut") || !at("power-back-at-min", "power-restore")) return 2;
  const durationMs = minutes * 60_000;
  const startMs = v.start ? Date.parse(v.start) : Date.now() - durationMs;
  if (Number.isNaN(startMs)) {
    err(`coldtrail-sim ble: --start must be an ISO 8601 time, got "${v.start}"`);
    return 2;
  }
  for (const a of bleAdverts({
    unit: v.unit,
    startMs,
    durationMs,
    events,
    sensors: [{ mac: v.mac, format: v.format as FormatId, seed: Number(v.seed) }],
  })) {
    out(
      JSON.stringify({
        atMs: a.atMs,
        mac: a.mac,
        rssi: a.rssi,
        name: a.name,
        serviceData: Object.fromEntries(Object.entries(a.serviceData).map(([k, b]) => [k, hex(b)])),
        manufacturerData: Object.fromEntries(Object.entries(a.manufacturerData).map(([k, b]) => [k, hex(b)])),
      }),
    );
  }
  return 0;
}
