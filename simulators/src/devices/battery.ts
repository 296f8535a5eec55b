/**
 * A single Li-ion 18650 cell powering a deep-sleeping ESP32 probe.
 *
 * Estimates, not measurements: a 3400 mAh cell; the ESP32 draws about 10 µA in deep sleep with the
 * RTC running, a wake with a 750 ms 12-bit DS18B20 conversion costs about 0.01 mAh, and a Wi-Fi
 * connection plus an MQTT publish about 0.07 mAh (≈ 2 s at 120 mA). The open-circuit voltage curve
 * is a typical Li-ion shape (4.2 V full, a long plateau near 3.7 V, a knee below 3.5 V, 3.0 V empty).
 */
export interface BatterySpec {
  capacityMah: number;
  sleepUa: number;
  wakeMah: number;
  publishMah: number;
}

export const LI_ION_18650: BatterySpec = { capacityMah: 3400, sleepUa: 10, wakeMah: 0.01, publishMah: 0.07 };

/** (state of charge %, mV) points of the discharge curve, ascending. */
const CURVE: readonly (readonly [number, number])[] = [
  [0, 3000],
  [5, 3400],
  [10, 3500],
  [20, 3600],
  [50, 3750],
  [90, 4050],
  [100, 4200],
];

export function percentOf(remainingMah: number, spec: BatterySpec): number {
  return Math.min(100, Math.max(0, (100 * remainingMah) / spec.capacityMah));
}

export function millivoltsAt(percent: number): number {
  const p = Math.min(100, Math.max(0, percent));
  for (let i = 1; i < CURVE.length; i++) {
    const [p1, v1] = CURVE[i]!;
    const [p0, v0] = CURVE[i - 1]!;
    if (p <= p1) return Math.round(v0 + ((v1 - v0) * (p - p0)) / (p1 - p0));
  }
  return 4200;
}

/** Charge used while asleep for `ms`. */
export function sleepDrainMah(ms: number, spec: BatterySpec): number {
  return (spec.sleepUa / 1000) * (ms / 3_600_000);
}
