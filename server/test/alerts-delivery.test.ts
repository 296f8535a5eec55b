import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/processes.js";
import { call, createTestWorld, MIN, type TestWorld } from "../src/alerts/test-world.js";
import { ADMIN } from "../src/registry/caller.js";
import { parseMail } from "./mail.js";
import { startSmtpInbox } from "./smtp-inbox.js";

const SECRET = "whsec-test-0123456789abcdef";
const FAST = { delivery: { minBackoffMs: 20, maxBackoffMs: 200, timeoutMs: 2000 } };

let w: TestWorld;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await w?.close();
});

interface Received {
  deliveryId: string;
  event: string;
  signatureValid: boolean;
  raw: string;
  body: Record<string, unknown>;
}

/** A webhook receiver that checks the signature the way a receiver should: HMAC of the raw body. */
async function startReceiver(
  port: number,
  answer: (n: number) => number = () => 204,
): Promise<{ got: Received[]; server: Server }> {
  const got: Received[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const header = String(req.headers["x-coldtrail-signature-256"] ?? "");
      const want = `sha256=${createHmac("sha256", SECRET).update(raw).digest("hex")}`;
      got.push({
        deliveryId: String(req.headers["x-coldtrail-delivery"]),
        event: String(req.headers["x-coldtrail-event"]),
        signatureValid:
          header.length === want.length && timingSafeEqual(Buffer.from(header), Buffer.from(want)),
        raw,
        body: JSON.parse(raw),
      });
      res.statusCode = answer(++n);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { got, server };
}

const until = async (fn: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("webhook channel", () => {
  it("signs every POST so a receiver can verify it; a 500 is retried with the same delivery id and signature", async () => {
    w = createTestWorld({ realClock: true, settings: FAST });
    const port = await freePort();
    const { got } = await startReceiver(port, (n) => (n === 1 ? 500 : 204));
    const base = await w.listen();
    await w.alerting.start();
    const ch = await call<{ id: string }>(base, "POST", "/api/v1/channels", {
      kind: "webhook",
      target: `http://127.0.0.1:${port}/hook`,
      secret: SECRET,
    });
    expect(ch.status).toBe(201);
    const probeId = await w.loneProbe("probe-webhook");
    w.alerting.onProbeLive(probeId, { batteryPct: 7 });
    await w.alerting.settled();
    await w.alerting.outbox.drain();
    expect(got).toHaveLength(2);
    expect(got[0]?.deliveryId).toBe(got[1]?.deliveryId);
    expect(got[0]?.raw).toBe(got[1]?.raw);
    expect(got.map((g) => g.signatureValid)).toEqual([true, true]);
    const alertId = (await w.active())[0]?.id as string;
    expect(got[1]?.body).toMatchObject({
      id: alertId,
      kind: "battery-low",
      state: "open",
      unitId: null,
      probeId,
      batchIds: [],
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      openedAt: expect.any(String),
      event: "opened",
      eventId: expect.any(Number),
    });
    // What a receiver with the wrong secret, or a tampered body, would see: no match.
    const header = `sha256=${createHmac("sha256", SECRET)
      .update(got[1]?.raw as string)
      .digest("hex")}`;
    expect(
      `sha256=${createHmac("sha256", "not-the-secret")
        .update(got[1]?.raw as string)
        .digest("hex")}`,
    ).not.toBe(header);
    expect(
      `sha256=${createHmac("sha256", SECRET)
        .update(String(got[1]?.raw).replace("battery-low", "excursion"))
        .digest("hex")}`,
    ).not.toBe(header);

    const detail = await call<{
      deliveries: { deliveryId: string; status: string; attempts: number; lastError: string | null }[];
    }>(base, "GET", `/api/v1/alerts/${alertId}`);
    expect(detail.body.deliveries).toEqual([
      expect.objectContaining({
        deliveryId: got[0]?.deliveryId,
        status: "delivered",
        attempts: 2,
        lastError: null,
        channelId: ch.body.id,
      }),
    ]);
  });

  it("a receiver that is down for a while gets every alert once it is back: in order, once each", async () => {
    w = createTestWorld({ realClock: true, settings: FAST });
    const port = await freePort(); // nothing listens here yet
    const base = await w.listen();
    await w.alerting.start();
    await call(base, "POST", "/api/v1/channels", {
      kind: "webhook",
      target: `http://127.0.0.1:${port}/hook`,
      secret: SECRET,
    });
    for (const id of ["probe-d1", "probe-d2", "probe-d3"])
      w.alerting.onProbeLive(await w.loneProbe(id), { batteryPct: 5 });
    await w.alerting.settled();
    const first = (await w.active())[0]?.id as string;
    expect((await call(base, "POST", `/api/v1/alerts/${first}/ack`, { comment: "seen" })).status).toBe(200);
    await until(() => (w.db.prepare("SELECT max(attempts) FROM alert_outbox").pluck().get() as number) >= 3);
    const down = await call<{ deliveries: { status: string; lastError: string }[] }>(
      base,
      "GET",
      `/api/v1/alerts/${first}`,
    );
    expect(down.body.deliveries[0]).toMatchObject({
      status: "failed",
      lastError: expect.stringContaining("ECONNREFUSED"),
    });
    expect(await w.alerting.outbox.depth()).toBe(4);

    const { got } = await startReceiver(port);
    await w.alerting.outbox.drain();
    const rows = w.db.prepare("SELECT delivery_id, event_type FROM alert_outbox ORDER BY id").all() as {
      delivery_id: string;
      event_type: string;
    }[];
    expect(rows.map((r) => r.event_type)).toEqual(["opened", "opened", "opened", "acknowledged"]);
    expect(got.map((g) => g.deliveryId)).toEqual(rows.map((r) => r.delivery_id));
    expect(new Set(got.map((g) => g.deliveryId)).size).toBe(4);
    expect(got.every((g) => g.signatureValid)).toBe(true);
    expect(got.map((g) => g.body.eventId as number)).toEqual(
      [...got.map((g) => g.body.eventId as number)].sort((a, b) => a - b),
    );
    // Nothing more arrives later: delivered rows are never sent again.
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(4);
  });
});

describe("webhook connections", () => {
  it("a kept-alive connection the receiver drops as the next POST goes out is retried at once, not after a back-off", async () => {
    // Each connection's second request is cut off before an answer, as a receiver closing an
    // idle connection at that moment would.
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const s = req.socket as typeof req.socket & { served?: number };
      s.served = (s.served ?? 0) + 1;
      seen.push(String(req.headers["x-coldtrail-delivery"]));
      if (s.served > 1) return s.destroy();
      req.resume();
      req.on("end", () => res.writeHead(204).end());
    });
    // Idle connections stay open for the test however slow the machine is.
    server.keepAliveTimeout = 60_000;
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
    closers.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    // Back-off of a minute: were the cut-off POST retried by the outbox, drain would time out.
    w = createTestWorld({
      realClock: true,
      settings: { delivery: { minBackoffMs: 60_000, maxBackoffMs: 60_000, timeoutMs: 2000 } },
    });
    const base = await w.listen();
    await w.alerting.start();
    await call(base, "POST", "/api/v1/channels", {
      kind: "webhook",
      target: `http://127.0.0.1:${port}/hook`,
    });
    for (const id of ["probe-k1", "probe-k2", "probe-k3"])
      w.alerting.onProbeLive(await w.loneProbe(id), { batteryPct: 5 });
    await w.alerting.settled();
    await w.alerting.outbox.drain();
    const rows = w.db.prepare("SELECT delivery_id, status, attempts FROM alert_outbox ORDER BY id").all();
    expect(rows).toEqual(
      ["probe-k1", "probe-k2", "probe-k3"].map(() => ({
        delivery_id: expect.any(String),
        status: "delivered",
        attempts: 1,
      })),
    );
    // The 2nd and 3rd were each cut off once on the kept-alive connection, then sent again.
    const ids = (rows as { delivery_id: string }[]).map((r) => r.delivery_id);
    expect(seen).toEqual([ids[0], ids[1], ids[1], ids[2], ids[2]]);
  });
});

describe("email channel (nodemailer → a real smtp-server)", () => {
  it("reaches an SMTP server that was down for a while, once per alert, with a clear subject and the unit's link", async () => {
    const port = await freePort();
    w = createTestWorld({ realClock: true, settings: FAST, smtpUrl: `smtp://127.0.0.1:${port}` });
    const base = await w.listen();
    await w.alerting.start();
    const ch = await call(base, "POST", "/api/v1/channels", {
      kind: "email",
      target: "staff@milkbank.example",
    });
    expect(ch.status).toBe(201);

    // A freezer warm for 40 min (readings from the past; the monitor needs no clock for that).
    const now = Date.now();
    const { unitId, probeId } = await w.unitWithProbe("Donor freezer", "freezer", now - 3 * 60 * MIN);
    const start = Math.floor((now - 40 * MIN) / MIN) * MIN;
    for (let t = start - 10 * MIN; t < start; t += MIN) await w.reading(probeId, t, -20);
    for (let t = start; t <= now; t += MIN) await w.reading(probeId, t, -9.5);
    const alert = (await w.active()).find((a) => a.kind === "excursion");
    expect(alert).toBeDefined();
    await until(() => (w.db.prepare("SELECT max(attempts) FROM alert_outbox").pluck().get() as number) >= 2);
    expect((await w.alerting.store.deliveriesOf(alert?.id as string))[0]).toMatchObject({
      status: "failed",
      lastError: expect.stringContaining("ECONNREFUSED"),
    });

    const smtp = await startSmtpInbox({ port });
    closers.push(smtp.close);
    const messages = smtp.mails;
    await w.alerting.outbox.drain();
    await w.alerting.store.acknowledge(ADMIN, alert?.id as string, "moved to the bank freezer", Date.now());
    w.alerting.outbox.poke();
    await w.alerting.outbox.drain();

    expect(messages).toHaveLength(2);
    const [opened, acked] = messages.map((m) => ({ ...parseMail(m.raw), to: m.to }));
    const since = new Date(start);
    const hhmm = `${String(since.getUTCHours()).padStart(2, "0")}:${String(since.getUTCMinutes()).padStart(2, "0")}`;
    expect(opened?.to).toEqual(["staff@milkbank.example"]);
    expect(opened?.subject).toMatch(
      new RegExp(`^Freezer too warm: Donor freezer — since \\d+ \\w+ \\d{4}, ${hhmm} UTC, last −9\\.5 °C$`),
    );
    expect(acked?.subject).toMatch(/^Acknowledged: Freezer too warm: Donor freezer — since /);
    expect(opened?.body).toContain(`Open the unit: https://coldtrail.example/units/${unitId}`);
    expect(opened?.body).toContain("Check that the door is shut");
    expect(acked?.body).toContain('acknowledged by admin: "moved to the bank freezer"');
    const ids = (await w.alerting.store.deliveriesOf(alert?.id as string)).map((d) => d.deliveryId);
    expect([opened?.headers["x-coldtrail-delivery"], acked?.headers["x-coldtrail-delivery"]]).toEqual(ids);
    expect(opened?.headers["message-id"]).toBe(`<${ids[0]}@coldtrail>`);
  });

  it("refuses an email channel when no SMTP server is configured, saying which variable to set", async () => {
    w = createTestWorld();
    const base = await w.listen();
    const r = await call<{ error: { code: string; message: string } }>(base, "POST", "/api/v1/channels", {
      kind: "email",
      target: "a@b.example",
    });
    expect(r).toEqual({
      status: 400,
      body: {
        error: { code: "CT_ERR_BAD_REQUEST", message: expect.stringContaining("set COLDTRAIL_SMTP_URL") },
      },
    });
  });
});
