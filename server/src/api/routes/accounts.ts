import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  type Account,
  type Accounts,
  clearedSessionCookie,
  failureError,
  PASSWORD_MAX_CHARS,
  SESSION_COOKIE,
  sessionCookie,
} from "../../accounts/index.js";
import { cookieValue } from "../../accounts/request-auth.js";
import type { Logger } from "../../logger.js";
import {
  acceptedInvitation,
  accountDeleted,
  accountList,
  accountView,
  dataExport,
  invitedAccount,
  me,
  role,
  signedIn,
  siteList,
  siteView,
  tokenCreated,
  tokenList,
} from "../schemas/accounts.js";
import { noContent } from "../schemas/alerts.js";
import { errorResponses } from "../schemas/common.js";
import { toIso } from "../time.js";

export interface AccountsRoutesDeps {
  accounts: Accounts;
  /** The server's public base URL (invitation links). */
  publicHttpUrl(): string;
  log: Logger;
}

const idParams = z.object({ id: z.string().min(1).max(128) });
const name = z.string().trim().min(1, "name must not be empty").max(200);

const isoOrNull = (ms: number | null) => (ms === null ? null : toIso(ms));

export const accountOut = (a: Account) => ({
  id: a.id,
  email: a.email,
  name: a.name,
  role: a.role,
  siteId: a.siteId,
  status: a.status,
  createdAt: toIso(a.createdMs),
  disabledAt: isoOrNull(a.disabledMs),
  deletedAt: isoOrNull(a.deletedMs),
});

const tokenOut = (t: {
  id: string;
  name: string;
  createdMs: number;
  lastUsedMs: number | null;
  revokedMs: number | null;
}) => ({
  id: t.id,
  name: t.name,
  createdAt: toIso(t.createdMs),
  lastUsedAt: isoOrNull(t.lastUsedMs),
  revokedAt: isoOrNull(t.revokedMs),
});

/**
 * Accounts, invitations, sessions, personal tokens and sites (DESIGN.md "Accounts and sessions").
 * Sign-in and invitation acceptance are public; everything else acts as `req.caller`, and the
 * accounts module decides what that caller may see (404 otherwise) and change (403).
 */
export const accountsPlugin: FastifyPluginAsyncZod<AccountsRoutesDeps> = async (app, ctx) => {
  const { accounts } = ctx;
  const secure = (protocol: string) => protocol === "https" || ctx.publicHttpUrl().startsWith("https:");

  app.post(
    "/api/v1/accounts",
    {
      schema: {
        description:
          "Invite someone: admin any role, staff donors of their own site (siteId defaults to theirs). The invitation link is in the answer once and expires in 7 days.",
        body: z.strictObject({
          email: z.string().trim().min(3).max(254),
          name,
          role,
          siteId: z.string().min(1).max(128).nullable().optional(),
        }),
        response: { 201: invitedAccount, ...errorResponses },
      },
    },
    async (req, reply) => {
      const inv = await accounts.invite(req.caller, req.body);
      const base = ctx.publicHttpUrl().replace(/\/+$/, "");
      return reply.status(201).send({
        id: inv.id,
        account: accountOut(inv.account),
        inviteUrl: `${base}/invite#${inv.inviteToken}`,
        inviteToken: inv.inviteToken,
        expiresAt: toIso(inv.expiresAtMs),
      });
    },
  );

  app.post(
    "/api/v1/invitations/:token/accept",
    {
      schema: {
        description: "Public: set the password of an invited account; then sign in with POST /sessions.",
        security: [],
        params: z.object({ token: z.string().min(1).max(200) }),
        body: z.strictObject({ password: z.string().max(PASSWORD_MAX_CHARS * 4) }),
        response: { 200: acceptedInvitation, ...errorResponses },
      },
      config: { auth: "public" },
    },
    async (req) => {
      const r = await accounts.acceptInvitation(req.params.token, req.body.password);
      if (!r.ok) throw failureError(r);
      return { account: accountOut(r.account) };
    },
  );

  app.post(
    "/api/v1/sessions",
    {
      schema: {
        description:
          "Public: sign in. Sets the HttpOnly session cookie and answers the CSRF token that cookie-authenticated writes send as X-CSRF-Token. Too many failures answer 429 with Retry-After.",
        security: [],
        body: z.strictObject({
          email: z.string().trim().min(1).max(254),
          password: z.string().max(PASSWORD_MAX_CHARS * 4),
        }),
        response: { 201: signedIn, ...errorResponses },
      },
      config: { auth: "public" },
    },
    async (req, reply) => {
      const r = await accounts.signIn({
        email: req.body.email,
        password: req.body.password,
        address: req.ip,
      });
      if (!r.ok) {
        if (r.reason === "throttled") reply.header("retry-after", String(Math.ceil(r.retryAfterMs / 1000)));
        ctx.log.info({ reason: r.reason }, "session.refused");
        throw failureError(r);
      }
      reply.header("set-cookie", sessionCookie(r.sessionToken, { secure: secure(req.protocol) }));
      reply.header("cache-control", "no-store");
      return reply.status(201).send({
        account: accountOut(r.account),
        csrfToken: r.csrfToken,
        expiresAt: toIso(r.expiresAtMs),
      });
    },
  );

  app.delete(
    "/api/v1/sessions/current",
    {
      schema: {
        description: "Sign out: ends the session of the cookie and clears it.",
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (req.authenticated?.via === "session")
        await accounts.signOut(cookieValue(req.headers.cookie, SESSION_COOKIE));
      reply.header("set-cookie", clearedSessionCookie({ secure: secure(req.protocol) }));
      return reply.status(204).send(null);
    },
  );

  app.get("/api/v1/me", { schema: { response: { 200: me, ...errorResponses } } }, async (req, reply) => {
    const auth = req.authenticated;
    reply.header("cache-control", "no-store");
    return {
      account: accountOut(await accounts.getAccount(req.caller, req.caller.accountId)),
      via: auth?.via ?? "admin-token",
      ...(auth?.via === "session" && { csrfToken: auth.csrfToken }),
    };
  });

  app.get(
    "/api/v1/me/export",
    {
      schema: {
        description: "Everything that is yours, as JSON (no secrets; readings are not included).",
        response: { 200: dataExport, ...errorResponses },
      },
    },
    async (req, reply) => {
      reply.header("cache-control", "no-store");
      return (await accounts.exportData(req.caller)) as z.infer<typeof dataExport>;
    },
  );

  app.post(
    "/api/v1/tokens",
    {
      schema: {
        description: "A personal API token (`Authorization: Bearer ct_…`) for scripts; shown once.",
        body: z.strictObject({ name }),
        response: { 201: tokenCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const t = await accounts.createToken(req.caller, req.body.name);
      reply.header("cache-control", "no-store");
      return reply.status(201).send({ ...tokenOut(t), token: t.token });
    },
  );

  app.get("/api/v1/tokens", { schema: { response: { 200: tokenList, ...errorResponses } } }, async (req) => ({
    tokens: (await accounts.listTokens(req.caller)).map(tokenOut),
  }));

  app.delete(
    "/api/v1/tokens/:id",
    { schema: { params: idParams, response: { 204: noContent, ...errorResponses } } },
    async (req, reply) => {
      await accounts.revokeToken(req.caller, req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    "/api/v1/accounts",
    {
      schema: {
        description: "admin: every account; staff: their site's; donor: herself.",
        response: { 200: accountList, ...errorResponses },
      },
    },
    async (req) => ({ accounts: (await accounts.listAccounts(req.caller)).map(accountOut) }),
  );

  app.get(
    "/api/v1/accounts/:id",
    { schema: { params: idParams, response: { 200: accountView, ...errorResponses } } },
    async (req) => accountOut(await accounts.getAccount(req.caller, req.params.id)),
  );

  app.patch(
    "/api/v1/accounts/:id",
    {
      schema: {
        description:
          "Rename, or (admin) change role and site, or disable (admin; staff for their site's donors). Disabling ends the account's sessions.",
        params: idParams,
        body: z.strictObject({
          name: name.optional(),
          role: role.optional(),
          siteId: z.string().min(1).max(128).nullable().optional(),
          disabled: z.boolean().optional(),
        }),
        response: { 200: accountView, ...errorResponses },
      },
    },
    async (req) => accountOut(await accounts.updateAccount(req.caller, req.params.id, req.body)),
  );

  app.delete(
    "/api/v1/accounts/:id",
    {
      schema: {
        description:
          "Delete an account (a donor her own; staff their site's donors; admin anyone but the bootstrap admin). Her data goes except what others depend on, kept without her name.",
        params: idParams,
        response: { 200: accountDeleted, ...errorResponses },
      },
    },
    async (req, reply) => {
      const erased = await accounts.deleteAccount(req.caller, req.params.id);
      if (req.params.id === req.caller.accountId) {
        reply.header("set-cookie", clearedSessionCookie({ secure: secure(req.protocol) }));
      }
      return erased;
    },
  );

  app.post(
    "/api/v1/sites",
    {
      schema: {
        description: "admin: a site (a milk bank, a household group) that staff and donors belong to.",
        body: z.strictObject({ name }),
        response: { 201: siteView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const s = await accounts.createSite(req.caller, req.body.name);
      return reply.status(201).send({ id: s.id, name: s.name, createdAt: toIso(s.createdMs) });
    },
  );

  app.get(
    "/api/v1/sites",
    {
      schema: {
        description: "admin: every site; others: their own.",
        response: { 200: siteList, ...errorResponses },
      },
    },
    async (req) => ({
      sites: (await accounts.listSites(req.caller)).map((s) => ({
        id: s.id,
        name: s.name,
        createdAt: toIso(s.createdMs),
      })),
    }),
  );
};
