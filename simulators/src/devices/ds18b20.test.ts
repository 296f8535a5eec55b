import { describe, expect, it } from "vitest";
import { convert, quantize, stepOf } from "./ds18b20.js";

describe("DS18B20", () => {
  it("12-bit readings are whole multiples of 0.0625 °C", () => {
    expect(stepOf(12)).toBe(0.0625);
    expect(quantize(-18.53)).toBe(-18.5);
    expect(quantize(-18.97)).toBe(-19);
    expect(quantize(3.33)).toBe(3.3125);
    for (let t = -30; t < 10; t += 0.0371) expect(Number.isInteger(quantize(t) * 16)).toBe(true);
  });

  it("lower resolutions give coarser steps", () => {
    expect(quantize(-18.3, 9)).toBe(-18.5);
    expect(quantize(-18.3, 10)).toBe(-18.25);
    expect(quantize(-18.3, 11)).toBe(-18.25);
  });

  it("clamps to the sensor's −55…+125 °C range", () => {
    expect(quantize(-80)).toBe(-55);
    expect(quantize(300)).toBe(125);
  });

  it("adds the fixed offset and noise before quantizing", () => {
    expect(convert(-19, 0.4, 0.03)).toBe(-18.5625);
    expect(convert(-19, -0.5, 0)).toBe(-19.5);
  });
});
