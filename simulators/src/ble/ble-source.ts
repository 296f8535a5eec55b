/**
 * The simulated BLE radio as an advertisement source the gateway accepts (firmware-bridge
 * `AdvertSource`: `{ name, adverts(), close() }`). `speed` maps simulated to wall time: 0 yields as fast
 * as the consumer takes them; 600 plays ten simulated minutes a wall second. Advertisement times stay
 * simulated (`startMs + t`), so choose `startMs` so that they are not in the future for the server.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type BleRun, type BleRunStats, bleAdverts } from "./ble-run.js";
import type { SimulatedAdvert } from "./ble-thermometer.js";

export interface SimulatedBleSourceOptions extends BleRun {
  speed?: number;
}

export function createSimulatedBleSource(options: SimulatedBleSourceOptions) {
  const speed = options.speed ?? 0;
  const abort = new AbortController();
  const stats: BleRunStats = { adverts: 0, unencodable: 0 };
  return {
    name: "simulated",
    stats,
    async *adverts(): AsyncIterable<SimulatedAdvert> {
      const wallStart = Date.now();
      for (const a of bleAdverts(options, stats)) {
        if (abort.signal.aborted) return;
        if (speed > 0) {
          const waitMs = wallStart + (a.atMs - options.startMs) / speed - Date.now();
          if (waitMs > 0) {
            try {
              await sleep(waitMs, undefined, { signal: abort.signal });
            } catch {
              return;
            }
          }
        } else {
          // Let timers and sockets run between advertisements even at full speed.
          await new Promise((r) => setImmediate(r));
        }
        yield a;
      }
    },
    async close(): Promise<void> {
      abort.abort();
    },
  };
}
export type SimulatedBleSource = ReturnType<typeof createSimulatedBleSource>;
