import { z } from "zod";

/**
 * Registers units and probes through the server's HTTP API (DESIGN.md, "HTTP API"):
 * `POST /api/v1/units {name, kind}` → `{id}` and `POST /api/v1/probes {name, unitId}` →
 * `{id, secret, mqtt:{url, username, topic}}`, authorised with the bootstrap admin token.
 */
export interface ApiTarget {
  /** Server base URL, e.g. http://127.0.0.1:8080 (a trailing /api/v1 is tolerated). */
  baseUrl: string;
  token: string;
  timeoutMs?: number;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; reason: string; status?: number };

const idSchema = z.union([z.string().min(1), z.number()]).transform(String);
const unitCreatedSchema = z.object({ id: idSchema });
const probeCreatedSchema = z.object({
  id: z.string().min(1),
  secret: z.string().min(1),
  mqtt: z.object({ url: z.string().min(1), username: z.string().min(1), topic: z.string().min(1) }),
});
const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type ProbeCredentials = z.infer<typeof probeCreatedSchema>;
export type UnitKindName = "freezer" | "fridge" | "cool-bag";

export function apiUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "").replace(/\/api\/v1$/, "")}/api/v1${path}`;
}

export function createUnit(
  api: ApiTarget,
  body: { name: string; kind: UnitKindName; profile?: string },
): Promise<ApiResult<{ id: string }>> {
  return post(api, "/units", body, unitCreatedSchema);
}

export function createProbe(
  api: ApiTarget,
  body: { name?: string; unitId?: string; id?: string },
): Promise<ApiResult<ProbeCredentials>> {
  return post(api, "/probes", body, probeCreatedSchema);
}

async function post<T>(
  api: ApiTarget,
  path: string,
  body: unknown,
  schema: z.ZodType<T>,
): Promise<ApiResult<T>> {
  const url = apiUrl(api.baseUrl, path);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(api.timeoutMs ?? 10_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    return {
      ok: false,
      reason: `POST ${url} failed (${cause}): is the coldtrail server running at ${api.baseUrl}?`,
    };
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = errorBodySchema.safeParse(json);
    const detail = err.success ? `${err.data.error.code}: ${err.data.error.message}` : text.slice(0, 200);
    const hint =
      res.status === 401 || res.status === 403
        ? " (check --token: the server's COLDTRAIL_ADMIN_TOKEN, printed at its first start)"
        : "";
    return { ok: false, status: res.status, reason: `POST ${url} → ${res.status} ${detail}${hint}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      status: res.status,
      reason: `POST ${url} → ${res.status} but the body is not what DESIGN.md promises: ${parsed.error.issues
        .slice(0, 2)
        .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
        .join("; ")}`,
    };
  }
  return { ok: true, value: parsed.data };
}
