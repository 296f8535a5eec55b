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
    }),
  ),
});
