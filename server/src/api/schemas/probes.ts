import { z } from "zod";
import { isoString } from "./common.js";

export const probeView = z.strictObject({
  id: z.string(),
  name: z.string().nullable(),
  ownerId: z.string(),
  unitId: z.string().nullable(),
  attachedAt: isoString.nullable(),
  calibrationOffsetC: z.number(),
  bleMac: z.string().nullable(),
  intervalS: z
    .number()
    .describe("How often the probe reports, in seconds (declared, or learned from its readings)"),
  intervalLearned: z
    .boolean()
    .describe(
      "True when the probe registered without intervalS: intervalS is learned from its last day of readings",
    ),
  batteryPct: z.number().nullable(),
  batteryMv: z.number().nullable(),
  rssi: z.number().nullable(),
  status: z.string().nullable(),
  fw: z.string().nullable(),
  lastSeen: isoString.nullable(),
  createdAt: isoString,
});

export const probeDetail = z.strictObject({
  ...probeView.shape,
  attachments: z.array(z.strictObject({ unitId: z.string(), from: isoString, to: isoString.nullable() })),
});

export const probeList = z.strictObject({ probes: z.array(probeView) });

const mqttLogin = z.strictObject({ url: z.string(), username: z.string(), topic: z.string() });

export const probeRegistered = z.strictObject({
  id: z.string(),
  secret: z.string().describe("Shown once: the probe's MQTT password"),
  mqtt: mqttLogin,
  unitId: z.string().nullable(),
  bleMac: z.string().nullable(),
  warnings: z.array(z.string()),
});

export const probeSecret = z.strictObject({ id: z.string(), secret: z.string(), mqtt: mqttLogin });

export const probeReadings = z.strictObject({
  probeId: z.string(),
  from: isoString,
  to: isoString,
  readings: z.array(z.strictObject({ ts: isoString, temp_c: z.number(), seq: z.number().nullable() })),
});
