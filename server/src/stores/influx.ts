/**
 * Readings in InfluxDB through the v1-compatible HTTP API (DESIGN.md "Storage"): line protocol
 * to `/write?precision=ms`, InfluxQL to `/query?epoch=ms`. InfluxDB 1.x serves it natively,
 * 2.x and 3.x as their v1 compatibility API. Node's built-in fetch, no client library: see
 * README.md "Why fetch and not the influx package" for the measurement.
 *
 * Schema: measurement `reading`, tag `probe_id`, fields `temp_c` (float) and `seq` (integer,
 * omitted when null), timestamp = the reading's time. A point's identity in InfluxDB is
 * (measurement, tag set, time), so a re-written reading replaces the stored one: idempotent.
 */
import { quoteIdentifier, quoteString } from "./influxql.js";
import { encodeReadingLines } from "./line-protocol.js";
import { assertBucketWidth, assertTimeRange, assertWholeMs, BUCKET_TEMP_RANGE_C } from "./query-bounds.js";
import type { ReadingBucket, ReadingsStore, StoredReading } from "./types.js";
import { StoreUnavailableError } from "./types.js";

export interface InfluxStoreOptions {
  /** Base URL, e.g. `http://127.0.0.1:8086` (a path prefix behind a proxy is kept). */
  url: string;
  database: string;
  /** Sent as `Authorization: Token …` (InfluxDB 2/3 v1 compatibility; 1.8+ also reads `user:password`). */
  token?: string;
  /** For a proxy-aware or instrumented fetch; default the global one. */
  fetch?: typeof fetch;
  /** Per request; a request that takes longer counts as InfluxDB unavailable. Default 30 s. */
  timeoutMs?: number;
  /** Rows per query page; a range larger than this is read in several queries. Default 10 000. */
  pageSize?: number;
}

/**
 * InfluxDB understood the request and refused it (HTTP 4xx, a statement error, or a reading the
 * line protocol cannot carry). Retrying the same request cannot succeed: not a StoreUnavailableError.
 */
export class InfluxRequestError extends Error {
  override readonly name = "InfluxRequestError";
  readonly code = "CT_ERR_INFLUX_REQUEST";
  constructor(
    message: string,
    /** The HTTP status, or null when refused before sending. */
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface InfluxSeries {
  columns: string[];
  values?: unknown[][];
  partial?: boolean;
}

interface InfluxQueryResponse {
  error?: string;
  results?: { error?: string; series?: InfluxSeries[] }[];
}

/** The v1 API's body limit is 25 MB (influxd 1.6 `max-body-size`); a few thousand lines stay far below. */
const MAX_LINES_PER_REQUEST = 5000;

export function createInfluxReadingsStore(options: InfluxStoreOptions): ReadingsStore {
  const base = options.url.replace(/\/+$/, "");
  const { database } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pageSize = options.pageSize ?? 10_000;
  if (!/^https?:\/\//.test(base)) {
    throw new RangeError(
      `InfluxDB url must start with http:// or https://, got ${JSON.stringify(options.url)}`,
    );
  }
  // fetch refuses URLs with credentials, and messages quote the URL: the token option carries secrets.
  if (/^https?:\/\/[^/]*@/.test(base)) {
    throw new RangeError("InfluxDB url must not contain a user or password; pass the token option instead");
  }
  if (database === "") throw new RangeError("InfluxDB database name must not be empty");
  const databaseIdentifier = quoteIdentifier(database);
  if (!databaseIdentifier.ok) throw new RangeError(`InfluxDB database name: ${databaseIdentifier.reason}`);
  const createDatabase = `CREATE DATABASE ${databaseIdentifier.text}`;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
  }
  const writeUrl = `${base}/write?db=${encodeURIComponent(database)}&precision=ms`;
  const queryUrl = `${base}/query?db=${encodeURIComponent(database)}&epoch=ms`;
  const authorization =
    options.token === undefined || options.token === "" ? undefined : `Token ${options.token}`;

  async function post(what: string, url: string, contentType: string, body: string): Promise<string> {
    const headers: Record<string, string> = { "content-type": contentType };
    if (authorization !== undefined) headers.authorization = authorization;
    let status: number;
    let text: string;
    try {
      const response = await doFetch(url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new StoreUnavailableError(
        "influx",
        `InfluxDB at ${base} did not answer ${what}: ${describeFailure(error)}`,
        {
          cause: error,
        },
      );
    }
    // 408 and 429 say "later", like a 5xx: the forwarder's retry is the right answer.
    if (status >= 500 || status === 408 || status === 429) {
      throw new StoreUnavailableError(
        "influx",
        `InfluxDB at ${base} answered ${what} with ${status}: ${errorText(text)}`,
      );
    }
    if (status >= 400) {
      throw new InfluxRequestError(
        `InfluxDB at ${base} refused ${what} with ${status}: ${errorText(text)}`,
        status,
      );
    }
    return text;
  }

  async function query(statement: string): Promise<InfluxSeries[]> {
    const what = `query ${JSON.stringify(statement.slice(0, 120))} on database ${JSON.stringify(database)}`;
    const text = await post(
      what,
      queryUrl,
      "application/x-www-form-urlencoded",
      new URLSearchParams({ q: statement }).toString(),
    );
    let parsed: InfluxQueryResponse;
    try {
      parsed = JSON.parse(text) as InfluxQueryResponse;
    } catch (error) {
      throw new InfluxRequestError(
        `InfluxDB at ${base} answered ${what} with something not JSON: ${text.slice(0, 200)}`,
        200,
        {
          cause: error,
        },
      );
    }
    // InfluxQL reports statement errors (a missing database, a bad query) inside a 200 answer.
    const failure = parsed.error ?? parsed.results?.[0]?.error;
    if (failure !== undefined)
      throw new InfluxRequestError(`InfluxDB at ${base} refused ${what}: ${failure}`, 200);
    return parsed.results?.[0]?.series ?? [];
  }

  let closed = false;

  // Created on first use. InfluxDB 2.x/3.x may refuse CREATE DATABASE (buckets are made there by
  // other means); that is not fatal, but it explains a later "database not found".
  let databaseReady: Promise<void> | null = null;
  let createRefusal: string | null = null;
  function ensureDatabase(): Promise<void> {
    databaseReady ??= query(createDatabase).then(
      () => {
        createRefusal = null;
      },
      (error: unknown) => {
        if (error instanceof InfluxRequestError) {
          createRefusal = error.message;
          return;
        }
        databaseReady = null;
        throw error;
      },
    );
    return databaseReady;
  }

  /** Runs `operation` with the database in place; once more if it vanished meanwhile (dropped, data dir wiped). */
  async function withDatabase<T>(operation: () => Promise<T>): Promise<T> {
    if (closed) throw new Error(`influx readings store (${database}): used after close()`);
    await ensureDatabase();
    try {
      return await operation();
    } catch (error) {
      if (!isDatabaseNotFound(error)) throw error;
      databaseReady = null;
      await ensureDatabase();
      try {
        return await operation();
      } catch (again) {
        if (isDatabaseNotFound(again) && createRefusal !== null) {
          throw new InfluxRequestError(
            `InfluxDB database ${JSON.stringify(database)} does not exist and could not be created (${createRefusal}); create it, or on InfluxDB 2 a bucket with a DBRP mapping of that name`,
            (again as InfluxRequestError).status,
            { cause: again },
          );
        }
        throw again;
      }
    }
  }

  async function selectReadings(
    statementFor: (lowerBound: string) => string,
    firstLowerBound: string,
  ): Promise<StoredReading[]> {
    const out: StoredReading[] = [];
    let lowerBound = firstLowerBound;
    for (;;) {
      const series = await query(statementFor(lowerBound));
      let rows = 0;
      let partial = false;
      for (const s of series) {
        const time = s.columns.indexOf("time");
        const temp = s.columns.indexOf("temp_c");
        const seq = s.columns.indexOf("seq");
        partial ||= s.partial === true;
        for (const v of s.values ?? []) {
          rows += 1;
          out.push({
            tsMs: v[time] as number,
            tempC: v[temp] as number,
            seq: (v[seq] ?? null) as number | null,
          });
        }
      }
      const last = out.at(-1);
      // A full page, or a server-side row limit (max-row-limit) cut it short: read on after the last row.
      if (last === undefined || rows === 0 || (rows < pageSize && !partial)) return out;
      lowerBound = `time > ${last.tsMs}ms`;
    }
  }

  return {
    name: "influx",
    async write(batch) {
      if (batch.length === 0) return;
      const encoded = encodeReadingLines(batch);
      if (!encoded.ok) {
        throw new InfluxRequestError(
          `influx readings store refused a batch of ${batch.length}: ${encoded.reason}`,
          null,
        );
      }
      const bodies: string[] = [];
      for (let i = 0; i < encoded.lines.length; i += MAX_LINES_PER_REQUEST) {
        bodies.push(encoded.lines.slice(i, i + MAX_LINES_PER_REQUEST).join("\n"));
      }
      for (const body of bodies) {
        await withDatabase(() =>
          post(`write to database ${JSON.stringify(database)}`, writeUrl, "text/plain; charset=utf-8", body),
        );
      }
    },
    async range(probeId, fromMs, toMs) {
      assertTimeRange(fromMs, toMs);
      const probe = quoteString(probeId);
      // An id InfluxQL cannot quote was never writable either (line-protocol.ts): nothing stored.
      if (fromMs >= toMs || !probe.ok) return [];
      return withDatabase(() =>
        selectReadings(
          (lower) =>
            `SELECT temp_c, seq FROM reading WHERE probe_id = ${probe.text} AND ${lower} AND time < ${toMs}ms ORDER BY time ASC LIMIT ${pageSize}`,
          `time >= ${fromMs}ms`,
        ),
      );
    },
    async buckets(probeId, fromMs, toMs, everyMs) {
      assertTimeRange(fromMs, toMs);
      assertBucketWidth(everyMs);
      const probe = quoteString(probeId);
      if (fromMs >= toMs || !probe.ok) return [];
      return withDatabase(async () => {
        const out: ReadingBucket[] = [];
        let lowerMs = fromMs;
        // GROUP BY time() starts buckets at multiples of the interval since the epoch, like the contract.
        for (;;) {
          const series = await query(
            `SELECT min(temp_c), mean(temp_c), max(temp_c), count(temp_c) FROM reading WHERE probe_id = ${probe.text} AND time >= ${lowerMs}ms AND time < ${toMs}ms AND temp_c >= ${BUCKET_TEMP_RANGE_C.min} AND temp_c <= ${BUCKET_TEMP_RANGE_C.max} GROUP BY time(${everyMs}ms) fill(none) LIMIT ${pageSize}`,
          );
          let rows = 0;
          let partial = false;
          for (const s of series) {
            const [time, min, mean, max, count] = ["time", "min", "mean", "max", "count"].map((c) =>
              s.columns.indexOf(c),
            );
            partial ||= s.partial === true;
            for (const v of s.values ?? []) {
              rows += 1;
              out.push({
                startMs: v[time as number] as number,
                minC: v[min as number] as number,
                meanC: v[mean as number] as number,
                maxC: v[max as number] as number,
                count: v[count as number] as number,
              });
            }
          }
          const last = out.at(-1);
          if (last === undefined || rows === 0 || (rows < pageSize && !partial)) return out;
          lowerMs = last.startMs + everyMs;
          if (lowerMs >= toMs) return out;
        }
      });
    },
    async count(probeId, fromMs, toMs) {
      assertTimeRange(fromMs, toMs);
      const probe = quoteString(probeId);
      if (fromMs >= toMs || !probe.ok) return 0;
      const found = await withDatabase(() =>
        query(
          `SELECT count(temp_c) FROM reading WHERE probe_id = ${probe.text} AND time >= ${fromMs}ms AND time < ${toMs}ms`,
        ),
      );
      const n = found[0]?.values?.[0]?.[1];
      return typeof n === "number" ? n : 0;
    },
    async latest(probeId, beforeMs) {
      if (beforeMs !== undefined) assertWholeMs("beforeMs", beforeMs);
      const probe = quoteString(probeId);
      if (!probe.ok) return null;
      const upper = beforeMs === undefined ? "" : ` AND time <= ${beforeMs}ms`;
      const found = await withDatabase(() =>
        query(
          `SELECT temp_c, seq FROM reading WHERE probe_id = ${probe.text}${upper} ORDER BY time DESC LIMIT 1`,
        ),
      );
      const s = found[0];
      const v = s?.values?.[0];
      if (s === undefined || v === undefined) return null;
      return {
        tsMs: v[s.columns.indexOf("time")] as number,
        tempC: v[s.columns.indexOf("temp_c")] as number,
        seq: (v[s.columns.indexOf("seq")] ?? null) as number | null,
      };
    },
    async close() {
      closed = true;
    },
  };
}

/** 1.x answers a missing database with 404 on /write and a statement error on /query. */
function isDatabaseNotFound(error: unknown): boolean {
  return error instanceof InfluxRequestError && /database not found/i.test(error.message);
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const message = parsed.error ?? parsed.message;
    if (typeof message === "string") return message;
  } catch {
    // not JSON: a proxy's page or plain text
  }
  return body.slice(0, 200) || "(empty body)";
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return "no answer in time (timeout)";
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    if (cause !== undefined && typeof cause.code === "string") return `${error.message} (${cause.code})`;
    if (cause !== undefined && typeof cause.message === "string")
      return `${error.message} (${cause.message})`;
    return error.message;
  }
  return String(error);
}
