import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { DeadLetters } from "../../registry/deadletters.js";
import { errorResponses } from "../schemas/common.js";
import { deadLetterList } from "../schemas/deadletters.js";

export interface DeadLettersDeps {
  deadLetters: Pick<DeadLetters, "list">;
}

export const deadLettersPlugin: FastifyPluginAsyncZod<DeadLettersDeps> = async (app, ctx) => {
  app.get(
    "/api/v1/deadletters",
    {
      schema: {
        description:
          "Refused MQTT messages, newest first: probe, topic, reason, the first bytes, time. A message whose other readings were stored lists the readings refused alone in `refusedReadings` ({index, ts, temp_c as sent, reason, message}); empty when the message was refused whole.",
        querystring: z.object({
          probeId: z.string().max(128).optional(),
          reason: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          before: z.coerce.number().int().min(1).optional(),
        }),
        response: { 200: deadLetterList, ...errorResponses },
      },
    },
    async (req) => ({
      deadletters: await ctx.deadLetters.list(req.caller, {
        probeId: req.query.probeId,
        reason: req.query.reason,
        limit: req.query.limit,
        beforeId: req.query.before,
      }),
    }),
  );
};
