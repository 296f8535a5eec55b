/// <reference lib="dom" />
/**
 * Typed client for the parts of coldtrail's HTTP API the dashboard uses (DESIGN.md "HTTP API").
 * Every call returns a value, never throws: `{ ok: true, value }` or `{ ok: false, status, code,
 * message }` with the server's error code (`server/src/errors.ts`), `CT_NETWORK` when the server
 * cannot be reached. A 401 also calls `onUnauthorized` so the app can ask the person to sign in.
 *
 * People sign in with email and password: the server sets an HttpOnly session cookie (the page
 * never sees it) and answers a CSRF token, which this client keeps in memory and sends as
 * `X-CSRF-Token` on every write. Scripts and the bootstrap admin may still use a bearer token
 * ("automation token"), kept in localStorage.
 */
import type {
  AcceptedInvitation,
  Alert,
  AlertList,
  AlertState,
  AuditList,
  BatchCreated,
  BatchDetail,
  BatchList,
  DeadLetterList,
  Me,
  NotifyChoices,
  NotifyTestResult,
  Passport,
  ProbeDetail,
  ProbeRegistered,
  ProbeSecret,
  PushKey,
  PushSubscriptionCreated,
  Review,
  ReviewCreated,
  SignedIn,
  SiteList,
  Unit,
  UnitDetail,
  UnitKind,
  UnitList,
  UnitReadings,
} from "./types.js";

export type ApiResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      status: number;
      code: string;
      message: string;
      /** Seconds to wait, when the server said so (Retry-After on 429). */
      retryAfterS?: number;
    };

export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

const TOKEN_KEY = "coldtrail.adminToken";

/** An automation token lives in localStorage: entered once per browser. */
export const localTokenStore: TokenStore = {
  get: () => localStorage.getItem(TOKEN_KEY),
  set: (token) => localStorage.setItem(TOKEN_KEY, token),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

export interface ApiClientOptions {
  tokens: TokenStore;
  /** Called on every 401 from an authenticated route. */
  onUnauthorized?: () => void;
  /** Origin of the server; default the page's own. */
  baseUrl?: string;
}

interface CallOptions {
  body?: unknown;
  /** Public routes (passports) send no token and a 401 there is not a login problem. */
  anonymous?: boolean;
  /** Use this token instead of the stored one (the login box checks a candidate). */
  token?: string;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function createApiClient(opts: ApiClientOptions) {
  const base = (opts.baseUrl ?? "").replace(/\/+$/, "");
  /** The session's CSRF token (from sign-in or GET /me); never stored, so a reload asks /me. */
  let csrfToken: string | null = null;

  async function call<T>(method: string, path: string, o: CallOptions = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = o.token ?? (o.anonymous ? null : opts.tokens.get());
    if (token) headers.authorization = `Bearer ${token}`;
    else if (csrfToken && !SAFE_METHODS.has(method)) headers["x-csrf-token"] = csrfToken;
    if (o.body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: o.body === undefined ? null : JSON.stringify(o.body),
        cache: "no-store",
        credentials: "same-origin",
      });
    } catch (e) {
      return {
        ok: false,
        status: 0,
        code: "CT_NETWORK",
        message: `cannot reach the server (${(e as Error).message})`,
      };
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // A proxy's HTML error page, say; reported below with the status.
    }
    if (res.ok) return { ok: true, value: json as T };
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && !o.anonymous && o.token === undefined) opts.onUnauthorized?.();
    const retryAfter = Number(res.headers.get("retry-after"));
    return {
      ok: false,
      status: res.status,
      code: err?.code ?? `HTTP_${res.status}`,
      message: err?.message ?? `the server answered ${res.status} ${res.statusText}`.trim(),
      ...(retryAfter > 0 && { retryAfterS: retryAfter }),
    };
  }

  const keepCsrf = <T extends { csrfToken?: string | undefined }>(r: ApiResult<T>): ApiResult<T> => {
    if (r.ok && r.value.csrfToken) csrfToken = r.value.csrfToken;
    return r;
  };

  return {
    /** Signs in with email and password: the server sets the session cookie. */
    signIn: async (email: string, password: string) => {
      opts.tokens.clear();
      return keepCsrf(
        await call<SignedIn>("POST", "/api/v1/sessions", { body: { email, password }, anonymous: true }),
      );
    },
    /** Ends the session (or forgets the automation token). */
    signOut: async () => {
      const hadToken = opts.tokens.get() !== null;
      opts.tokens.clear();
      const r = hadToken ? null : await call<null>("DELETE", "/api/v1/sessions/current", { anonymous: true });
      csrfToken = null;
      return r;
    },
    /** Who is signed in (and the session's CSRF token after a reload). */
    me: async () => keepCsrf(await call<Me>("GET", "/api/v1/me")),
    acceptInvitation: (token: string, password: string) =>
      call<AcceptedInvitation>("POST", `/api/v1/invitations/${encodeURIComponent(token)}/accept`, {
        body: { password },
        anonymous: true,
      }),
    /** Checks a token before storing it: any authenticated read will do. */
    checkToken: (token: string) => call<UnitList>("GET", "/api/v1/units", { token }),
    units: () => call<UnitList>("GET", "/api/v1/units"),
    unit: (id: string) => call<UnitDetail>("GET", `/api/v1/units/${encodeURIComponent(id)}`),
    unitReadings: (id: string, q: { from: string; to: string; every?: string }) =>
      call<UnitReadings>("GET", `/api/v1/units/${encodeURIComponent(id)}/readings${query(q)}`),
    batches: (q: {
      unitId?: string;
      code?: string;
      codePrefix?: string;
      verdict?: string;
      state?: string;
      siteId?: string;
      after?: string;
      limit?: number;
    }) => call<BatchList>("GET", `/api/v1/batches${query(q)}`),
    sites: () => call<SiteList>("GET", "/api/v1/sites"),
    /** `tz`: the browser's zone, so reasons name times as the page shows them. */
    batch: (id: string, tz?: string) =>
      call<BatchDetail>("GET", `/api/v1/batches/${encodeURIComponent(id)}${query({ tz })}`),
    /**
     * The batch moved into one of her units at `at`, or left her custody (`unitId: null` with
     * `how`) → the batch with its custody chain.
     */
    moveBatch: (
      id: string,
      body: { unitId: string | null; at?: string; how?: "handed-over" | "fed" | "discarded" },
      tz?: string,
    ) =>
      call<BatchDetail>("POST", `/api/v1/batches/${encodeURIComponent(id)}/moves${query({ tz })}`, { body }),
    audit: (id: string) => call<AuditList>("GET", `/api/v1/batches/${encodeURIComponent(id)}/audit`),
    /** Where a batch's export is: `readings.csv` or `report.pdf` (the PDF's words in `tz`). */
    exportUrl: (id: string, file: "readings.csv" | "report.pdf", tz?: string) =>
      `${base}/api/v1/batches/${encodeURIComponent(id)}/${file}${query({ tz })}`,
    /**
     * A file the server sends as an attachment, fetched with the stored automation token (a plain
     * link sends the session cookie, not a token): its bytes and the name the server gave it.
     */
    downloadWithToken: async (url: string): Promise<ApiResult<{ blob: Blob; filename: string | null }>> => {
      const token = opts.tokens.get();
      let res: Response;
      try {
        res = await fetch(url, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
          cache: "no-store",
          credentials: "same-origin",
        });
      } catch (e) {
        return {
          ok: false,
          status: 0,
          code: "CT_NETWORK",
          message: `cannot reach the server (${(e as Error).message})`,
        };
      }
      if (!res.ok) {
        const err = (
          (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null
        )?.error;
        if (res.status === 401) opts.onUnauthorized?.();
        return {
          ok: false,
          status: res.status,
          code: err?.code ?? `HTTP_${res.status}`,
          message: err?.message ?? `the server answered ${res.status}`,
        };
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? null;
      return { ok: true, value: { blob: await res.blob(), filename: name } };
    },
    /** True when requests carry an automation token rather than the session cookie. */
    usesToken: () => opts.tokens.get() !== null,
    review: (
      id: string,
      body: { decision: Review["decision"]; comment: string; showToRecipient?: boolean },
    ) => call<ReviewCreated>("POST", `/api/v1/batches/${encodeURIComponent(id)}/reviews`, { body }),
    passport: (code: string, tz?: string) =>
      call<Passport>("GET", `/api/v1/passports/${encodeURIComponent(code)}${query({ tz })}`, {
        anonymous: true,
      }),
    createUnit: (body: { name: string; kind: UnitKind }) => call<Unit>("POST", "/api/v1/units", { body }),
    /** Registers a probe in a unit; the answer's secret is shown once. */
    createProbe: (body: { unitId: string; name?: string; bleMac?: string; bleFormat?: string }) =>
      call<ProbeRegistered>("POST", "/api/v1/probes", { body }),
    /** A new secret for a probe (shown once); the old one stops working. */
    newProbeSecret: (id: string) =>
      call<ProbeSecret>("POST", `/api/v1/probes/${encodeURIComponent(id)}/secret`),
    createBatch: (body: {
      unitId: string;
      expressedAt: string;
      state: "fresh" | "frozen" | "thawed";
      volumeMl?: number;
      donorRef?: string;
    }) => call<BatchCreated>("POST", "/api/v1/batches", { body }),
    /** The passport's QR code as SVG (public): an image URL, for `<img src>`. */
    passportQrUrl: (code: string) => `${base}/api/v1/passports/${encodeURIComponent(code)}/qr.svg`,
    probe: (id: string) => call<ProbeDetail>("GET", `/api/v1/probes/${encodeURIComponent(id)}`),
    alerts: (state: AlertState) => call<AlertList>("GET", `/api/v1/alerts${query({ state })}`),
    /** Any state (none: all), newest first; `limit` up to 1000. */
    alertList: (q: { state?: AlertState; limit?: number }) =>
      call<AlertList>("GET", `/api/v1/alerts${query(q)}`),
    ackAlert: (id: string, comment: string) =>
      call<Alert>("POST", `/api/v1/alerts/${encodeURIComponent(id)}/ack`, {
        body: comment ? { comment } : {},
      }),
    resolveAlert: (id: string, comment: string) =>
      call<Alert>("POST", `/api/v1/alerts/${encodeURIComponent(id)}/resolve`, {
        body: comment ? { comment } : {},
      }),
    notifyChoices: () => call<NotifyChoices>("GET", "/api/v1/me/notifications"),
    saveNotifyChoices: (body: { email: boolean; alertKinds: NotifyChoices["alertKinds"] }) =>
      call<NotifyChoices>("PUT", "/api/v1/me/notifications", { body }),
    testNotification: () => call<NotifyTestResult>("POST", "/api/v1/me/notifications/test"),
    pushKey: () => call<PushKey>("GET", "/api/v1/push/key"),
    /** `subscription`: a PushSubscription's toJSON(). */
    subscribePush: (subscription: unknown) =>
      call<PushSubscriptionCreated>("POST", "/api/v1/push/subscriptions", { body: subscription }),
    unsubscribePush: (endpoint: string) =>
      call<null>("DELETE", "/api/v1/push/subscriptions", { body: { endpoint } }),
    deadLetters: (q: { before?: number; limit?: number }) =>
      call<DeadLetterList>("GET", `/api/v1/deadletters${query(q)}`),
    /**
     * URL of the alert stream. EventSource sends the session cookie but no headers, so an
     * automation token rides in the query (`?token=`), which the server accepts on this route.
     */
    alertStreamUrl: (): string | null => {
      const token = opts.tokens.get();
      return `${base}/api/v1/alerts/stream${query({ token: token ?? undefined })}`;
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
