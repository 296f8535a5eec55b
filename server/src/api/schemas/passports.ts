import { z } from "zod";
import { isoString, reviewDecision, ruleProfile, unitKind, unitSite, verdictCore } from "./common.js";

/** Public: no donor identity, no unit or probe ids; custody as unit kinds and times only. */
export const passport = z.strictObject({
  code: z.string(),
  expressedAt: isoString,
  volumeMl: z.number().nullable(),
  ...verdictCore.shape,
  review: z.strictObject({ decision: reviewDecision, comment: z.string(), at: isoString }).nullable(),
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
