/** A reading as the server handles it, after the wire protocol and calibration. */
export interface Reading {
  probeId: string;
  /** Event time, ms since 1970-01-01 UTC (the device's clock, or arrival time when serverTimed). */
  tsMs: number;
  tempC: number;
  /** The device's sequence number, when it sent one. */
  seq: number | null;
  /** True when the device had no clock and the server stamped arrival time. */
  serverTimed: boolean;
}
