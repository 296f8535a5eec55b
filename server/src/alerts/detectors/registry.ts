/**
 * Every alert detector, one per alert kind. A new kind: add it to ALERT_KINDS (types.ts), write
 * its detector file, add one line here (the type refuses a missing or mismatched kind). The
 * engine runs the handlers in this order.
 */
import type { AlertKind } from "../types.js";
import { batchStorageLimitDetector } from "./batch-storage-limit.js";
import { batteryLowDetector } from "./battery-low.js";
import { clockSkewDetector } from "./clock-skew.js";
import { excursionDetector } from "./excursion.js";
import { probableThawDetector } from "./probable-thaw.js";
import { probeOfflineDetector } from "./probe-offline.js";
import { refreezeDetector } from "./refreeze.js";
import { rejectedSurgeDetector } from "./rejected-surge.js";
import { sensorFaultDetector } from "./sensor-fault.js";
import type { Detector } from "./types.js";

export const DETECTORS: { readonly [K in AlertKind]: () => Detector<K> } = {
  excursion: excursionDetector,
  "probable-thaw": probableThawDetector,
  refreeze: refreezeDetector,
  "sensor-fault": sensorFaultDetector,
  "probe-offline": probeOfflineDetector,
  "battery-low": batteryLowDetector,
  "clock-skew": clockSkewDetector,
  "rejected-surge": rejectedSurgeDetector,
  "batch-storage-limit": batchStorageLimitDetector,
};

/** A fresh set of detectors (with their own state) for one engine, in registry order. */
export function createDetectors(): Detector[] {
  return Object.values(DETECTORS).map((create) => create());
}
