import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { inject } from "vitest";
import { uniqueDatabaseName } from "../../test/influxd.js";
import { type Coldtrail, type StartOptions, startColdtrail } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";
/**
 * COLDTRAIL_SECRET_KEY for test servers: one key for all, as every instance on one database needs
 * (an empty string in a test's env unsets it, for the data folder's generated key).
 */
export const TEST_SECRET_KEY = "5ec7e7ce1d0c01d7a11c0ffee0ddba11ab1e5eed5a1ad0ff1cebea7e11f00d42";

export interface TestServer extends Coldtrail {
  dataDir: string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  cleanup(): Promise<void>;
}

/** A real coldtrail on ephemeral ports with its own data directory. */
export async function startTestServer(
  env: Record<string, string> = {},
  dataDir?: string,
  opts: Pick<StartOptions, "alertTickEveryMs"> = {},
): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "coldtrail-test-"));
  const config = loadConfig({
    COLDTRAIL_HTTP_PORT: "0",
    COLDTRAIL_HTTP_HOST: "127.0.0.1",
    COLDTRAIL_MQTT_PORT: "0",
    COLDTRAIL_DATA_DIR: dir,
    COLDTRAIL_ADMIN_TOKEN: ADMIN_TOKEN,
    COLDTRAIL_SECRET_KEY: TEST_SECRET_KEY,
    COLDTRAIL_LOG_LEVEL: process.env.COLDTRAIL_TEST_LOG ?? "silent",
    ...env,
  });
  const app = await startColdtrail(config, { log: createLogger(config.logLevel), ...opts });
  return {
    ...app,
    dataDir: dir,
    api: apiClient(app.httpUrl),
    async cleanup() {
      await app.stop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client for the HTTP API with the test admin token; the body parsed when it is JSON. */
export function apiClient(baseUrl: string) {
  return async <T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text) as T,
    };
  };
}

/**
 * The two readings stores, for suites that must hold on both: the server environment for each, or
 * null for InfluxDB when the run has none (COLDTRAIL_SKIP_INFLUX=1).
 */
export function storeVariants(dbPrefix: string): [string, () => Record<string, string> | null][] {
  return [
    ["sqlite", () => ({})],
    [
      "influx",
      () =>
        inject("influxUrl")
          ? {
              COLDTRAIL_STORE: "influx",
              COLDTRAIL_INFLUX_URL: inject("influxUrl"),
              COLDTRAIL_INFLUX_DB: uniqueDatabaseName(dbPrefix),
            }
          : null,
    ],
  ];
}

export interface RegisteredProbe {
  id: string;
  secret: string;
  unitId: string;
  mqtt: { url: string; username: string; topic: string };
}

export async function registerProbe(
  s: Pick<TestServer, "api">,
  unit: { name?: string; kind?: "freezer" | "fridge" | "cool-bag" } = {},
  probeId?: string,
): Promise<RegisteredProbe> {
  const u = await s.api<{ id: string }>("POST", "/api/v1/units", {
    name: unit.name ?? "freezer",
    kind: unit.kind ?? "freezer",
  });
  if (u.status !== 201) throw new Error(`unit: ${u.status} ${JSON.stringify(u.body)}`);
  const p = await s.api<Omit<RegisteredProbe, "unitId">>("POST", "/api/v1/probes", {
    unitId: u.body.id,
    ...(probeId && { id: probeId }),
  });
  if (p.status !== 201) throw new Error(`probe: ${p.status} ${JSON.stringify(p.body)}`);
  return { ...p.body, unitId: u.body.id };
}

export async function connectProbe(
  url: string,
  id: string,
  secret: string,
  extra: mqtt.IClientOptions = {},
): Promise<MqttClient> {
  const c = mqtt.connect(url, {
    username: id,
    password: secret,
    clientId: `${id}:t-${Math.random().toString(36).slice(2, 8)}`,
    reconnectPeriod: 0,
    ...extra,
  });
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
  });
  return c;
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Someone invited, her password set from the invitation and signed in, as the dashboard does it. */
export interface SignedInPerson {
  accountId: string;
  /** `coldtrail_session=…`, ready for a Cookie header. */
  cookie: string;
  csrfToken: string;
  /** A personal API token made in that session, when asked for with `tokenName`. */
  token: string | null;
}

/**
 * Invites `person` (with the admin token), accepts the invitation with `password`, signs in over
 * HTTP and, with `tokenName`, makes a personal API token in the session (cookie + CSRF token).
 * Throws, naming the step, when the server refuses one.
 */
export async function inviteAndSignIn(
  httpUrl: string,
  person: { email: string; name: string; role: "admin" | "staff" | "donor"; siteId?: string },
  password: string,
  tokenName?: string,
): Promise<SignedInPerson> {
  const api = apiClient(httpUrl);
  const step = async (what: string, res: Response | { status: number; body: unknown }, want: number) => {
    if (res.status !== want) {
      const body = res instanceof Response ? await res.text() : JSON.stringify(res.body);
      throw new Error(`${what} for ${person.email}: HTTP ${res.status} ${body}`);
    }
  };
  const invited = await api<{ id: string; inviteToken: string }>("POST", "/api/v1/accounts", person);
  await step("invitation", invited, 201);
  await step(
    "accepting the invitation",
    await api("POST", `/api/v1/invitations/${invited.body.inviteToken}/accept`, { password }),
    200,
  );
  const session = await fetch(`${httpUrl}/api/v1/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: person.email, password }),
  });
  await step("signing in", session, 201);
  const cookie = (session.headers.get("set-cookie") ?? "").split(";")[0] as string;
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  let token: string | null = null;
  if (tokenName !== undefined) {
    const made = await fetch(`${httpUrl}/api/v1/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "x-csrf-token": csrfToken },
      body: JSON.stringify({ name: tokenName }),
    });
    await step("making a personal token", made, 201);
    token = ((await made.json()) as { token: string }).token;
  }
  return { accountId: invited.body.id, cookie, csrfToken, token };
}
