import {
  PROTOCOL_LIMITS,
  type ReadingsMessage,
  readingsTopic,
  type WireReading,
} from "@coldtrail/firmware-bridge/protocol";
import { nextUniform, normalFrom } from "../prng.js";
import { type BatterySpec, LI_ION_18650, millivoltsAt, percentOf, sleepDrainMah } from "./battery.js";
import { convert, DS18B20_ACCURACY_C, type Ds18b20Resolution } from "./ds18b20.js";

/**
 * A virtual ESP32 + DS18B20 probe: it wakes every `intervalMs`, converts the air temperature, stamps
 * it with its own (drifting) clock and a sequence number, and publishes — or, with Wi-Fi down,
 * buffers and later replays oldest first in messages of at most 500 readings (DESIGN.md, "Wire
 * protocol"). Pure: the true time and temperature come in, messages come out.
 */
export interface ProbeDeviceConfig {
  probeId: string;
  intervalMs: number;
  seed: number;
  resolutionBits?: Ds18b20Resolution;
  /** Fixed calibration error; default: drawn from the seed within the datasheet's ±0.5 °C. */
  offsetC?: number;
  /** Standard deviation of conversion noise, °C (default 0.02, about a third of a 12-bit step). */
  noiseSdC?: number;
  /** Crystal error of the device clock; ±20 ppm is a common crystal tolerance (estimate). */
  clockDriftPpm?: number;
  /** Device clock minus true time at the start, ms. */
  clockOffsetMs?: number;
  /** A device without a clock omits `ts`; the server then stamps arrival time. */
  hasClock?: boolean;
  battery?: BatterySpec;
  initialBatteryPct?: number;
  rssiDbm?: number;
  /** Readings kept while offline; the oldest are dropped beyond this (an ESP32's RTC memory is small). */
  bufferCapacity?: number;
  /** Readings a message holds at most (the protocol allows 500). */
  maxBatch?: number;
  /** Publish only once this many readings are waiting (1 = every reading). */
  publishEvery?: number;
  /** Probability that a message is delivered twice (a QoS 1 redelivery). */
  duplicateProbability?: number;
  /** Probability that a message is held back and delivered after the next one. */
  reorderProbability?: number;
  firstSeq?: number;
  fw?: string;
}

export interface DeviceMessage {
  probeId: string;
  topic: string;
  payload: ReadingsMessage;
  /** True time at which the device sends it. */
  sentAtMs: number;
}

export interface ProbeDeviceState {
  readonly config: Required<Omit<ProbeDeviceConfig, "offsetC">> & { offsetC: number };
  startMs: number;
  lastWakeMs: number;
  rng: number;
  nextSeq: number;
  batteryMah: number;
  online: boolean;
  buffer: WireReading[];
  held: DeviceMessage | null;
  dropped: number;
  taken: number;
}

export interface DeviceOutput {
  state: ProbeDeviceState;
  messages: DeviceMessage[];
}

export function createProbeDevice(config: ProbeDeviceConfig, startMs: number): ProbeDeviceState {
  let rng = config.seed >>> 0;
  const draw = (): number => {
    const d = nextUniform(rng);
    rng = d.state;
    return d.value;
  };
  const offsetC = config.offsetC ?? (draw() * 2 - 1) * DS18B20_ACCURACY_C;
  const battery = config.battery ?? LI_ION_18650;
  const full: ProbeDeviceState["config"] = {
    probeId: config.probeId,
    intervalMs: config.intervalMs,
    seed: config.seed,
    resolutionBits: config.resolutionBits ?? 12,
    offsetC,
    noiseSdC: config.noiseSdC ?? 0.02,
    clockDriftPpm: config.clockDriftPpm ?? 0,
    clockOffsetMs: config.clockOffsetMs ?? 0,
    hasClock: config.hasClock ?? true,
    battery,
    initialBatteryPct: config.initialBatteryPct ?? 100,
    rssiDbm: config.rssiDbm ?? -62,
    bufferCapacity: config.bufferCapacity ?? 2000,
    maxBatch: Math.min(
      config.maxBatch ?? PROTOCOL_LIMITS.maxReadingsPerMessage,
      PROTOCOL_LIMITS.maxReadingsPerMessage,
    ),
    publishEvery: Math.max(1, config.publishEvery ?? 1),
    duplicateProbability: config.duplicateProbability ?? 0,
    reorderProbability: config.reorderProbability ?? 0,
    firstSeq: config.firstSeq ?? 0,
    fw: config.fw ?? "sim-0.1.0",
  };
  return {
    config: full,
    startMs,
    lastWakeMs: startMs,
    rng,
    nextSeq: full.firstSeq >>> 0,
    batteryMah: (battery.capacityMah * full.initialBatteryPct) / 100,
    online: true,
    buffer: [],
    held: null,
    dropped: 0,
    taken: 0,
  };
}

/** The device clock at a true time: offset plus crystal drift since the start. */
export function deviceClockMs(s: ProbeDeviceState, trueMs: number): number {
  const c = s.config;
  return Math.round(trueMs + c.clockOffsetMs + (c.clockDriftPpm * (trueMs - s.startMs)) / 1e6);
}

export function batteryPct(s: ProbeDeviceState): number {
  return percentOf(s.batteryMah, s.config.battery);
}

/** One wake: measure `airC` at true time `trueMs`, then publish if online. */
export function sampleProbe(state: ProbeDeviceState, trueMs: number, airC: number): DeviceOutput {
  const s = copy(state);
  const c = s.config;
  const noise = c.noiseSdC > 0 ? gaussian(s) * c.noiseSdC : 0;
  const reading: WireReading = { temp_c: convert(airC, c.offsetC, noise, c.resolutionBits), seq: s.nextSeq };
  if (c.hasClock) reading.ts = deviceClockMs(s, trueMs);
  s.nextSeq = s.nextSeq >= PROTOCOL_LIMITS.maxSeq ? 0 : s.nextSeq + 1;
  s.taken++;
  s.batteryMah -= sleepDrainMah(trueMs - s.lastWakeMs, c.battery) + c.battery.wakeMah;
  s.lastWakeMs = trueMs;
  s.buffer.push(reading);
  if (s.buffer.length > c.bufferCapacity) {
    const excess = s.buffer.length - c.bufferCapacity;
    s.buffer.splice(0, excess);
    s.dropped += excess;
  }
  const messages = s.online && s.buffer.length >= c.publishEvery ? flush(s, trueMs) : [];
  s.batteryMah = Math.max(0, s.batteryMah);
  return { state: s, messages };
}

/** Wi-Fi lost or back. Coming back replays the buffer, oldest first, in batches of ≤ maxBatch. */
export function setProbeOnline(state: ProbeDeviceState, online: boolean, trueMs: number): DeviceOutput {
  const s = copy(state);
  s.online = online;
  const messages = online && s.buffer.length > 0 ? flush(s, trueMs) : [];
  return { state: s, messages };
}

/** Sends whatever is buffered now (e.g. before a clean shutdown), if online. */
export function flushProbe(state: ProbeDeviceState, trueMs: number): DeviceOutput {
  const s = copy(state);
  const messages = s.online && s.buffer.length > 0 ? flush(s, trueMs) : [];
  if (s.online && s.held) {
    messages.push(s.held);
    s.held = null;
  }
  return { state: s, messages };
}

function flush(s: ProbeDeviceState, trueMs: number): DeviceMessage[] {
  const c = s.config;
  const out: DeviceMessage[] = [];
  while (s.buffer.length > 0) {
    const readings = s.buffer.splice(0, c.maxBatch);
    s.batteryMah -= c.battery.publishMah;
    const pct = batteryPct(s);
    const payload: ReadingsMessage = {
      readings,
      battery_pct: Math.round(pct),
      battery_mv: millivoltsAt(pct),
      rssi: Math.round(c.rssiDbm + gaussian(s) * 3),
    };
    const message: DeviceMessage = {
      probeId: c.probeId,
      topic: readingsTopic(c.probeId),
      payload,
      sentAtMs: trueMs,
    };
    deliver(s, message, out);
  }
  return out;
}

/** Applies the delivery faults: a held-back message goes out after the next one; some go out twice. */
function deliver(s: ProbeDeviceState, m: DeviceMessage, out: DeviceMessage[]): void {
  const c = s.config;
  if (s.held) {
    out.push(m, s.held);
    s.held = null;
  } else if (c.reorderProbability > 0 && uniform(s) < c.reorderProbability) {
    s.held = m;
    return;
  } else {
    out.push(m);
  }
  if (c.duplicateProbability > 0 && uniform(s) < c.duplicateProbability) out.push(m);
}

function uniform(s: ProbeDeviceState): number {
  const d = nextUniform(s.rng);
  s.rng = d.state;
  return d.value;
}

function gaussian(s: ProbeDeviceState): number {
  return normalFrom(() => uniform(s));
}

function copy(s: ProbeDeviceState): ProbeDeviceState {
  return { ...s, buffer: [...s.buffer] };
}
