/**
 * Limits of the wire protocol. They bound what a device may send, not what is safe for milk
 * (those numbers live in the server's rule profiles with their sources).
 */
export const PROTOCOL_LIMITS = {
  /** DESIGN.md: 1–500 readings a message (an offline probe replays its buffer in batches). */
  maxReadingsPerMessage: 500,
  /** 500 readings of about 60 bytes each, with room to spare; larger payloads are refused unread. */
  maxPayloadBytes: 64 * 1024,
  /**
   * Plausible air temperatures a probe can report. The DS18B20 is rated −55…+125 °C (Maxim
   * DS18B20 datasheet, "Operating range"); nothing in a milk chain is outside that. Values beyond
   * are sensor faults or encoding bugs (−127 °C disconnected, 6553.5 °C): the strict schema says a
   * device should not send them; the server keeps them raw as sensor-fault markers (the rules
   * treat them as unmonitored time) and leaves them out of bucketed min/mean/max.
   */
  minTempC: -60,
  maxTempC: 130,
  /** Timestamps before 2020-01-01 are an unset device clock; refuse rather than store 1970. */
  minTsMs: Date.UTC(2020, 0, 1),
  /** How far ahead of the server's clock a device timestamp may be (clock skew allowance). */
  maxFutureSkewMs: 10 * 60 * 1000,
  maxSeq: 0xffff_ffff,
} as const;

/** Inside the plausible range (inclusive): a temperature, not a sensor-fault marker. */
export function isPlausibleTempC(tempC: number): boolean {
  return tempC >= PROTOCOL_LIMITS.minTempC && tempC <= PROTOCOL_LIMITS.maxTempC;
}
