/**
 * Issue #14: what an adversarial run found in the HTTP server, one test each. app.inject on the
 * real route plugins (server/src/api/test-api.ts) and a real server on sockets for what needs one
 * (ordering under load, file modes, a port already in use).
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../test/processes.js";
import { createApi } from "../src/api/app.js";
import { PASSPORT_PER_MINUTE, SIGN_IN_PER_MINUTE } from "../src/api/rate-limits.js";
import { MAX_CHART_POINTS, passportsPlugin } from "../src/api/routes/passports.js";
import { unitsPlugin } from "../src/api/routes/units.js";
import { createTestApi, T0, TEST_TOKEN, type TestApi } from "../src/api/test-api.js";
import { loadConfig } from "../src/config.js";
import { createUnitHistory } from "../src/history/unit-history.js";
import { createLogger, urlForLog } from "../src/logger.js";
import { createUnitReadings } from "../src/readings/unit-readings.js";
import { ADMIN } from "../src/registry/caller.js";
import { createInfluxReadingsStore } from "../src/stores/influx.js";
import { createBatchVerdicts } from "../src/verdicts/batch-verdict.js";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "./harness.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
type ErrorBody = { error: { code: string; message: string } };

/** A logger whose lines land in an array, to read what would reach the log. */
function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger("info", sink), lines };
}

let t: TestApi;
let unitId: string;
let longCode: string;
beforeAll(async () => {
  t = await createTestApi();
  const unit = await t.registry.units.create(ADMIN, { name: "Long freezer", kind: "freezer" }, T0 - 70 * DAY);
  unitId = unit.id;
  const { probe } = await t.registry.probes.create(ADMIN, { id: "probe-long", unitId }, T0 - 70 * DAY);
  // 60 days, one reading a minute: 86,400 readings a raw passport would send.
  await t.write(
    Array.from({ length: 60 * 24 * 60 }, (_, i) => ({
      probeId: probe.id,
      tsMs: T0 - 60 * DAY + i * MIN,
      tempC: -19 + (i % 30) / 10,
      seq: i,
      serverTimed: false,
    })),
  );
  longCode = (
    await t.registry.batches.create(
      ADMIN,
      { unitId, expressedAtMs: T0 - 60 * DAY - HOUR, atMs: T0 - 60 * DAY, state: "frozen" },
      T0,
    )
  ).code;
}, 120_000);
afterAll(async () => t?.close());

describe("security headers and CORS", () => {
  it("every answer carries a CSP, no framing, nosniff and no referrer; no CORS header by default", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: "/healthz",
      headers: { origin: "https://evil.example" },
    });
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    // Errors too.
    const e = await t.app.inject({ method: "GET", url: "/api/v1/units" });
    expect(e.statusCode).toBe(401);
    expect(e.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("COLDTRAIL_CORS_ORIGINS opens the API to the listed origins only, preflight included", async () => {
    const config = loadConfig({ COLDTRAIL_CORS_ORIGINS: "https://hub.example, https://ward.example" });
    expect(config.http.corsOrigins).toEqual(["https://hub.example", "https://ward.example"]);
    expect(() => loadConfig({ COLDTRAIL_CORS_ORIGINS: "https://hub.example/path" })).toThrow(
      /COLDTRAIL_CORS_ORIGINS must list origins like https:\/\/hub.example/,
    );
    const app = await createApi({
      log: createLogger("silent"),
      adminToken: TEST_TOKEN,
      corsOrigins: config.http.corsOrigins,
    });
    app.get("/api/v1/ping", async () => ({ pong: true }));
    await app.ready();
    const listed = await app.inject({
      method: "GET",
      url: "/api/v1/ping",
      headers: { origin: "https://hub.example", authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(listed.headers["access-control-allow-origin"]).toBe("https://hub.example");
    const other = await app.inject({
      method: "GET",
      url: "/api/v1/ping",
      headers: { origin: "https://evil.example", authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(other.statusCode).toBe(200);
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await app.inject({
      method: "OPTIONS",
      url: "/api/v1/ping",
      headers: { origin: "https://ward.example", "access-control-request-method": "GET" },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers["access-control-allow-headers"]).toContain("authorization");
    await app.close();
  });
});

describe("rate limits", () => {
  it("passport codes cannot be enumerated: past the limit a client gets 429 with Retry-After, another client still gets in", async () => {
    const app = await createApi({ log: createLogger("silent"), adminToken: TEST_TOKEN });
    let lookups = 0;
    await app.register(passportsPlugin, {
      batches: {
        byCode: (code: string) => {
          lookups++;
          return t.registry.batches.byCode(code);
        },
        reviews: (id: string) => t.registry.batches.reviews(id),
      },
      batchVerdicts: createBatchVerdicts({
        batches: t.registry.batches,
        units: t.registry.units,
        history: createUnitHistory({
          probes: t.registry.probes,
          unitReadings: createUnitReadings(t.registry.probes, t.store, t.registry.probes.calibrationOf),
        }),
        log: createLogger("silent"),
      }),
      unitReadings: createUnitReadings(t.registry.probes, t.store, t.registry.probes.calibrationOf),
      now: () => T0,
    });
    await app.ready();
    // One second of a guesser at 2,000 codes a second.
    const statuses = new Map<number, number>();
    let last: Awaited<ReturnType<typeof app.inject>> | null = null;
    for (let i = 0; i < 2000; i++) {
      last = await app.inject({
        method: "GET",
        url: `/api/v1/passports/GUESS${String(i).padStart(6, "0")}`,
        remoteAddress: "203.0.113.7",
      });
      statuses.set(last.statusCode, (statuses.get(last.statusCode) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({
      404: PASSPORT_PER_MINUTE,
      429: 2000 - PASSPORT_PER_MINUTE,
    });
    // The refused guesses never reached the registry.
    expect(lookups).toBe(PASSPORT_PER_MINUTE);
    expect(last?.json<ErrorBody>().error.code).toBe("CT_ERR_TOO_MANY_REQUESTS");
    expect(Number(last?.headers["retry-after"])).toBeGreaterThan(0);
    const neighbour = await app.inject({
      method: "GET",
      url: "/api/v1/passports/GUESS000000",
      remoteAddress: "198.51.100.9",
    });
    expect(neighbour.statusCode).toBe(404);
    await app.close();
  });

  it("sign-in (POST /api/v1/sessions, from whichever plugin adds it) is limited per address", async () => {
    const app = await createApi({ log: createLogger("silent"), adminToken: TEST_TOKEN });
    app.post("/api/v1/sessions", { config: { auth: "public" } }, async (_req, reply) =>
      reply.status(401).send({ error: { code: "CT_ERR_UNAUTHORIZED", message: "wrong password" } }),
    );
    await app.ready();
    const tries: number[] = [];
    for (let i = 0; i <= SIGN_IN_PER_MINUTE; i++) {
      const r = await app.inject({
        method: "POST",
        url: "/api/v1/sessions",
        payload: { email: "a@b.example", password: `guess-${i}` },
        remoteAddress: "203.0.113.8",
      });
      tries.push(r.statusCode);
    }
    expect(tries).toEqual([...Array<number>(SIGN_IN_PER_MINUTE).fill(401), 429]);
    await app.close();
  });

  describe("behind a reverse proxy (COLDTRAIL_TRUST_PROXY)", () => {
    /** Sign-in statuses of two clients behind one proxy at 10.0.0.2, taking turns. */
    async function twoClientsBehindProxy(trustProxy: false | number | string[]) {
      const app = await createApi({ log: createLogger("silent"), adminToken: TEST_TOKEN, trustProxy });
      app.post("/api/v1/sessions", { config: { auth: "public" } }, async (_req, reply) =>
        reply.status(401).send({ error: { code: "CT_ERR_UNAUTHORIZED", message: "wrong password" } }),
      );
      await app.ready();
      const seen: Record<string, number[]> = { "198.51.100.1": [], "198.51.100.2": [] };
      for (let i = 0; i < SIGN_IN_PER_MINUTE; i++) {
        for (const [client, statuses] of Object.entries(seen)) {
          const r = await app.inject({
            method: "POST",
            url: "/api/v1/sessions",
            payload: { email: "a@b.example", password: `guess-${i}` },
            remoteAddress: "10.0.0.2",
            headers: { "x-forwarded-for": client },
          });
          statuses.push(r.statusCode);
        }
      }
      await app.close();
      return Object.values(seen).map((s) => s.filter((c) => c === 429).length);
    }

    it("unset, every client behind the proxy shares its address and its limit", async () => {
      // 2 × 10 tries from one address: the last 10 are refused, 5 from each client.
      expect(await twoClientsBehindProxy(false)).toEqual([5, 5]);
    });

    it("naming the proxy (address, CIDR or one hop), each client has a limit of its own", async () => {
      for (const trust of [["10.0.0.2"], ["10.0.0.0/8"], 1])
        expect(await twoClientsBehindProxy(trust), JSON.stringify(trust)).toEqual([0, 0]);
    });

    it("a proxy not named is not believed: its X-Forwarded-For is ignored", async () => {
      expect(await twoClientsBehindProxy(["192.0.2.1"])).toEqual([5, 5]);
    });
  });
});

describe("request bodies", () => {
  it("a body over 64 KiB is refused with 413", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/units",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      payload: JSON.stringify({ name: "x".repeat(70 * 1024), kind: "freezer" }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json<ErrorBody>().error.code).toBe("CT_ERR_PAYLOAD_TOO_LARGE");
  });

  it("deeply nested JSON is refused with 400 naming the depth, not a stack overflow", async () => {
    const depth = 20_000;
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/units",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      payload: `{"name":${"[".repeat(depth)}${"]".repeat(depth)},"kind":"freezer"}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().error).toEqual({
      code: "CT_ERR_BAD_REQUEST",
      message: expect.stringContaining("nested more than 32 levels"),
    });
  });

  it("__proto__ and constructor.prototype keys are refused and change no prototype", async () => {
    for (const payload of [
      '{"name":"p","kind":"freezer","__proto__":{"polluted":true}}',
      '{"name":"p","kind":"freezer","constructor":{"prototype":{"polluted":true}}}',
    ]) {
      const res = await t.app.inject({
        method: "POST",
        url: "/api/v1/units",
        headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
        payload,
      });
      expect(res.statusCode).toBe(400);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("errors and logs", () => {
  it("an internal error answers without stack or paths; the log has it, with ?token= and headers redacted", async () => {
    const { log, lines } = capturedLogger();
    const app = await createApi({ log, adminToken: TEST_TOKEN });
    app.get("/api/v1/boom", { config: { auth: "token-or-query" } }, async () => {
      throw new Error(`disk failed reading ${join(ROOT, "server/src/secret-place.ts")}`);
    });
    await app.ready();
    const res = await app.inject({ method: "GET", url: `/api/v1/boom?token=${TEST_TOKEN}&x=1` });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: { code: "CT_ERR_INTERNAL", message: "internal error; see the server log" },
    });
    expect(res.body).not.toMatch(/secret-place|\/work|\bat \w|\.ts/);
    const logged = lines.join("");
    expect(logged).toContain("http.error");
    expect(logged).toContain("secret-place");
    expect(logged).toContain("/api/v1/boom?token=[redacted]&x=1");
    expect(logged).not.toContain(TEST_TOKEN);
    await app.close();

    log.info(
      {
        req: {
          url: "/api/v1/alerts/stream?token=abc123abc123",
          headers: { authorization: "Bearer abc123abc123", cookie: "sid=abc123abc123" },
        },
        target: "https://hook-user:hook-pass@hooks.example/x",
      },
      "probe",
    );
    expect(lines.at(-1)).not.toMatch(/abc123abc123|hook-pass/);
    expect(urlForLog("http://u:p@h.example/a?access_token=z&b=2")).toBe(
      "http://[redacted]@h.example/a?access_token=[redacted]&b=2",
    );
  });

  it("a readings store that cannot be reached answers 503 naming it, not a generic 500", async () => {
    const closedPort = await freePort();
    const influx = createInfluxReadingsStore({
      url: `http://127.0.0.1:${closedPort}`,
      database: "coldtrail",
      timeoutMs: 2000,
    });
    const app = await createApi({ log: createLogger("silent"), adminToken: TEST_TOKEN });
    await app.register(unitsPlugin, {
      units: t.registry.units,
      probes: t.registry.probes,
      unitReadings: createUnitReadings(t.registry.probes, influx, t.registry.probes.calibrationOf),
      openAlertsOf: async () => 0,
      alertCountsOf: async () => ({ open: 0, acknowledged: 0 }),
      probeOnline: () => false,
      ownersFor: () => async () => null,
      onUnitChanged: () => undefined,
      now: () => T0,
    });
    await app.ready();
    const res = await app.inject({
      method: "GET",
      url: `/api/v1/units/${unitId}/readings`,
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json<ErrorBody>().error).toEqual({
      code: "CT_ERR_UNAVAILABLE",
      message: expect.stringContaining("the influx readings store is not reachable"),
    });
    await app.close();
    await influx.close();
  });
});

describe("readings ranges", () => {
  const q = (query: string) => t.api<ErrorBody>("GET", `/api/v1/units/${unitId}/readings?${query}`);
  const at = (ms: number) => encodeURIComponent(new Date(ms).toISOString());

  it("refuses huge buckets, buckets longer than the range, absurd times and years-long ranges with 400", async () => {
    expect(await q("every=99999999d")).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("every must be at most 31d") } },
    });
    expect(await q("every=2d")).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("longer than from..to") } },
    });
    expect(await q("from=0001-01-01T00:00:00Z")).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("from must be between 2000-01-01 and 2100-01-01") } },
    });
    expect(await q(`from=${at(T0 - 3 * 365 * DAY)}&to=${at(T0)}&every=1d`)).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("more than 397") } },
    });
  });

  it("still answers ordinary questions", async () => {
    const ok = await q(`from=${at(T0 - 30 * DAY)}&to=${at(T0)}&every=1d`);
    expect(ok.status).toBe(200);
    // T0 is noon: 30 days from noon to noon touch 31 day buckets.
    expect((ok.body as unknown as { readings: unknown[] }).readings).toHaveLength(31);
  });
});

describe("channels", () => {
  it("refuses a loopback webhook at creation naming the rule, and never shows a secret after creation", async () => {
    const refused = await t.api<ErrorBody>("POST", "/api/v1/channels", {
      kind: "webhook",
      target: "http://127.1:9000/hook",
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("loopback 127.0.0.0/8");
    const secret = "s3cret-webhook-key-0123456789";
    const created = await t.api<{ id: string }>("POST", "/api/v1/channels", {
      kind: "webhook",
      target: "https://hooks.example/coldtrail",
      secret,
    });
    expect(created.status).toBe(201);
    const list = await t.api("GET", "/api/v1/channels");
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(JSON.stringify(list.body)).toContain('"hasSecret":true');
  });
});

describe("passports", () => {
  it(`a 60-day history is at most ${MAX_CHART_POINTS} bucketed points`, async () => {
    const res = await t.app.inject({ method: "GET", url: `/api/v1/passports/${longCode}` });
    expect(res.statusCode).toBe(200);
    const p = res.json<{ readings: { min_c?: number }[]; readingsEvery: string | null }>();
    expect(p.readings.length).toBeGreaterThan(MAX_CHART_POINTS / 2);
    expect(p.readings.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(p.readingsEvery).toMatch(/^\d+s$/);
    expect(p.readings[0]?.min_c).toBeTypeOf("number");
  });

  it("concurrent requests for one batch share one computation", async () => {
    const unitReadings = createUnitReadings(t.registry.probes, t.store, t.registry.probes.calibrationOf);
    const real = createBatchVerdicts({
      batches: t.registry.batches,
      units: t.registry.units,
      history: createUnitHistory({ probes: t.registry.probes, unitReadings }),
      log: createLogger("silent"),
    });
    let computations = 0;
    const app = await createApi({ log: createLogger("silent"), adminToken: TEST_TOKEN });
    await app.register(passportsPlugin, {
      batches: t.registry.batches,
      batchVerdicts: {
        compute: (...args: Parameters<typeof real.compute>) => {
          computations++;
          return real.compute(...args);
        },
      },
      unitReadings,
      now: () => T0,
    });
    await app.ready();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => app.inject({ method: "GET", url: `/api/v1/passports/${longCode}` })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(computations).toBe(1);
    // Once answered, the next request computes afresh (nothing cached for later).
    await app.inject({ method: "GET", url: `/api/v1/passports/${longCode}` });
    expect(computations).toBe(2);
    await app.close();
  });
});

describe("a real server", () => {
  let s: TestServer;
  let dir: string;
  const codes: string[] = [];
  beforeAll(async () => {
    // A data directory as an older version (or a hand) left it: world-readable.
    dir = mkdtempSync(join(tmpdir(), "coldtrail-hard-"));
    chmodSync(dir, 0o755);
    s = await startTestServer({}, dir);
    const { units, probes, batches, store } = s.parts;
    const now = Date.now();
    for (let u = 0; u < 8; u++) {
      const unit = await units.create(ADMIN, { name: `Freezer ${u}`, kind: "freezer" }, now - 40 * DAY);
      const { probe } = await probes.create(
        ADMIN,
        { id: `probe-hard-${u}`, unitId: unit.id },
        now - 40 * DAY,
      );
      const rows = Array.from({ length: 30 * 24 * 30 }, (_, i) => ({
        probeId: probe.id,
        tsMs: now - 30 * DAY + i * 2 * MIN,
        tempC: -19 + (i % 20) / 10,
        seq: i,
        serverTimed: false,
      }));
      await store.write(rows);
      codes.push(
        (
          await batches.create(
            ADMIN,
            { unitId: unit.id, expressedAtMs: now - 30 * DAY - HOUR, atMs: now - 30 * DAY, state: "frozen" },
            now,
          )
        ).code,
      );
    }
  }, 180_000);
  afterAll(async () => {
    await s?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("binds 127.0.0.1 unless COLDTRAIL_HTTP_HOST says otherwise", () => {
    expect(loadConfig({}).http.host).toBe("127.0.0.1");
    expect(loadConfig({ COLDTRAIL_HTTP_HOST: "0.0.0.0" }).http.host).toBe("0.0.0.0");
  });

  it("/healthz answers while 8 passports are being computed", async () => {
    const order: string[] = [];
    const passports = codes.map((c, i) =>
      fetch(`${s.httpUrl}/api/v1/passports/${c}`).then(async (r) => {
        expect(r.status).toBe(200);
        await r.arrayBuffer();
        order.push(`passport-${i}`);
      }),
    );
    const health = fetch(`${s.httpUrl}/healthz`).then(async (r) => {
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      order.push("healthz");
    });
    await Promise.all([...passports, health]);
    expect(order).toHaveLength(9);
    // Not stalled behind all of them: some passport was still running when /healthz answered.
    expect(order.indexOf("healthz")).toBeLessThan(8);
  });

  it("the data directory is 0700 and the database and admin token 0600, tightened again at each start", async () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, "coldtrail.sqlite"))).toBe(0o600);
    expect(mode(join(dir, "coldtrail.sqlite-wal"))).toBe(0o600);
    await s.cleanup();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "coldtrail.sqlite"), 0o644);
    s = await startTestServer({}, dir);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, "coldtrail.sqlite"))).toBe(0o600);
    // A new data directory is created 0700 too.
    const fresh = join(mkdtempSync(join(tmpdir(), "coldtrail-hard-")), "nested", "data");
    const other = await startTestServer({}, fresh);
    expect(mode(fresh)).toBe(0o700);
    expect(mode(join(fresh, "coldtrail.sqlite"))).toBe(0o600);
    await other.cleanup();
    rmSync(dirname(dirname(fresh)), { recursive: true, force: true });
  });

  it("a port already in use stops start-up with one line naming COLDTRAIL_HTTP_PORT and exit 2", async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    const port = (holder.address() as { port: number }).port;
    const data = mkdtempSync(join(tmpdir(), "coldtrail-port-"));
    mkdirSync(data, { recursive: true });
    const child = spawn(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        COLDTRAIL_HTTP_PORT: String(port),
        COLDTRAIL_MQTT_PORT: String(await freePort()),
        COLDTRAIL_DATA_DIR: data,
        COLDTRAIL_ADMIN_TOKEN: ADMIN_TOKEN,
        COLDTRAIL_LOG_LEVEL: "silent",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += String(b);
    });
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    holder.close();
    rmSync(data, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual([
      `coldtrail: port ${port} on 127.0.0.1 is already in use (another coldtrail?); stop it or set COLDTRAIL_HTTP_PORT to a free port`,
    ]);
  }, 60_000);
});
