import { z } from "zod";

/** Retained status message; devices set `{"state":"offline"}` as their MQTT last will. */
export const statusMessageSchema = z.object({
  state: z.enum(["online", "offline"]),
  fw: z.string().max(64).optional(),
});
export type StatusMessage = z.infer<typeof statusMessageSchema>;
