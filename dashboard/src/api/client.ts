/// <reference lib="dom" />
/**
 * Typed client for the parts of coldtrail's HTTP API the dashboard uses (DESIGN.md "HTTP API").
 * Every call returns a value, never throws: `{ ok: true, value }` or `{ ok: false, status, code,
 * message }` with the server's error code (`server/src/errors.ts`), `CT_NETWORK` when the server
 * cannot be reached. A 401 also calls `onUnauthorized` so the app can ask for the token again.
 */
import type {
  Alert,
  AlertList,
  AlertState,
  BatchDetail,
  BatchList,
  DeadLetterList,
  Passport,
  ProbeDetail,
  Review,
  ReviewCreated,
  UnitDetail,
  UnitList,
  UnitReadings,
} from "./types.js";

export type ApiResult<T> =
  | { ok: true; value: T }
  | { ok: false; status: number; code: string; message: string };

export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

const TOKEN_KEY = "coldtrail.adminToken";

/** The bearer token lives in localStorage: staff enter it once per browser. */
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

export function createApiClient(opts: ApiClientOptions) {
  const base = (opts.baseUrl ?? "").replace(/\/+$/, "");

  async function call<T>(method: string, path: string, o: CallOptions = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = o.token ?? (o.anonymous ? null : opts.tokens.get());
    if (token) headers.authorization = `Bearer ${token}`;
    if (o.body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: o.body === undefined ? null : JSON.stringify(o.body),
        cache: "no-store",
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
    return {
      ok: false,
      status: res.status,
      code: err?.code ?? `HTTP_${res.status}`,
      message: err?.message ?? `the server answered ${res.status} ${res.statusText}`.trim(),
    };
  }

  return {
    /** Checks a token before storing it: any authenticated read will do. */
    checkToken: (token: string) => call<UnitList>("GET", "/api/v1/units", { token }),
    units: () => call<UnitList>("GET", "/api/v1/units"),
    unit: (id: string) => call<UnitDetail>("GET", `/api/v1/units/${encodeURIComponent(id)}`),
    unitReadings: (id: string, q: { from: string; to: string; every?: string }) =>
      call<UnitReadings>("GET", `/api/v1/units/${encodeURIComponent(id)}/readings${query(q)}`),
    batches: (q: { unitId?: string; code?: string; verdict?: string }) =>
      call<BatchList>("GET", `/api/v1/batches${query(q)}`),
    /** `tz`: the browser's zone, so reasons name times as the page shows them. */
    batch: (id: string, tz?: string) =>
      call<BatchDetail>("GET", `/api/v1/batches/${encodeURIComponent(id)}${query({ tz })}`),
    review: (
      id: string,
      body: { decision: Review["decision"]; comment: string; showToRecipient?: boolean },
    ) => call<ReviewCreated>("POST", `/api/v1/batches/${encodeURIComponent(id)}/reviews`, { body }),
    passport: (code: string, tz?: string) =>
      call<Passport>("GET", `/api/v1/passports/${encodeURIComponent(code)}${query({ tz })}`, {
        anonymous: true,
      }),
    probe: (id: string) => call<ProbeDetail>("GET", `/api/v1/probes/${encodeURIComponent(id)}`),
    alerts: (state: AlertState) => call<AlertList>("GET", `/api/v1/alerts${query({ state })}`),
    ackAlert: (id: string, comment: string) =>
      call<Alert>("POST", `/api/v1/alerts/${encodeURIComponent(id)}/ack`, { body: { comment } }),
    deadLetters: (q: { before?: number; limit?: number }) =>
      call<DeadLetterList>("GET", `/api/v1/deadletters${query(q)}`),
    /**
     * URL of the alert stream. EventSource cannot send headers, so the token rides in the query
     * (`?token=`); the server must accept it on this route.
     */
    alertStreamUrl: (): string | null => {
      const token = opts.tokens.get();
      return token ? `${base}/api/v1/alerts/stream${query({ token })}` : null;
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
