import { z } from "zod";
import { isoString, ruleProfile, unitKind, unitSite } from "./common.js";

export const unitView = z.strictObject({
  id: z.string(),
  name: z.string(),
  kind: unitKind,
  site: unitSite,
  profile: z.string(),
  profileOverrides: z.record(z.string(), z.unknown()).nullable(),
  ownerId: z.string(),
  createdAt: isoString,
  probes: z.array(z.string()).describe("Probes attached now"),
  lastReading: z
    .strictObject({
      ts: isoString,
      temp_c: z.number(),
      ageS: z.number().describe("Seconds between the reading and the server's clock when it answered"),
    })
    .nullable(),
  openAlerts: z.number().int().describe("Unresolved alerts of the unit (open and acknowledged)"),
  alertCounts: z
    .strictObject({
      open: z.number().int().describe("Unresolved alerts nobody has acknowledged yet"),
      acknowledged: z.number().int().describe("Unresolved alerts someone has acknowledged"),
    })
    .describe("openAlerts split by state"),
  probesOnline: z
    .array(z.string())
    .describe(
      "Attached probes heard within the probe-offline alert's silence limit and not announced offline",
    ),
  ownerName: z
    .string()
    .nullable()
    .describe("The owner's name; null when the caller may not see that account"),
  ownerSite: z
    .strictObject({ id: z.string(), name: z.string() })
    .nullable()
    .describe("The owner's site (milk bank, household group); null for none or out of the caller's reach"),
  safeRange: z
    .strictObject({ minC: z.number().nullable(), maxC: z.number() })
    .nullable()
    .describe(
      "The unit's safe temperatures from its rule profile (RULES.md rows); null if the profile cannot be resolved",
    ),
});

export const unitDetail = z.strictObject({
  ...unitView.shape,
  resolvedProfile: ruleProfile.nullable().describe("The profile's numbers with the unit's overrides applied"),
});

export const unitList = z.strictObject({ units: z.array(unitView) });

/** A reading (with its probe), or a bucket of readings when `every` was asked for. */
export const readingPoint = z.strictObject({
  ts: isoString,
  temp_c: z.number(),
  probeId: z.string().optional(),
  min_c: z.number().optional(),
  mean_c: z.number().optional(),
  max_c: z.number().optional(),
  count: z.number().int().optional(),
});

export const unitReadings = z.strictObject({
  unitId: z.string(),
  from: isoString,
  to: isoString,
  every: z.string().optional(),
  readings: z.array(readingPoint),
});
