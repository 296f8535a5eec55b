import { z } from "zod";
import { isoString, reviewDecision, ruleProfile, unitKind, unitSite, verdictCore } from "./common.js";

/** Public: no donor identity, no unit or probe ids; custody as unit kinds and times only. */
export const passport = z.strictObject({
  code: z.string(),
  expressedOn: z.string().describe("The day the milk was expressed, YYYY-MM-DD in the page's zone (`tz`)"),
  expressedAt: isoString.describe("Midnight starting the day the milk was expressed, in the page's zone"),
  volumeMl: z.number().nullable(),
  ...verdictCore.shape,
  summary: z
    .strictObject({
      headline: z.string(),
      useBy: isoString
        .nullable()
        .describe("Use (or keep frozen) by then; null when it should not be used as is"),
      lines: z.array(z.string()),
    })
    .describe("What a parent reads first, in plain words and the page's zone"),
  review: z
    .strictObject({ decision: reviewDecision, comment: z.string(), at: isoString })
    .nullable()
    .describe("The latest staff review staff chose to show to the recipient, or null"),
  monitoringEndedAt: isoString
    .nullable()
    .describe("When the batch left monitored custody, or null while monitored"),
  custody: z.array(
    z.strictObject({
      kind: z.union([unitKind, z.literal("out-of-custody")]),
      site: unitSite.nullable(),
      from: isoString,
      to: isoString.nullable(),
    }),
  ),
  profiles: z.array(ruleProfile),
  readings: z.array(
    z.strictObject({
      ts: isoString,
      temp_c: z.number(),
      min_c: z.number().optional(),
      max_c: z.number().optional(),
    }),
  ),
  readingsEvery: z.string().nullable().describe("Bucket width when the history was bucketed, e.g. 600s"),
});
