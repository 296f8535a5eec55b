import { z } from "zod";
import { isoString } from "./common.js";

export const role = z.enum(["admin", "staff", "donor"]);

/** An account as the API shows it: never a password hash or a secret. */
export const accountView = z.strictObject({
  id: z.string(),
  email: z.string().nullable().describe("Null for the bootstrap admin and deleted accounts"),
  name: z.string(),
  role,
  siteId: z.string().nullable(),
  status: z.enum(["invited", "active", "disabled", "deleted"]),
  createdAt: isoString,
  disabledAt: isoString.nullable(),
  deletedAt: isoString.nullable(),
});

export const accountList = z.strictObject({ accounts: z.array(accountView) });

export const invitedAccount = z.strictObject({
  id: z.string(),
  account: accountView,
  inviteUrl: z
    .string()
    .describe("The link to send: the token is in the fragment (#), which browsers never send to servers"),
  inviteToken: z.string().describe("Shown this once; only its hash is stored"),
  expiresAt: isoString,
});

export const acceptedInvitation = z.strictObject({ account: accountView });

export const signedIn = z.strictObject({
  account: accountView,
  csrfToken: z.string().describe("Send as X-CSRF-Token with every cookie-authenticated write"),
  expiresAt: isoString.describe("When the session ends if left idle"),
});

export const me = z.strictObject({
  account: accountView,
  via: z.enum(["session", "api-token", "admin-token"]),
  csrfToken: z.string().optional().describe("Present when signed in with the session cookie"),
});

export const tokenView = z.strictObject({
  id: z.string(),
  name: z.string(),
  createdAt: isoString,
  lastUsedAt: isoString.nullable(),
  revokedAt: isoString.nullable(),
});

export const tokenCreated = z.strictObject({
  ...tokenView.shape,
  token: z.string().describe("`ct_…`: shown this once; only its hash is stored"),
});

export const tokenList = z.strictObject({ tokens: z.array(tokenView) });

export const accountDeleted = z.strictObject({
  accountId: z.string(),
  batchesDeleted: z.number().int(),
  batchesKept: z.number().int().describe("Batches others depend on, kept without her name"),
  unitsDeleted: z.number().int(),
  unitsKept: z.number().int(),
  probesDeleted: z.number().int(),
  probesKept: z.array(z.string()),
});

const rows = z.array(z.record(z.string(), z.unknown()));

/** Everything that is hers (GET /me/export), without secrets; readings are not included. */
export const dataExport = z.strictObject({
  exportedAt: isoString,
  account: z.record(z.string(), z.unknown()).nullable(),
  site: z.record(z.string(), z.unknown()).nullable(),
  units: rows,
  probes: rows,
  probeAttachments: rows,
  batches: rows,
  alerts: rows,
  alertChannels: rows,
  apiTokens: rows,
  sessions: rows,
  audit: rows,
});

export const siteView = z.strictObject({ id: z.string(), name: z.string(), createdAt: isoString });
export const siteList = z.strictObject({ sites: z.array(siteView) });
