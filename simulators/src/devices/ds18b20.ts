/**
 * The DS18B20 1-Wire thermometer as a probe sees it (Maxim/Analog Devices DS18B20 datasheet):
 * - resolution set by the configuration register: 9–12 bits, i.e. 0.5, 0.25, 0.125 or 0.0625 °C
 *   steps (12 bits, 0.0625 °C, is the power-on default);
 * - accuracy ±0.5 °C from −10 to +85 °C (the datasheet allows ±2 °C over the full −55…+125 °C range;
 *   we model the typical part, a fixed offset within ±0.5 °C, plus a little conversion noise);
 * - range −55…+125 °C.
 */
export type Ds18b20Resolution = 9 | 10 | 11 | 12;

export const DS18B20_MIN_C = -55;
export const DS18B20_MAX_C = 125;
/** Datasheet accuracy from −10 to +85 °C. */
export const DS18B20_ACCURACY_C = 0.5;

export function stepOf(bits: Ds18b20Resolution): number {
  return 2 ** -(bits - 8);
}

/** Rounds to the sensor's step and clamps to its range: what the register would hold. */
export function quantize(tempC: number, bits: Ds18b20Resolution = 12): number {
  const lsb = stepOf(bits);
  const clamped = Math.min(DS18B20_MAX_C, Math.max(DS18B20_MIN_C, tempC));
  // Multiply by the reciprocal and round: the result is an exact binary fraction (n/16 etc.).
  // "+ 0" turns −0 into 0, so a reading of zero never serialises oddly.
  return Math.round(clamped / lsb) * lsb + 0;
}

/** One conversion: true air temperature, plus the part's fixed offset and noise, quantized. */
export function convert(
  trueC: number,
  offsetC: number,
  noiseC: number,
  bits: Ds18b20Resolution = 12,
): number {
  return quantize(trueC + offsetC + noiseC, bits);
}
