/**
 * Issue #14: the hostile-input corpus (test/hostile/*.ts) against one real server process (SQLite,
 * embedded aedes) over real sockets. Every case must be refused cleanly (HTTP 4xx with an error
 * body naming the problem; MQTT a dead letter counted in /metrics, a CONNACK refusal, a SUBACK
 * failure or a closed connection) or, for free text, kept verbatim. Between batches of cases the
 * process must be alive with /healthz 200 and a well-behaved probe publishes one reading; at the end
 * every one of those readings is stored. No answer may carry a secret, a stack trace or a path.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpCase, httpCorpus } from "../../test/hostile/http-corpus.js";
import { connectPacket, type MqttCase, mqttCorpus, type PublishCtx } from "../../test/hostile/mqtt-corpus.js";
import { ADMIN_TOKEN, connectProbe, waitFor } from "./harness.js";
import { type ServerProcess, serverProcess } from "./server-process.js";

const BATCH = 25;
const UNIT_NAME = "admin-tenant freezer 7f3a";
const DONOR_REF = "donor-ref-secret-91c2";
const DONOR_PASSWORD = "a donor's long password 4711";

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

interface Fixture {
  unitId: string;
  probeId: string;
  batchId: string;
  code: string;
  accountId: string;
  siteId: string;
  good: { id: string; secret: string };
  hostile: { id: string; secret: string };
  donorToken: string;
}

describe("hostile-input corpus against a live server (issue #14)", () => {
  let dir: string;
  let srv: ServerProcess;
  let fx: Fixture;
  let goodClient: MqttClient;
  const secrets: string[] = [ADMIN_TOKEN, DONOR_PASSWORD];
  const goodTs: number[] = [];
  let goodSeq = 0;
  let replayTs: number | null = null;

  /** One HTTP request, exactly as given (path not normalised, body not re-encoded). */
  function send(
    method: string,
    path: string,
    opts: {
      raw?: string;
      json?: unknown;
      contentType?: string;
      auth?: string | null;
      cookie?: string;
      csrf?: string;
    } = {},
  ): Promise<Answer & { headers: Record<string, string | string[] | undefined> }> {
    const url = new URL(srv.httpUrl);
    const body = opts.raw ?? (opts.json === undefined ? undefined : JSON.stringify(opts.json));
    const headers: Record<string, string> = {};
    if (opts.auth !== null) headers.authorization = `Bearer ${opts.auth ?? ADMIN_TOKEN}`;
    if (opts.cookie) headers.cookie = opts.cookie;
    if (opts.csrf) headers["x-csrf-token"] = opts.csrf;
    if (body !== undefined) {
      if (opts.contentType !== "") headers["content-type"] = opts.contentType ?? "application/json";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = request(
        { host: url.hostname, port: url.port, method, path, headers, agent: false },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers });
          });
          res.on("error", reject);
        },
      );
      // A server refusing a large body may close before reading it all: only an error with no
      // answer at all is a failure.
      req.on("error", (err) => {
        if (!answered) setTimeout(() => (answered ? undefined : reject(err)), 200);
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  const fill = (s: string): string =>
    s
      .replaceAll("{unitId}", fx.unitId)
      .replaceAll("{probeId}", fx.probeId)
      .replaceAll("{batchId}", fx.batchId)
      .replaceAll("{accountId}", fx.accountId)
      .replaceAll("{siteId}", fx.siteId)
      .replaceAll("{code}", fx.code)
      .replaceAll("{yesterday}", new Date(Date.now() - 86_400_000).toISOString());
  const fillDeep = (v: unknown): unknown => {
    if (typeof v === "string") return fill(v);
    if (Array.isArray(v)) return v.map(fillDeep);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillDeep(x)]));
    return v;
  };

  /** What must never be in an answer: secrets, stack frames, paths of the machine. */
  function leaks(text: string): string | null {
    for (const s of secrets) if (s && text.includes(s)) return `a secret (${s.slice(0, 4)}…)`;
    if (/\n\s+at \S+ \(?\S+:\d+:\d+\)?/.test(text)) return "a stack trace";
    for (const p of ["/work/", "node_modules", dir, "/tmp/"]) if (text.includes(p)) return `a path (${p})`;
    return null;
  }

  function checkRefused(a: Answer, e: { status?: number; code?: string; mentions?: string }): string | null {
    if (a.status === 429) return "429: the corpus hit a rate limit (spread it out)";
    if (a.status < 400 || a.status > 499) return `status ${a.status}, wanted 4xx`;
    if (e.status !== undefined && a.status !== e.status) return `status ${a.status}, wanted ${e.status}`;
    const err = (a.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (!err || typeof err.code !== "string" || typeof err.message !== "string")
      return `no {"error":{code,message}} body: ${a.text.slice(0, 200)}`;
    if (!err.code.startsWith("CT_ERR_")) return `error code ${err.code} is not a CT_ERR_ code`;
    if (e.code && err.code !== e.code) return `code ${err.code}, wanted ${e.code}`;
    if (err.message.trim().length < 10) return `message too short to say what was wrong: "${err.message}"`;
    if (e.mentions && !err.message.includes(e.mentions))
      return `message does not name ${e.mentions}: "${err.message.slice(0, 200)}"`;
    return null;
  }

  function pick(v: unknown, field: string, id: string): unknown {
    let cur = v;
    for (const part of field.split(".")) {
      const m = /^(\w+)\[id=\{id\}\]$/.exec(part);
      if (m) {
        const list = (cur as Record<string, { id: string }[]> | undefined)?.[m[1] as string];
        cur = list?.find((x) => x.id === id);
      } else cur = (cur as Record<string, unknown> | undefined)?.[part];
    }
    return cur;
  }

  async function checkpoint(): Promise<string | null> {
    const pid = srv.pid;
    if (pid === undefined) return "the server process is gone";
    try {
      process.kill(pid, 0);
    } catch {
      return `server pid ${pid} is not alive`;
    }
    const h = await send("GET", "/healthz", { auth: null });
    if (h.status !== 200) return `/healthz answered ${h.status}: ${h.text.slice(0, 200)}`;
    // Good traffic between batches: one valid QoS 1 reading, acknowledged once journalled.
    const ts = Math.max(Date.now(), (goodTs.at(-1) ?? 0) + 1);
    goodSeq += 1;
    await goodClient.publishAsync(
      `coldtrail/v1/probes/${fx.good.id}/readings`,
      JSON.stringify({ readings: [{ ts, temp_c: -19.5, seq: goodSeq }] }),
      { qos: 1 },
    );
    goodTs.push(ts);
    return null;
  }

  async function metrics(): Promise<Map<string, number>> {
    const text = (await send("GET", "/metrics", { auth: null })).text;
    const m = new Map<string, number>();
    for (const line of text.split("\n")) {
      if (!line || line.startsWith("#")) continue;
      const i = line.lastIndexOf(" ");
      m.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
    return m;
  }
  interface Letter {
    id: number | string;
    reason: string;
    message: string;
  }
  const letters = async (): Promise<Letter[]> =>
    ((await send("GET", "/api/v1/deadletters?limit=20")).json as { deadletters: Letter[] }).deadletters;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "coldtrail-hostile-"));
    srv = await serverProcess({ COLDTRAIL_DATA_DIR: dir, COLDTRAIL_LOG_LEVEL: "error" });
    const ok = async (method: string, path: string, json: unknown, extra = {}) => {
      const a = await send(method, path, { json, ...extra });
      if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${a.text}`);
      return a;
    };
    const unit = (await ok("POST", "/api/v1/units", { name: UNIT_NAME, kind: "freezer" })).json as {
      id: string;
    };
    const probe = async (id: string) =>
      (await ok("POST", "/api/v1/probes", { id, unitId: unit.id })).json as { id: string; secret: string };
    const good = await probe("corpus-good-probe");
    const hostile = await probe("corpus-hostile-probe");
    const target = await probe("corpus-target-probe");
    const batch = (
      await ok("POST", "/api/v1/batches", {
        unitId: unit.id,
        expressedAt: new Date(Date.now() - 86_400_000).toISOString(),
        donorRef: DONOR_REF,
      })
    ).json as { id: string; code: string };
    // A donor of her own (another tenant): invited, password set, signed in, a personal token.
    const site = (await ok("POST", "/api/v1/sites", { name: "corpus household" })).json as { id: string };
    const invited = (
      await ok("POST", "/api/v1/accounts", {
        email: "donor@corpus.example",
        name: "Corpus Donor",
        role: "donor",
        siteId: site.id,
      })
    ).json as { id: string; inviteToken: string };
    await ok(
      "POST",
      `/api/v1/invitations/${invited.inviteToken}/accept`,
      { password: DONOR_PASSWORD },
      { auth: null },
    );
    const signIn = await ok(
      "POST",
      "/api/v1/sessions",
      { email: "donor@corpus.example", password: DONOR_PASSWORD },
      { auth: null },
    );
    const cookie = String(signIn.headers["set-cookie"]).split(";")[0] as string;
    const csrf = (signIn.json as { csrfToken: string }).csrfToken;
    const donorToken = (
      (await ok("POST", "/api/v1/tokens", { name: "corpus" }, { auth: null, cookie, csrf })).json as {
        token: string;
      }
    ).token;
    fx = {
      unitId: unit.id,
      probeId: target.id,
      batchId: batch.id,
      code: batch.code,
      accountId: invited.id,
      siteId: site.id,
      good,
      hostile,
      donorToken,
    };
    secrets.push(good.secret, hostile.secret, target.secret, donorToken, invited.inviteToken, csrf);
    goodClient = await connectProbe(srv.mqttUrl, good.id, good.secret);
  }, 60_000);

  afterAll(async () => {
    await goodClient?.endAsync();
    await srv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("HTTP: every hostile request is refused with a clear 4xx, or its text kept verbatim", async () => {
    const corpus = httpCorpus();
    const failures: string[] = [];
    let asExpected = 0;
    let refusedOk = 0;
    for (const [i, c] of corpus.entries()) {
      const why = await runHttp(c);
      if (why) failures.push(`${c.name}: ${why}`);
      else if ("refused" in c.expect) refusedOk += 1;
      else asExpected += 1;
      if ((i + 1) % BATCH === 0 || i === corpus.length - 1) {
        const down = await checkpoint();
        if (down) failures.push(`after case ${i + 1} (${c.name}): ${down}`);
        expect(down, `server down after HTTP case ${i + 1}`).toBeNull();
      }
    }
    console.log(
      `HTTP corpus: ${corpus.length} cases, ${refusedOk} refused as expected, ${asExpected} kept verbatim or answered as expected, ${failures.length} failures`,
    );
    for (const f of failures) console.log(`  FAIL ${f}`);
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    expect(failures).toEqual([]);
  }, 240_000);

  async function runHttp(c: HttpCase): Promise<string | null> {
    const auth = c.auth === "none" ? null : c.auth === "garbage" ? "ct_not-a-real-token-0000" : ADMIN_TOKEN;
    const body =
      c.raw !== undefined ? { raw: c.raw } : c.body === undefined ? {} : { json: fillDeep(c.body) };
    const a = await send(c.method, fill(c.path), {
      ...body,
      auth,
      ...(c.contentType !== undefined && { contentType: c.contentType }),
    });
    const leak = leaks(a.text);
    if (leak) return `answer carries ${leak}`;
    if (a.status >= 500) return `status ${a.status}: ${a.text.slice(0, 200)}`;
    const e = c.expect;
    if ("refused" in e) return checkRefused(a, e);
    if ("status" in e) return a.status === e.status ? null : `status ${a.status}, wanted ${e.status}`;
    if ("emptyList" in e) {
      if (a.status !== 200)
        return `status ${a.status}, wanted 200 with an empty list: ${a.text.slice(0, 200)}`;
      const list = (a.json as Record<string, unknown[]>)[e.emptyList];
      return Array.isArray(list) && list.length === 0
        ? null
        : `matched ${JSON.stringify(list).slice(0, 200)}`;
    }
    if (a.status < 200 || a.status > 299)
      return `status ${a.status}, wanted it stored: ${a.text.slice(0, 300)}`;
    const id = String((a.json as { id?: unknown }).id ?? "");
    const back = await send("GET", fill(e.stored.readBack.replaceAll("{id}", id)));
    const got = pick(back.json, e.stored.field, id);
    const want = e.stored.value.trim();
    return got === want ? null : `read back ${JSON.stringify(got)}, sent ${JSON.stringify(want)}`;
  }

  it("MQTT: malformed packets and payloads are refused, dead-lettered and counted", async () => {
    const corpus = mqttCorpus();
    const failures: string[] = [];
    let asExpected = 0;
    let refusedOk = 0;
    for (const [i, c] of corpus.entries()) {
      const why = await runMqtt(c);
      if (why) failures.push(`${c.name}: ${why}`);
      else if (c.kind === "packet" || "refused" in c.expect) refusedOk += 1;
      else asExpected += 1;
      if ((i + 1) % BATCH === 0 || i === corpus.length - 1) {
        const down = await checkpoint();
        if (down) failures.push(`after case ${i + 1} (${c.name}): ${down}`);
        expect(down, `server down after MQTT case ${i + 1}`).toBeNull();
      }
    }
    console.log(
      `MQTT corpus: ${corpus.length} cases, ${refusedOk} refused as expected, ${asExpected} stored as faults, ignored or de-duplicated as expected, ${failures.length} failures`,
    );
    for (const f of failures) console.log(`  FAIL ${f}`);
    expect(failures).toEqual([]);
  }, 240_000);

  async function runMqtt(c: MqttCase): Promise<string | null> {
    const ctx: PublishCtx = {
      self: fx.hostile.id,
      secret: fx.hostile.secret,
      other: fx.probeId,
      now: Date.now(),
      unitId: fx.unitId,
    };
    if (c.kind === "packet") return runPacket(c.bytes(ctx), c.afterConnect, c.expect);
    const before = await metrics();
    const seen = new Set((await letters()).map((l) => String(l.id)));
    const client = await connectProbe(srv.mqttUrl, fx.hostile.id, fx.hostile.secret);
    const closed = new Promise<"closed">((resolve) => client.once("close", () => resolve("closed")));
    try {
      const topic = c.topic(ctx);
      const payload = c.payload(ctx);
      const times = "replay" in c.expect ? 3 : 1;
      let outcome: "acked" | "closed" = "acked";
      for (let n = 0; n < times && outcome === "acked"; n++) {
        outcome = await Promise.race([
          client.publishAsync(topic, payload, { qos: 1 }).then(() => "acked" as const),
          closed,
        ]);
      }
      if ("replay" in c.expect) {
        if (outcome !== "acked") return "a valid replayed reading closed the connection";
        replayTs = JSON.parse(payload.toString()).readings[0].ts;
        return null;
      }
      const e = c.expect;
      if ("fault" in e || "ignored" in e) {
        if (outcome !== "acked") return "closed the connection instead of a PUBACK";
        const name =
          "fault" in e ? "coldtrail_ingest_fault_readings_total" : "coldtrail_ingest_ignored_total";
        const after = await metrics();
        const grew = [...after].some(([k, v]) => k.startsWith(name) && v > (before.get(k) ?? 0));
        const letter = (await letters()).find((l) => !seen.has(String(l.id)));
        if (letter)
          return `dead-lettered (${letter.reason}) instead of ${"fault" in e ? "stored as a fault" : "ignored"}`;
        return grew ? null : `${name} did not grow`;
      }
      if (e.disconnect && outcome !== "closed") return "published where it may not and was not disconnected";
      if (!e.disconnect && outcome !== "acked")
        return "a malformed message closed the connection instead of a PUBACK";
      let letter: Letter | undefined;
      try {
        letter = await waitFor(async () => (await letters()).find((l) => !seen.has(String(l.id))), 5_000);
      } catch {
        return "no dead letter";
      }
      const leak = leaks(JSON.stringify(letter));
      if (leak) return `dead letter carries ${leak}`;
      if (e.reason && letter.reason !== e.reason)
        return `dead letter reason ${letter.reason}, wanted ${e.reason}`;
      if (!letter.message || letter.message.length < 10)
        return `dead letter message says nothing: "${letter.message}"`;
      const after = await metrics();
      const counted = [...after].some(
        ([k, v]) => k.includes(`reason="${letter.reason}"`) && v > (before.get(k) ?? 0),
      );
      return counted ? null : `reason ${letter.reason} not counted in /metrics`;
    } finally {
      client.end(true);
    }
  }

  /** Raw bytes on a fresh connection: closed, CONNACK refusal or SUBACK failure within 5 s. */
  async function runPacket(bytes: Buffer, afterConnect: boolean, want: string): Promise<string | null> {
    const url = new URL(srv.mqttUrl);
    // Bad logins come from another loopback address: the broker's login throttle locks an address
    // after a few failures, and the good traffic between batches must not be locked out with them.
    const sock = afterConnect
      ? tcpConnect(Number(url.port), url.hostname)
      : tcpConnect({ port: Number(url.port), host: url.hostname, localAddress: "127.0.0.2" });
    let buf = Buffer.alloc(0);
    let isClosed = false;
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
    });
    sock.on("error", () => undefined);
    sock.on("close", () => {
      isClosed = true;
    });
    await new Promise((r) => sock.once("connect", r));
    try {
      if (afterConnect) {
        sock.write(connectPacket({ username: fx.hostile.id, password: fx.hostile.secret }));
        await waitFor(async () => buf.length >= 4 || isClosed, 5_000);
        if (buf[0] !== 0x20 || buf[3] !== 0) return `good CONNECT not accepted: ${buf.toString("hex")}`;
        buf = Buffer.alloc(0);
      }
      sock.write(bytes);
      try {
        await waitFor(async () => isClosed || (want !== "closed" && buf.length >= 4), 5_000, 20);
      } catch {
        return `connection still open after 5 s, answered ${buf.toString("hex") || "nothing"}`;
      }
      if (want === "closed") return isClosed ? null : `answered ${buf.toString("hex")}`;
      if (want === "connack-refused") {
        if (buf[0] === 0x20 && buf[3] === 0) return "CONNACK accepted the connection";
        return null;
      }
      // suback-failure
      if (buf[0] === 0x90 && buf[buf.length - 1] === 0x80) return null;
      return isClosed ? null : `answered ${buf.toString("hex")}`;
    } finally {
      sock.destroy();
    }
  }

  it("a donor's hostile filters and the public passport show nothing of the admin's tenant", async () => {
    const q = encodeURIComponent;
    const paths = [
      "/api/v1/units",
      `/api/v1/units/${fx.unitId}`,
      `/api/v1/units/${fx.unitId}/readings`,
      "/api/v1/probes",
      `/api/v1/probes/${fx.good.id}`,
      `/api/v1/probes/${fx.good.id}/readings`,
      `/api/v1/batches/${fx.batchId}`,
      `/api/v1/batches/${fx.batchId}/audit`,
      `/api/v1/batches?code=${q("' OR 1=1 --")}`,
      `/api/v1/batches?unitId=${q("' OR '1'='1")}`,
      `/api/v1/batches?code=${fx.code}`,
      `/api/v1/alerts?unitId=${fx.unitId}`,
      `/api/v1/alerts?unitId=${q("' OR 1=1 --")}`,
      "/api/v1/deadletters",
      `/api/v1/deadletters?probeId=${fx.hostile.id}`,
      `/api/v1/deadletters?probeId=${q("' OR 1=1 --")}`,
      "/api/v1/accounts",
      "/api/v1/channels",
      "/api/v1/me/export",
      "/api/v1/tokens",
    ];
    const foreign = [UNIT_NAME, DONOR_REF, fx.unitId, fx.good.id, fx.hostile.id, fx.probeId, fx.batchId];
    const failures: string[] = [];
    for (const p of paths) {
      const a = await send("GET", p, { auth: fx.donorToken });
      if (a.status >= 500) failures.push(`${p}: status ${a.status}`);
      // A 404 may repeat the id the caller asked for; nothing else of the other tenant may appear.
      const leak = leaks(a.text) ?? foreign.find((f) => !p.includes(f) && a.text.includes(f));
      if (foreign.some((f) => p.split("?")[0]?.includes(f)) && a.status !== 404)
        failures.push(`${p}: status ${a.status}, wanted 404 for another tenant's object`);
      if (leak) failures.push(`${p}: answer carries ${leak}`);
    }
    const passport = await send("GET", `/api/v1/passports/${fx.code}`, { auth: null });
    expect(passport.status).toBe(200);
    for (const f of [UNIT_NAME, DONOR_REF, fx.unitId, fx.good.id, fx.probeId, "admin"]) {
      if (passport.text.includes(f)) failures.push(`passport carries ${f}`);
    }
    console.log(`cross-tenant: ${paths.length + 1} requests, ${failures.length} failures`);
    expect(failures).toEqual([]);
  });

  it("the good probe's readings between batches are all stored, the replayed one once", async () => {
    expect(goodTs.length).toBeGreaterThan(10);
    const from = new Date(Math.min(...goodTs) - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const stored = await waitFor(async () => {
      const a = await send("GET", `/api/v1/probes/${fx.good.id}/readings?from=${from}&to=${to}`);
      const got = (a.json as { readings: { ts: string }[] }).readings.map((r) => Date.parse(r.ts));
      return goodTs.every((t) => got.includes(t)) ? got : null;
    }, 15_000).catch(() => null);
    expect(stored, `${goodTs.length} good readings stored`).not.toBeNull();
    expect(stored).toHaveLength(goodTs.length);
    console.log(`good traffic: ${goodTs.length} readings published between batches, all stored`);

    expect(replayTs).not.toBeNull();
    const ts = replayTs as number;
    const at = (ms: number) => new Date(ms).toISOString();
    const replayed = await waitFor(async () => {
      const a = await send(
        "GET",
        `/api/v1/probes/${fx.hostile.id}/readings?from=${at(ts - 1000)}&to=${at(ts + 1000)}`,
      );
      const r = (a.json as { readings: { ts: string; temp_c: number }[] }).readings;
      return r.length > 0 ? r : null;
    }, 15_000);
    expect(replayed).toEqual([{ ts: at(ts), temp_c: -19.25, seq: 7 }]);
  });
});
