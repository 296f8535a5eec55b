/**
 * InfluxDB-only behaviour beyond the shared contract: escaping against the real parser, database
 * creation, paging, error classes. Uses the run's influxd (test/global-setup.ts) and, for outages,
 * a second influxd of its own. A loopback HTTP relay in front of influxd stands in for a reverse
 * proxy: it records headers and can answer 5xx/4xx, which influxd itself cannot be made to do.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { type InfluxdHarness, startInfluxd, uniqueDatabaseName } from "../../../test/influxd.js";
import type { Reading } from "../reading.js";
import { createInfluxReadingsStore, InfluxRequestError } from "./influx.js";
import type { ReadingsStore } from "./types.js";
import { StoreUnavailableError } from "./types.js";

const influxUrl = inject("influxUrl");
const T0 = Date.UTC(2026, 4, 3, 14, 0, 0);

function reading(probeId: string, tsMs: number, tempC: number, seq: number | null = null): Reading {
  return { probeId, tsMs, tempC, seq, serverTimed: false };
}

async function influxql(url: string, database: string, q: string): Promise<unknown> {
  const response = await fetch(`${url}/query?db=${encodeURIComponent(database)}&epoch=ms`, {
    method: "POST",
    body: new URLSearchParams({ q }),
  });
  return response.json();
}

async function dropDatabase(url: string, database: string): Promise<void> {
  await influxql(url, database, `DROP DATABASE "${database}"`);
}

/** Rejection of `promise`, or a failure if it resolved. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection, but it resolved");
}

describe.skipIf(influxUrl === "")("influx readings store on a real influxd", () => {
  let database: string;
  let store: ReadingsStore;

  beforeEach(() => {
    database = uniqueDatabaseName("influx");
    store = createInfluxReadingsStore({ url: influxUrl, database });
  });
  afterEach(async () => {
    await store.close();
    await dropDatabase(influxUrl, database);
  });

  it("stores any probe id exactly under that id, or refuses it before sending, without touching other probes", async () => {
    await store.write([reading("victim", T0, -18, 1)]);
    const accepted = new Set<string>(["victim"]);
    let tsMs = T0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
          fc.string({
            unit: fc.constantFrom(" ", ",", "=", "\\", "'", '"', "\n", "\r", "\t", "a", "#", "\u0000"),
            minLength: 1,
          }),
        ),
        async (id) => {
          tsMs += 1;
          const r = reading(id, tsMs, -(tsMs - T0) / 8, tsMs - T0);
          const error = await store.write([r]).then(
            () => null,
            (e: unknown) => e,
          );
          if (error === null) {
            accepted.add(id);
            expect(await store.range(id, tsMs, tsMs + 1)).toEqual([{ tsMs, tempC: r.tempC, seq: r.seq }]);
          } else {
            expect(error).toBeInstanceOf(InfluxRequestError);
            expect((error as InfluxRequestError).status).toBeNull();
            expect(await store.range(id, tsMs, tsMs + 1)).toEqual([]);
          }
        },
      ),
      { numRuns: 150 },
    );
    // Exactly one series per accepted id: no id split into extra tags or extra points.
    const series = (await influxql(influxUrl, database, "SHOW SERIES FROM reading")) as {
      results: { series?: { values: unknown[][] }[] }[];
    };
    expect(series.results[0]?.series?.[0]?.values.length).toBe(accepted.size);
    expect(await store.range("victim", T0 - 1, tsMs + 1)).toEqual([{ tsMs: T0, tempC: -18, seq: 1 }]);
  });

  it("reads any probe id as a literal: no query text from an id, and no other probe's data", async () => {
    await store.write([reading("victim", T0, -18, 1)]);
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 30 }), async (id) => {
        fc.pre(id !== "victim");
        expect(await store.range(id, T0 - 1000, T0 + 1000)).toEqual([]);
        expect(await store.buckets(id, T0 - 1000, T0 + 1000, 1000)).toEqual([]);
        expect(await store.latest(id)).toBeNull();
      }),
      { numRuns: 100 },
    );
  });

  it("writes any finite temperature so that it reads back as the same number", async () => {
    const temps = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { numRuns: 500, seed: 11 });
    const batch = temps.map((t, i) => reading("floats", T0 + i, t === 0 ? 0 : t));
    await store.write(batch);
    const back = await store.range("floats", T0, T0 + temps.length);
    expect(back.map((r) => r.tempC)).toEqual(batch.map((r) => r.tempC));
  });

  it("creates its database on first use, and again if it is dropped meanwhile", async () => {
    const before = JSON.stringify(await influxql(influxUrl, database, "SHOW DATABASES"));
    expect(before).not.toContain(`"${database}"`);
    expect(await store.range("p1", T0, T0 + 1)).toEqual([]);
    expect(JSON.stringify(await influxql(influxUrl, database, "SHOW DATABASES"))).toContain(`"${database}"`);

    await store.write([reading("p1", T0, -18)]);
    await dropDatabase(influxUrl, database);
    await store.write([reading("p1", T0 + 1, -17)]);
    expect(await store.range("p1", T0, T0 + 2)).toEqual([{ tsMs: T0 + 1, tempC: -17, seq: null }]);
  });

  it("reads ranges and buckets larger than a page in several queries, without losing or repeating rows", async () => {
    const paged = createInfluxReadingsStore({ url: influxUrl, database, pageSize: 7 });
    const batch = Array.from({ length: 50 }, (_, i) => reading("p1", T0 + i * 1000, -20 + i / 4, i));
    await store.write(batch);
    expect(await paged.range("p1", T0, T0 + 50_000)).toEqual(await store.range("p1", T0, T0 + 50_000));
    expect(await paged.range("p1", T0, T0 + 50_000)).toHaveLength(50);
    const buckets = await store.buckets("p1", T0 + 500, T0 + 50_000, 2000);
    expect(buckets).toHaveLength(25);
    expect(await paged.buckets("p1", T0 + 500, T0 + 50_000, 2000)).toEqual(buckets);
    await paged.close();
  });

  it("splits a batch larger than one request can carry", async () => {
    const batch = Array.from({ length: 12_001 }, (_, i) => reading("big", T0 + i, -18 - (i % 16) / 16, i));
    await store.write(batch);
    const back = await store.range("big", T0, T0 + 12_001);
    expect(back).toHaveLength(12_001);
    expect(back.at(-1)).toEqual({ tsMs: T0 + 12_000, tempC: -18, seq: 12_000 });
  });

  it("refuses a large batch with one unwritable reading before sending any of it, naming that reading", async () => {
    const batch = Array.from({ length: 6000 }, (_, i) => reading(i === 5500 ? "bad\\id" : "p1", T0 + i, -18));
    const error = await rejectionOf(store.write(batch));
    expect(error).toBeInstanceOf(InfluxRequestError);
    expect(error.message).toContain(
      'refused a batch of 6000: reading 5500: probe id "bad\\\\id" contains a backslash',
    );
    expect(await store.range("p1", T0, T0 + 6000)).toEqual([]);
  });

  it("throws InfluxRequestError, not StoreUnavailableError, when influxd refuses a write (field type conflict)", async () => {
    await store.latest("p1"); // creates the database
    const conflict = await fetch(`${influxUrl}/write?db=${database}&precision=ms`, {
      method: "POST",
      // Field types are fixed per shard (a week of data by default), so conflict within T0's week.
      body: `reading,probe_id=other seq=1.5 ${T0}`,
    });
    expect(conflict.status).toBe(204);
    const error = await rejectionOf(store.write([reading("p1", T0, -18, 7)]));
    expect(error).toBeInstanceOf(InfluxRequestError);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect((error as InfluxRequestError).status).toBe(400);
    expect((error as InfluxRequestError).code).toBe("CT_ERR_INFLUX_REQUEST");
    expect(error.message).toMatch(
      /refused write to database ".+" with 400: partial write: field type conflict/,
    );
  });

  it("refuses to be used after close()", async () => {
    await store.close();
    await expect(store.range("p1", T0, T0 + 1)).rejects.toThrow(/used after close\(\)/);
    await expect(store.write([reading("p1", T0, -18)])).rejects.toThrow(/used after close\(\)/);
  });

  it("refuses a url that is not http(s) or carries a password, and an empty database name", () => {
    expect(() => createInfluxReadingsStore({ url: "127.0.0.1:8086", database: "x" })).toThrow(
      /url must start with http:\/\/ or https:\/\/, got "127.0.0.1:8086"/,
    );
    expect(() => createInfluxReadingsStore({ url: influxUrl, database: "" })).toThrow(
      /database name must not be empty/,
    );
    expect(() =>
      createInfluxReadingsStore({ url: "http://admin:hunter2@127.0.0.1:8086", database: "x" }),
    ).toThrow("InfluxDB url must not contain a user or password; pass the token option instead");
  });
});

describe.skipIf(influxUrl === "")("influx readings store when InfluxDB is away", () => {
  let own: InfluxdHarness;
  beforeAll(async () => {
    own = await startInfluxd();
  });
  afterAll(async () => {
    await own?.dispose();
  });

  it("throws StoreUnavailableError while influxd is stopped or killed, and works again with its data after a start", async () => {
    const store = createInfluxReadingsStore({ url: own.url, database: "outage" });
    await store.write([reading("p1", T0, -18, 1)]);

    await own.stop();
    // Handlers attached at once: a rejection must never sit unobserved.
    const errors = await Promise.all(
      [
        store.write([reading("p1", T0 + 1, -18, 2)]),
        store.range("p1", T0, T0 + 10),
        store.buckets("p1", T0, T0 + 10, 5),
        store.latest("p1"),
      ].map(rejectionOf),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).store).toBe("influx");
      expect(error.message).toContain(`InfluxDB at ${own.url} did not answer`);
      expect(error.message).toContain("ECONNREFUSED");
    }

    await own.start();
    await store.write([reading("p1", T0 + 1, -18, 2)]);
    expect(await store.range("p1", T0, T0 + 10)).toEqual([
      { tsMs: T0, tempC: -18, seq: 1 },
      { tsMs: T0 + 1, tempC: -18, seq: 2 },
    ]);

    // A crash: what influxd acknowledged is in its WAL and survives.
    await own.kill9();
    await expect(store.latest("p1")).rejects.toBeInstanceOf(StoreUnavailableError);
    await own.restart();
    expect(await store.latest("p1")).toEqual({ tsMs: T0 + 1, tempC: -18, seq: 2 });
    await store.close();
  });

  it("throws StoreUnavailableError for a port where nothing listens", async () => {
    const vacant = await listenOnce((_req, res) => {
      res.end();
    });
    const url = `http://127.0.0.1:${(vacant.address() as AddressInfo).port}`;
    await new Promise((resolve) => vacant.close(resolve));
    const store = createInfluxReadingsStore({ url, database: "x" });
    await expect(store.write([reading("p1", T0, -18)])).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

type RelayMode = { kind: "forward" } | { kind: "answer"; status: number; body: string } | { kind: "hang" };

describe.skipIf(influxUrl === "")("influx readings store behind an HTTP relay", () => {
  let relay: Server;
  let relayUrl: string;
  let mode: RelayMode = { kind: "forward" };
  let refuseCreate = false;
  const seen: { path: string; authorization: string | undefined; body: string }[] = [];
  const databases: string[] = [];

  beforeAll(async () => {
    relay = await listenOnce(async (req, res) => {
      const body = await readBody(req);
      seen.push({ path: req.url ?? "", authorization: req.headers.authorization, body });
      if (mode.kind === "hang") return;
      if (mode.kind === "answer") {
        res.writeHead(mode.status, { "content-type": "text/html" }).end(mode.body);
        return;
      }
      if (refuseCreate && body.includes("CREATE")) {
        res
          .writeHead(403, { "content-type": "application/json" })
          .end('{"error":"CREATE DATABASE not allowed"}');
        return;
      }
      const upstream = await fetch(`${influxUrl}${req.url}`, {
        method: req.method ?? "POST",
        headers: { "content-type": req.headers["content-type"] ?? "text/plain" },
        body,
      });
      res.writeHead(upstream.status, {
        "content-type": upstream.headers.get("content-type") ?? "text/plain",
      });
      res.end(await upstream.text());
    });
    relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    mode = { kind: "forward" };
    refuseCreate = false;
    seen.length = 0;
  });
  afterAll(async () => {
    relay.closeAllConnections();
    await new Promise((resolve) => relay.close(resolve));
    for (const db of databases) await dropDatabase(influxUrl, db);
  });

  function storeVia(options: { token?: string; timeoutMs?: number } = {}): ReadingsStore {
    const database = uniqueDatabaseName("relay");
    databases.push(database);
    return createInfluxReadingsStore({ url: `${relayUrl}/`, database, ...options });
  }

  it("sends the token as Authorization: Token …, on every request, and no header without one", async () => {
    const withToken = storeVia({ token: "s3cret-token" });
    await withToken.write([reading("p1", T0, -18)]);
    await withToken.range("p1", T0, T0 + 1);
    expect(seen.map((s) => s.authorization)).toEqual([
      "Token s3cret-token",
      "Token s3cret-token",
      "Token s3cret-token",
    ]);
    expect(seen.map((s) => s.path.split("?")[0])).toEqual(["/query", "/write", "/query"]);
    expect(seen[1]?.path).toMatch(/^\/write\?db=relay_[^&]+&precision=ms$/);

    seen.length = 0;
    await storeVia().latest("p1");
    expect(seen.map((s) => s.authorization)).toEqual([undefined, undefined]);
  });

  it.each([500, 502, 503, 504, 429, 408])("throws StoreUnavailableError for HTTP %i", async (status) => {
    const store = storeVia({ token: "s3cret-token" });
    mode = { kind: "answer", status, body: "<html>upstream trouble</html>" };
    const error = await rejectionOf(store.write([reading("p1", T0, -18)]));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain(`with ${status}: <html>upstream trouble</html>`);
    expect(error.message).not.toContain("s3cret-token");
  });

  it.each([400, 401, 403, 404, 413])(
    "throws InfluxRequestError naming the status for HTTP %i",
    async (status) => {
      const store = storeVia({ token: "s3cret-token" });
      mode = { kind: "answer", status, body: `{"error":"refused for a reason"}` };
      const error = await rejectionOf(store.range("p1", T0, T0 + 1));
      expect(error).toBeInstanceOf(InfluxRequestError);
      expect((error as InfluxRequestError).status).toBe(status);
      expect(error.message).toContain(`with ${status}: refused for a reason`);
      expect(error.message).not.toContain("s3cret-token");
    },
  );

  it("throws InfluxRequestError when a 200 answer to a query is not JSON", async () => {
    const store = storeVia();
    mode = { kind: "answer", status: 200, body: "<html>login page</html>" };
    const error = await rejectionOf(store.latest("p1"));
    expect(error).toBeInstanceOf(InfluxRequestError);
    expect(error.message).toContain("something not JSON: <html>login page</html>");
  });

  it("throws StoreUnavailableError when no answer comes in time", async () => {
    const store = storeVia({ timeoutMs: 200 });
    mode = { kind: "hang" };
    const error = await rejectionOf(store.write([reading("p1", T0, -18)]));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain("timeout");
  });

  it("writes without CREATE DATABASE where the database exists, and explains a missing one when creation was refused", async () => {
    refuseCreate = true;
    const store = storeVia();
    const error = await rejectionOf(store.write([reading("p1", T0, -18)]));
    expect(error).toBeInstanceOf(InfluxRequestError);
    expect(error.message).toMatch(
      /does not exist and could not be created \(.*403: CREATE DATABASE not allowed\)/,
    );

    const existing = uniqueDatabaseName("relay");
    databases.push(existing);
    await influxql(influxUrl, existing, `CREATE DATABASE "${existing}"`);
    const onExisting = createInfluxReadingsStore({ url: relayUrl, database: existing });
    await onExisting.write([reading("p1", T0, -18)]);
    expect(await onExisting.latest("p1")).toEqual({ tsMs: T0, tempC: -18, seq: null });
  });
});

function listenOnce(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      void handler(req, res);
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
