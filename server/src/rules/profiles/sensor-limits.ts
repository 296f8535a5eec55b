/**
 * When a reading is a sensor fault rather than a temperature. A fault is unmonitored time: never an
 * excursion, never safe. These are sensor facts, not milk rules, so they cite the sensor's datasheet.
 */
import type { RuleProfile } from "./types.js";

export const ds18b20Limits: RuleProfile["sensor"] = {
  // Maxim/Analog Devices DS18B20 datasheet, "Features": measures −55 °C to +125 °C. Anything outside
  // (e.g. −127 °C, the Arduino DallasTemperature library's "disconnected" value, or 6553.5, an
  // all-ones 16-bit register read as tenths) cannot be a real reading.
  minC: -55,
  maxC: 125,
  // Design: air at a probe cannot change by tens of degrees in a minute (a door opening moves a
  // freezer's air by ~15 °C over minutes). Faster steps are glitches. Measured over at least a minute.
  maxStepCPerMin: 20,
  // DS18B20 datasheet, "Operation — Measuring Temperature": the temperature register powers up at
  // +85 °C, so a probe that lost power mid-conversion reports exactly 85.0.
  sentinelsC: [85],
  // RULES.md §3 "Sensor faults" (Design): a raw value that has not changed at all for 6 h is a stuck
  // or frozen-in-ice probe (real freezers and fridges cycle). A unit may lengthen it (sensor.stuckMin).
  stuckMin: 360,
  // Arduino DallasTemperature library (DEVICE_DISCONNECTED_C), not the datasheet: −127 °C means no
  // probe answered. It is already out of range; this only picks the words ("disconnected").
  disconnectedC: -127,
};
