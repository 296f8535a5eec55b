import { z } from "zod";
import { ALERT_KINDS } from "../../alerts/types.js";

/** The signed-in person's "how I am told" choices (`/api/v1/me/notifications`). */
export const notifyChoices = z.strictObject({
  email: z.strictObject({
    on: z.boolean(),
    address: z.string().nullable().describe("The account's own address, where alert emails go"),
    available: z.boolean(),
    unavailableReason: z.string().optional(),
  }),
  push: z.strictObject({
    available: z.boolean(),
    unavailableReason: z.string().optional(),
    devices: z.number().int().describe("Browsers subscribed for this account"),
  }),
  alertKinds: z.array(z.enum(ALERT_KINDS)),
});

export const notifyTestResult = z.strictObject({
  results: z.array(
    z.strictObject({
      channelId: z.string(),
      kind: z.enum(["email", "webpush"]),
      ok: z.boolean(),
      reason: z.string().optional(),
    }),
  ),
});

export const pushKey = z.strictObject({
  publicKey: z.string().describe("The VAPID public key (base64url) for PushManager.subscribe"),
});

export const pushSubscriptionCreated = z.strictObject({
  id: z.string(),
  endpoint: z.string(),
});
