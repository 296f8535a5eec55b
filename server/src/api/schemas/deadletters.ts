import { z } from "zod";
import { isoString } from "./common.js";

/** Refused MQTT messages, newest first. */
export const deadLetterList = z.strictObject({
  deadletters: z.array(
    z.strictObject({
      id: z.number().int(),
      at: isoString,
      probeId: z.string().nullable(),
      clientId: z.string().nullable(),
      topic: z.string(),
      reason: z.string(),
      message: z.string(),
      payloadHead: z.string(),
      payloadHeadHex: z.string(),
      payloadBytes: z.number().int(),
      refusedReadings: z
        .array(
          z.strictObject({
            index: z.number().int().describe("Position of the reading in the message's readings array"),
            ts: z.union([z.number(), z.boolean(), z.string(), z.null()]).optional().describe("As sent"),
            temp_c: z.union([z.number(), z.boolean(), z.string(), z.null()]).optional().describe("As sent"),
            reason: z.string(),
            message: z.string().optional().describe("Kept for the first 20 refused readings of a message"),
          }),
        )
        .describe(
          "Readings refused alone while the rest of the message was stored; empty when refused whole",
        ),
    }),
  ),
});
