import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { createApi } from "./app.js";
import { createTestApi, TEST_TOKEN, type TestApi } from "./test-api.js";

/** One raw HTTP/1.1 request over a socket (for request lines fetch will not send); status and body. */
function rawRequest(
  port: number,
  requestLine: string,
  headers: string[] = [],
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.setEncoding("utf8");
    socket.on("connect", () =>
      socket.write(
        `${requestLine}\r\nHost: 127.0.0.1:${port}\r\n${headers.map((h) => `${h}\r\n`).join("")}Connection: close\r\n\r\n`,
      ),
    );
    socket.on("data", (d) => {
      data += d;
    });
    socket.on("error", reject);
    socket.on("end", () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0, text: data });
    });
  });
}

/** Paths that name GET /api/v1/units, or try to, however they are spelled. */
const SPELLINGS = [
  "/api/v1/units",
  "/%61pi/v1/units",
  "/api/v1/%75nits",
  "//api/v1/units",
  "/api/v1/units/",
  "/API/v1/units",
  "/api/v1//units",
  `/api/v1/units?token=${TEST_TOKEN}`,
  "/api/v1/units/%2e%2e/units",
  "/./api/v1/units",
];

for (const dashboard of [false, true]) {
  describe(`authentication from route configuration (${dashboard ? "with" : "without"} the dashboard)`, () => {
    let t: TestApi;
    let port: number;
    beforeAll(async () => {
      t = await createTestApi({ dashboard });
      await t.app.listen({ port: 0, host: "127.0.0.1" });
      const addr = t.app.server.address();
      port = typeof addr === "object" && addr ? addr.port : 0;
    });
    afterAll(async () => t?.close());

    it("every documented route that is not public answers 401 without a token, and 401 with a wrong one", async () => {
      const doc = (await t.app.inject({ method: "GET", url: "/api/openapi.json" })).json() as {
        paths: Record<string, Record<string, { security?: unknown[] }>>;
      };
      const checked: string[] = [];
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const url = path.replace(/\{[^}]+\}/g, "x1234567890");
          const isPublic = Array.isArray(op.security) && op.security.length === 0;
          if (isPublic) continue;
          for (const authorization of [undefined, "Bearer wrong-token", "Basic abc", TEST_TOKEN]) {
            const res = await t.app.inject({
              method: method.toUpperCase() as "GET",
              url,
              headers: authorization ? { authorization } : {},
              ...(method !== "get" && method !== "delete" && { payload: {} }),
            });
            expect([method, url, authorization, res.statusCode]).toEqual([method, url, authorization, 401]);
            expect(res.json().error.code).toBe("CT_ERR_UNAUTHORIZED");
          }
          checked.push(`${method.toUpperCase()} ${path}`);
        }
      }
      // The document lists every module's routes (a route missing from it would go unchecked here).
      expect(checked).toEqual(
        expect.arrayContaining([
          "GET /api/v1/units",
          "POST /api/v1/units",
          "PATCH /api/v1/units/{id}",
          "GET /api/v1/units/{id}/readings",
          "POST /api/v1/probes",
          "POST /api/v1/probes/{id}/secret",
          "PUT /api/v1/probes/{id}/unit",
          "GET /api/v1/probes/{id}/readings",
          "POST /api/v1/batches",
          "POST /api/v1/batches/{id}/moves",
          "GET /api/v1/batches/{id}/audit",
          "GET /api/v1/deadletters",
          "GET /api/v1/alerts",
          "GET /api/v1/alerts/stream",
          "POST /api/v1/alerts/{id}/ack",
          "POST /api/v1/channels",
          "DELETE /api/v1/channels/{id}",
        ]),
      );
    });

    it("however the path is spelled, no token means no handler (401 or 404, never 200 or 500)", async () => {
      for (const url of SPELLINGS) {
        const res = await t.app.inject({ method: "GET", url });
        expect([url, res.statusCode]).toEqual([url, expect.toSatisfy((s: number) => s === 401 || s === 404)]);
        expect(res.json().error.code).toMatch(/^CT_ERR_(UNAUTHORIZED|NOT_FOUND)$/);
        // Over a real socket too: the server sees the path exactly as sent.
        const raw = await rawRequest(port, `GET ${url} HTTP/1.1`);
        expect([url, raw.status]).toEqual([url, expect.toSatisfy((s: number) => s === 401 || s === 404)]);
      }
      // The spellings the router takes for /api/v1/units reach it only with the token.
      for (const url of ["/%61pi/v1/units", "/api/v1/%75nits", "/api/v1/units/"]) {
        expect([url, (await t.app.inject({ method: "GET", url })).statusCode]).toEqual([url, 401]);
        expect([url, (await t.api("GET", url)).status]).toEqual([url, 200]);
      }
    });

    it("an absolute-form request line is routed, and authenticated, like its path", async () => {
      for (const target of [
        `http://127.0.0.1:${port}/api/v1/units`,
        `http://evil.example/api/v1/units`,
        `http://127.0.0.1:${port}/%61pi/v1/units`,
        `http://127.0.0.1:${port}/api/v1/alerts/stream`,
      ]) {
        const none = await rawRequest(port, `GET ${target} HTTP/1.1`);
        expect([target, none.status]).toEqual([target, 401]);
        expect(none.text).toContain("CT_ERR_UNAUTHORIZED");
      }
      const withToken = await rawRequest(port, `GET http://127.0.0.1:${port}/api/v1/units HTTP/1.1`, [
        `Authorization: Bearer ${TEST_TOKEN}`,
      ]);
      expect(withToken.status).toBe(200);
      expect(withToken.text).toContain('{"units":[]}');
    });

    it("?token= opens the alert stream only, and only with the right token", async () => {
      expect((await t.app.inject({ method: "GET", url: "/api/v1/alerts/stream" })).statusCode).toBe(401);
      expect(
        (await t.app.inject({ method: "GET", url: "/api/v1/alerts/stream?token=wrong" })).statusCode,
      ).toBe(401);
      expect(
        (await t.app.inject({ method: "GET", url: `/api/v1/alerts?token=${TEST_TOKEN}` })).statusCode,
      ).toBe(401);
      expect(
        (await t.app.inject({ method: "GET", url: `/api/v1/units?token=${TEST_TOKEN}` })).statusCode,
      ).toBe(401);
      const abort = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/alerts/stream?token=${TEST_TOKEN}`, {
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      abort.abort();
      await res.body?.cancel().catch(() => undefined);
    });

    it("public routes answer without a token: passports, health, metrics, the OpenAPI document", async () => {
      for (const url of ["/healthz", "/api/v1/healthz", "/metrics", "/api/v1/metrics", "/api/openapi.json"]) {
        expect([url, (await t.app.inject({ method: "GET", url })).statusCode]).toEqual([url, 200]);
      }
      const passport = await t.app.inject({ method: "GET", url: "/api/v1/passports/ABCDEFGH1234" });
      expect([passport.statusCode, passport.json().error.code]).toEqual([404, "CT_ERR_NOT_FOUND"]);
    });

    if (dashboard) {
      it("the dashboard's files and deep links are public; /api paths under its catch-all are 404", async () => {
        for (const url of ["/", "/units/u_1", "/p/ABCDEFGH1234", "/main.js"]) {
          expect([url, (await t.app.inject({ method: "GET", url })).statusCode]).toEqual([url, 200]);
        }
        for (const url of [
          "/api/v1/nothing",
          "/API/v1/nothing",
          "//api/v1/nothing",
          "/%61pi/v1/nothing",
          "/./api/v1/nothing",
          "/x/%2e%2e/api/v1/nothing",
        ]) {
          const res = await t.app.inject({ method: "GET", url });
          expect([url, res.statusCode, res.json().error.code]).toEqual([url, 404, "CT_ERR_NOT_FOUND"]);
        }
      });
    }
  });
}

describe("route configuration", () => {
  it("a route declaring an unknown auth mode stops start-up", async () => {
    const app = await createApi({ log: createLogger("silent"), adminToken: TEST_TOKEN });
    const start = async () => {
      await app.register(async (a) => {
        a.get("/api/v1/oops", { config: { auth: "anyone" as "public" } }, async () => "hi");
      });
      await app.ready();
    };
    await expect(start()).rejects.toThrow(
      /declares config.auth "anyone"; use one of token, token-or-query, public/,
    );
    await app.close();
  });
});
