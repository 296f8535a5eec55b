/**
 * What the gateway reads: advertisements as a radio hears them. A source is an async iterable, so
 * the radio (noble), a replay file, the simulators and tests are interchangeable.
 */
import type { BleAdvert } from "../decoders/advert.js";

/** One advertisement as received: the decoders' `BleAdvert` plus who sent it, how loud, and when. */
export interface ScannedAdvert {
  /** `AA:BB:CC:DD:EE:FF`; compared case-insensitively. */
  mac: string;
  /** Received signal strength, dBm; `null` when the source does not know it. */
  rssi: number | null;
  serviceData: BleAdvert["serviceData"];
  manufacturerData: BleAdvert["manufacturerData"];
  name: string | null;
  /** When it was received (unix ms): the reading's time on the wire (DESIGN.md: `ts` = device time). */
  atMs: number;
}

export interface AdvertSource {
  /** For logs: `noble`, `replay:<file>`, `simulated`… */
  readonly name: string;
  /** Yields advertisements until the source ends (a replay file) or `close()` is called. */
  adverts(): AsyncIterable<ScannedAdvert>;
  close(): Promise<void>;
}

/**
 * A push-driven source: a radio callback (or a test) pushes, the gateway pulls. Unbounded by design
 * up to `maxQueued`: a BLE scanner hears at most a few hundred advertisements a second, and the
 * gateway consumes them synchronously; beyond the cap the oldest are dropped and counted.
 */
export function createPushSource(name: string, maxQueued = 10_000) {
  const queue: ScannedAdvert[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  let dropped = 0;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  return {
    name,
    get dropped() {
      return dropped;
    },
    push(advert: ScannedAdvert): void {
      if (ended) return;
      if (queue.length >= maxQueued) {
        queue.shift();
        dropped++;
      }
      queue.push(advert);
      notify();
    },
    end(): void {
      ended = true;
      notify();
    },
    async *adverts(): AsyncIterable<ScannedAdvert> {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async close(): Promise<void> {
      this.end();
    },
  };
}
export type PushSource = ReturnType<typeof createPushSource>;
