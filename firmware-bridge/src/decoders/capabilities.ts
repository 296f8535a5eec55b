/**
 * Which sensors can physically read freezer temperatures. A decoder knows the format; the rated range
 * belongs to the device, so this table is per model, and `identifySensor` picks the model from the
 * format, the advertised name and (Inkbird) whether the external probe is in use.
 *
 * `verified: false` marks a number that was not read on the maker's own page; check before relying on it.
 */
import type { FormatId } from "./advert.js";

export interface SensorCapability {
  model: string;
  formats: readonly FormatId[];
  /** Lowest rated operating/measuring temperature; `null` = not known. */
  minTempC: number | null;
  maxTempC: number | null;
  source: string;
  verified: boolean;
  note?: string;
}

export const SENSOR_CAPABILITIES = {
  lcdHygrometer: {
    model: "Xiaomi LYWSD03MMC-class LCD hygrometer (LYWSD03MMC, MHO-C401, CGG1, CGDK2)",
    formats: ["pvvx", "atc1441", "bthome-v2"],
    minTempC: 0,
    maxTempC: 60,
    source: "Xiaomi LYWSD03MMC rated 0-60 °C, as stated in coldtrail issue 6; maker's datasheet not read",
    verified: false,
    note: "the sensor chip reads lower, but the LCD and CR2032 cell are not rated below 0 °C",
  },
  goveeH5075: {
    model: "Govee H5075 / H5072",
    formats: ["govee-h5075"],
    minTempC: 0,
    maxTempC: 50,
    source:
      "Govee's official operating range 0-50 °C, quoted by the GoveeWatcher maintainer (Thrilleratplay/GoveeWatcher issue #2); the Govee app shows -20-60 °C",
    verified: false,
    note: "it does send sub-zero readings, but an LCD unit outside its rating is not trusted for milk",
  },
  goveeH5074: {
    model: "Govee H5074",
    formats: ["govee-h5074"],
    minTempC: null,
    maxTempC: null,
    source:
      "no maker's rating found; one user reports it working inside a freezer (wimsworld.wordpress.com, 2020)",
    verified: false,
  },
  ruuviTag: {
    model: "RuuviTag",
    formats: ["ruuvi-5", "ruuvi-3"],
    minTempC: -40,
    maxTempC: 85,
    source: "Ruuvi tech specs, operating range -40-85 °C (as listed in wintechis/blast wiki 'RuuviTag')",
    verified: false,
    note: "the stock CR2477 cell is rated only -20-60 °C (ruuvi/ruuvitag_fw wiki 'FAQ: battery'): use a low-temperature cell in a freezer",
  },
  inkbirdExternalProbe: {
    model: "Inkbird IBS-TH1/IBS-TH2 with external probe",
    formats: ["inkbird-ibs-th"],
    minTempC: -40,
    maxTempC: null,
    source: "external probe reaches -40 °C, as stated in coldtrail issue 6; maker's datasheet not read",
    verified: false,
    note: "put the probe in the freezer and keep the unit outside, so its battery stays warm",
  },
  inkbirdInternal: {
    model: "Inkbird IBS-TH1/IBS-TH2 internal sensor",
    formats: ["inkbird-ibs-th"],
    minTempC: null,
    maxTempC: null,
    source: "no maker's rating read for the internal sensor",
    verified: false,
  },
  shellyBluHt: {
    model: "Shelly BLU H&T (SBHT-003C)",
    formats: ["bthome-v2"],
    minTempC: null,
    maxTempC: null,
    source: "Shelly's BLE API page for the device gives no operating range",
    verified: false,
  },
  genericBthome: {
    model: "BTHome v2 device (model not recognised)",
    formats: ["bthome-v2"],
    minTempC: null,
    maxTempC: null,
    source: "BTHome is a format, not a device; the range depends on the hardware",
    verified: false,
  },
} as const satisfies Record<string, SensorCapability>;

/** Local-name prefixes of the pvvx/ATC firmwares, which run only on LCD hygrometers. */
const LCD_NAME_PREFIXES = ["atc_", "lywsd03mmc", "mho_", "mho-c", "cgg1", "cgdk2", "pvvx_"];

export interface SensorQuery {
  format: FormatId;
  /** Advertised local name, if known. */
  name?: string;
  /** From an Inkbird reading. */
  externalProbe?: boolean;
}

export function identifySensor(q: SensorQuery): SensorCapability {
  const name = (q.name ?? "").trim().toLowerCase();
  switch (q.format) {
    case "pvvx":
    case "atc1441":
      return SENSOR_CAPABILITIES.lcdHygrometer;
    case "ruuvi-5":
    case "ruuvi-3":
      return SENSOR_CAPABILITIES.ruuviTag;
    case "govee-h5075":
      return SENSOR_CAPABILITIES.goveeH5075;
    case "govee-h5074":
      return SENSOR_CAPABILITIES.goveeH5074;
    case "inkbird-ibs-th":
      return q.externalProbe ? SENSOR_CAPABILITIES.inkbirdExternalProbe : SENSOR_CAPABILITIES.inkbirdInternal;
    case "bthome-v2":
      if (name.startsWith("sbht-")) return SENSOR_CAPABILITIES.shellyBluHt;
      if (LCD_NAME_PREFIXES.some((p) => name.startsWith(p))) return SENSOR_CAPABILITIES.lcdHygrometer;
      return SENSOR_CAPABILITIES.genericBthome;
  }
}

/**
 * Coldest temperature a freezer probe must be able to read: the milk-bank freezer limit, −20 °C
 * (RULES.md MB-1), which also covers the home freezer's −18 °C (RULES.md FZ-1).
 */
export const FREEZER_REQUIRED_MIN_C = -20;

export type ReachAssessment =
  | { ok: true; capability: SensorCapability }
  | { ok: false; kind: "out-of-range" | "unknown"; message: string; capability: SensorCapability };

/**
 * For probe registration: can this sensor read `requiredMinC`? Returns a warning to show the person
 * registering it, never a refusal (they may know better, e.g. an external probe).
 */
export function assessTemperatureReach(
  q: SensorQuery,
  requiredMinC = FREEZER_REQUIRED_MIN_C,
): ReachAssessment {
  const capability = identifySensor(q);
  if (capability.minTempC === null) {
    return {
      ok: false,
      kind: "unknown",
      capability,
      message: `${capability.model}: its rated range is unknown, so it may not read ${requiredMinC} °C; check it against a reference thermometer in the freezer before trusting it`,
    };
  }
  if (capability.minTempC > requiredMinC) {
    return {
      ok: false,
      kind: "out-of-range",
      capability,
      message: `this sensor cannot read freezer temperatures: ${capability.model} is rated down to ${capability.minTempC} °C, the unit needs ${requiredMinC} °C; use a sensor with an external probe (e.g. Inkbird IBS-TH2 with probe) or a RuuviTag`,
    };
  }
  return { ok: true, capability };
}
