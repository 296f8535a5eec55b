/**
 * BTHome v2 object table: object id → payload length, signedness and, for the properties coldtrail
 * reads, the scale. Source: BTHome format reference (bthome.io/format, "Sensor data", "Binary sensor
 * data", "Events", "Device information" tables) and the object ids up to 0x64 listed by
 * Bluetooth-Devices/bthome-ble `const.py`. Objects coldtrail does not use are listed only so that the
 * parser can step over them; an id missing from this table ends parsing (the spec says a receiver
 * stops at the first id it does not know).
 */

export type BthomeProperty = "packetId" | "batteryPct" | "tempC" | "humidityPct";

export interface BthomeObject {
  /** Payload length in bytes; 0 = the first payload byte gives the length (text 0x53, raw 0x54). */
  bytes: number;
  signed: boolean;
  /** What coldtrail takes from it, with value = raw × mul / div (integer arithmetic first: exact decimals). */
  property?: { name: BthomeProperty; mul: number; div: number };
}

const prop = (name: BthomeProperty, mul: number, div: number) => ({ name, mul, div });

const table: Array<[number, number, boolean, BthomeObject["property"]?]> = [
  [0x00, 1, false, prop("packetId", 1, 1)],
  [0x01, 1, false, prop("batteryPct", 1, 1)],
  [0x02, 2, true, prop("tempC", 1, 100)], // temperature sint16 × 0.01 °C
  [0x03, 2, false, prop("humidityPct", 1, 100)], // humidity uint16 × 0.01 %
  [0x04, 3, false], // pressure
  [0x05, 3, false], // illuminance
  [0x06, 2, false], // mass kg
  [0x07, 2, false], // mass lb
  [0x08, 2, true], // dew point
  [0x09, 1, false], // count
  [0x0a, 3, false], // energy
  [0x0b, 3, false], // power
  [0x0c, 2, false], // voltage × 0.001 V (not necessarily the battery, so not read as battery_mv)
  [0x0d, 2, false], // pm2.5
  [0x0e, 2, false], // pm10
  [0x12, 2, false], // co2
  [0x13, 2, false], // tvoc
  [0x14, 2, false], // moisture
  [0x2e, 1, false, prop("humidityPct", 1, 1)], // humidity uint8 × 1 % (Shelly BLU H&T)
  [0x2f, 1, false], // moisture uint8
  [0x3a, 1, false], // button event
  [0x3c, 2, false], // dimmer event
  [0x3d, 2, false], // count uint16
  [0x3e, 4, false], // count uint32
  [0x3f, 2, true], // rotation
  [0x40, 2, false], // distance mm
  [0x41, 2, false], // distance m
  [0x42, 3, false], // duration
  [0x43, 2, false], // current
  [0x44, 2, false], // speed
  [0x45, 2, true, prop("tempC", 1, 10)], // temperature sint16 × 0.1 °C (Shelly BLU H&T)
  [0x46, 1, false], // UV index
  [0x47, 2, false], // volume L
  [0x48, 2, false], // volume mL
  [0x49, 2, false], // volume flow rate
  [0x4a, 2, false], // voltage × 0.1 V
  [0x4b, 3, false], // gas uint24
  [0x4c, 4, false], // gas uint32
  [0x4d, 4, false], // energy uint32
  [0x4e, 4, false], // volume uint32
  [0x4f, 4, false], // water
  [0x50, 4, false], // timestamp
  [0x51, 2, false], // acceleration
  [0x52, 2, false], // gyroscope
  [0x53, 0, false], // text, length-prefixed
  [0x54, 0, false], // raw, length-prefixed
  [0x55, 4, false], // volume storage
  [0x56, 2, false], // conductivity
  [0x57, 1, true, prop("tempC", 1, 1)], // temperature sint8 × 1 °C
  [0x58, 1, true, prop("tempC", 35, 100)], // temperature sint8 × 0.35 °C
  [0x59, 1, true], // count sint8
  [0x5a, 2, true], // count sint16
  [0x5b, 4, true], // count sint32
  [0x5c, 4, true], // power sint32
  [0x5d, 2, true], // current sint16
  [0x5e, 2, false], // direction
  [0x5f, 2, false], // precipitation
  [0x60, 1, false], // channel
  [0x61, 2, false], // rotational speed
  [0x62, 4, true], // speed sint32
  [0x63, 4, true], // acceleration sint32
  [0x64, 1, false], // light level
  [0xf0, 2, false], // device type id
  [0xf1, 4, false], // firmware version (4 bytes)
  [0xf2, 3, false], // firmware version (3 bytes)
];

// Binary sensors 0x0f-0x11 and 0x15-0x2d are all one unsigned byte.
for (const id of [0x0f, 0x10, 0x11]) table.push([id, 1, false]);
for (let id = 0x15; id <= 0x2d; id++) table.push([id, 1, false]);

export const BTHOME_OBJECTS: ReadonlyMap<number, BthomeObject> = new Map(
  table.map(([id, bytes, signed, property]) => [
    id,
    property ? { bytes, signed, property } : { bytes, signed },
  ]),
);
