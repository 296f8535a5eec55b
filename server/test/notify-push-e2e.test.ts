/**
 * Issue 11, "how I am told", end to end through the public contract: a donor subscribes a browser
 * for web push (the test is the browser: its own P-256 key pair and auth secret) and chooses
 * whether email is on; a power cut published over MQTT reaches her as an encrypted push message
 * (decrypted here per RFC 8291, VAPID JWT verified per RFC 8292), and by email only once email is
 * on; a 410 from the push service removes the subscription.
 */
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectProbe, inviteAndSignIn, startTestServer, type TestServer, waitFor } from "./harness.js";
import { parseMail } from "./mail.js";
import { type SmtpInbox, startSmtpInbox } from "./smtp-inbox.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const PASSWORD = "correct horse battery staple";
const DONOR_EMAIL = "bea@example.org";

let s: TestServer;
let smtp: SmtpInbox;
let push: Server;
let pushBase: string;
/** What the push service answers next (201 = accepted, as real push services do). */
let pushAnswer = 201;
const pushed: { headers: IncomingHttpHeaders; body: Buffer; path: string }[] = [];
let bearer: string;
const clients: MqttClient[] = [];

/** The browser's side of a subscription: a P-256 key pair and a 16-byte auth secret. */
const browser = createECDH("prime256v1");
browser.generateKeys();
const authSecret = randomBytes(16);

/** RFC 8291 + RFC 8188 (aes128gcm), one record: what a browser does with a push message. */
function decryptPush(body: Buffer): string {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idLen = body.readUInt8(20);
  const serverKey = body.subarray(21, 21 + idLen);
  const record = body.subarray(21 + idLen);
  expect(record.length).toBeLessThanOrEqual(rs);
  const ecdhSecret = browser.computeSecret(serverKey);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), browser.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync("sha256", ecdhSecret, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then zero or more zero bytes of padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  expect(padded[end]).toBe(2);
  return padded.subarray(0, end).toString("utf8");
}

/** RFC 8292: `vapid t=<JWT>, k=<public key>`; the JWT is ES256 over the push service's origin. */
function checkVapid(authorization: string, publicKey: string, audience: string) {
  const m = /^vapid t=([^,]+),\s*k=(.+)$/.exec(authorization);
  expect(m, `Authorization header "${authorization.slice(0, 40)}…"`).not.toBeNull();
  const [, jwt, k] = m as RegExpExecArray;
  expect(k).toBe(publicKey);
  const [h, p, sig] = (jwt as string).split(".") as [string, string, string];
  const raw = Buffer.from(publicKey, "base64url");
  const key = createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: raw.subarray(1, 33).toString("base64url"),
      y: raw.subarray(33, 65).toString("base64url"),
    },
    format: "jwk",
  });
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(sig, "base64url");
  expect(verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature)).toBe(true);
  // The same signature over anything else does not verify.
  expect(verify("sha256", Buffer.from(`${h}.${p}x`), { key, dsaEncoding: "ieee-p1363" }, signature)).toBe(
    false,
  );
  expect(JSON.parse(Buffer.from(h, "base64url").toString())).toMatchObject({ alg: "ES256", typ: "JWT" });
  const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as {
    aud: string;
    exp: number;
    sub: string;
  };
  expect(claims.aud).toBe(audience);
  expect(claims.exp * 1000).toBeGreaterThan(Date.now());
  expect(claims.sub).toMatch(/^(mailto:|https:)/);
}

async function as<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${s.httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith("{") ? JSON.parse(text) : text) as T };
}

beforeAll(async () => {
  smtp = await startSmtpInbox();
  push = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      pushed.push({ headers: req.headers, body: Buffer.concat(chunks), path: req.url ?? "" });
      res.writeHead(pushAnswer).end();
    });
  });
  await new Promise<void>((r) => push.listen(0, "127.0.0.1", () => r()));
  pushBase = `http://127.0.0.1:${(push.address() as AddressInfo).port}`;
  // The push receiver listens on 127.0.0.1: private targets allowed for this server.
  s = await startTestServer({
    COLDTRAIL_SMTP_URL: smtp.url,
    COLDTRAIL_WEBHOOK_ALLOW_PRIVATE: "1",
  });
  const site = await s.api<{ id: string }>("POST", "/api/v1/sites", { name: "Bea's household" });
  const bea = { email: DONOR_EMAIL, name: "Bea Donor", role: "donor" as const, siteId: site.body.id };
  bearer = (await inviteAndSignIn(s.httpUrl, bea, PASSWORD, "push test")).token as string;
});

afterAll(async () => {
  for (const c of clients) await c.endAsync().catch(() => undefined);
  await s?.cleanup();
  await new Promise<void>((r) => push.close(() => r()));
  await smtp?.close();
});

function series(from: number, to: number, temp: (t: number) => number) {
  const out: { ts: number; temp_c: number }[] = [];
  for (let t = from; t < to; t += MIN) out.push({ ts: t, temp_c: Math.round(temp(t) * 16) / 16 });
  return out;
}

/** The donor's own freezer with a probe attached 8 h ago; a power cut 2 h in, over MQTT. */
async function powerCut(name: string): Promise<{ unitId: string; alertId: string }> {
  const now = Date.now();
  const start = now - 8 * HOUR;
  const unit = await as<{ id: string }>("POST", "/api/v1/units", { name, kind: "freezer" });
  expect(unit.status).toBe(201);
  const probe = await as<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
  expect(probe.status).toBe(201);
  const attached = await as("PUT", `/api/v1/probes/${probe.body.id}/unit`, {
    unitId: unit.body.id,
    at: new Date(start).toISOString(),
  });
  expect(attached.status).toBe(200);
  const c = await connectProbe(s.mqttUrl, probe.body.id, probe.body.secret);
  clients.push(c);
  const cut = start + 2 * HOUR;
  const readings = series(start, now, (t) => (t < cut ? -19 : Math.min(5, -19 + ((t - cut) / HOUR) * 24)));
  for (let i = 0; i < readings.length; i += 500)
    await c.publishAsync(
      `coldtrail/v1/probes/${probe.body.id}/readings`,
      JSON.stringify({ readings: readings.slice(i, i + 500) }),
      { qos: 1 },
    );
  await s.parts.forwarder.drain();
  const alert = await waitFor(async () => {
    const r = await as<{ alerts: { id: string; kind: string }[] }>(
      "GET",
      `/api/v1/alerts?unitId=${unit.body.id}&kind=excursion`,
    );
    return r.body.alerts[0];
  });
  return { unitId: unit.body.id, alertId: alert.id };
}

/** Every delivery of the alert settled (delivered, or given up because its channel went). */
async function settled(alertId: string) {
  return waitFor(async () => {
    const d = await as<{ deliveries: { channelKind: string; status: string; event: string }[] }>(
      "GET",
      `/api/v1/alerts/${alertId}`,
    );
    const ds = d.body.deliveries;
    return ds.length > 0 && ds.every((x) => x.status === "delivered") ? ds : null;
  }, 20_000);
}

describe("a donor is told by web push, and by email only when she says so", () => {
  let publicKey: string;
  let endpoint: string;

  it("subscribes a browser with the server's VAPID key; the same subscription again only refreshes it", async () => {
    const key = await as<{ publicKey: string }>("GET", "/api/v1/push/key");
    expect(key.status).toBe(200);
    publicKey = key.body.publicKey;
    expect(Buffer.from(publicKey, "base64url")).toHaveLength(65);
    endpoint = `${pushBase}/push/bea-phone`;
    const sub = {
      endpoint,
      expirationTime: null,
      keys: { p256dh: browser.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") },
    };
    const first = await as<{ id: string; endpoint: string }>("POST", "/api/v1/push/subscriptions", sub);
    expect(first.status).toBe(201);
    expect(first.body.endpoint).toBe(endpoint);
    const again = await as<{ id: string }>("POST", "/api/v1/push/subscriptions", sub);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const bad = await as<{ error: { message: string } }>("POST", "/api/v1/push/subscriptions", {
      ...sub,
      keys: { p256dh: "AAAA", auth: sub.keys.auth },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/p256dh/);
    const choices = await as<{ email: { on: boolean; address: string }; push: { devices: number } }>(
      "GET",
      "/api/v1/me/notifications",
    );
    expect(choices.body).toMatchObject({ email: { on: false, address: DONOR_EMAIL }, push: { devices: 1 } });
  });

  it("a power cut over MQTT arrives as an encrypted push with the alert's words; no email while email is off", async () => {
    const before = pushed.length;
    const { alertId } = await powerCut("Bea's chest freezer");
    const deliveries = await settled(alertId);
    expect(deliveries.map((d) => d.channelKind)).toEqual(["webpush"]);
    const alert = await as<{ title: string; message: string }>("GET", `/api/v1/alerts/${alertId}`);
    // The power cut also raises probable-thaw: one push per alert, each to this browser.
    const got = pushed.slice(before);
    expect(got.length).toBeGreaterThanOrEqual(1);
    for (const g of got) {
      expect(g.path).toBe("/push/bea-phone");
      expect(g.headers["content-encoding"]).toBe("aes128gcm");
      expect(Number(g.headers.ttl)).toBeGreaterThan(0);
      checkVapid(String(g.headers.authorization), publicKey, pushBase);
    }
    const messages = got.map(
      (g) => JSON.parse(decryptPush(g.body)) as { title: string; body: string; url: string; alertId: string },
    );
    const message = messages.find((m) => m.alertId === alertId);
    expect(message).toMatchObject({ title: alert.body.title, body: alert.body.message, alertId });
    if (!message) return;
    expect(message.body).toContain("Bea's chest freezer");
    expect(message.url).toMatch(/^\/alerts\?state=/);
    expect(smtp.mails.filter((m) => m.to.includes(DONOR_EMAIL))).toHaveLength(0);
  });

  it("with email on, the next alert also reaches her address; the test button reaches both", async () => {
    const on = await as<{ email: { on: boolean } }>("PUT", "/api/v1/me/notifications", {
      email: true,
      alertKinds: ["excursion", "probable-thaw", "refreeze"],
    });
    expect(on.status).toBe(200);
    expect(on.body.email.on).toBe(true);
    const { alertId } = await powerCut("Bea's kitchen freezer");
    const deliveries = await settled(alertId);
    expect(deliveries.map((d) => d.channelKind).sort()).toEqual(["email", "webpush"]);
    const mine = smtp.mails.filter((m) => m.to.includes(DONOR_EMAIL)).map((m) => parseMail(m.raw));
    expect(mine.map((m) => m.subject).join("\n")).toMatch(/Bea's kitchen freezer/);

    const before = pushed.length;
    const mailsBefore = smtp.mails.length;
    const test = await as<{ results: { kind: string; ok: boolean }[] }>(
      "POST",
      "/api/v1/me/notifications/test",
    );
    expect(test.status).toBe(200);
    expect(test.body.results.map((r) => [r.kind, r.ok]).sort()).toEqual([
      ["email", true],
      ["webpush", true],
    ]);
    expect(JSON.parse(decryptPush((pushed[before] as (typeof pushed)[number]).body)).title).toBe(
      "Test notification from coldtrail",
    );
    await waitFor(async () => smtp.mails.length > mailsBefore);
    expect(parseMail((smtp.mails.at(-1) as { raw: string }).raw).subject).toMatch(/Test notification/);
  });

  it("a 410 from the push service removes the subscription", async () => {
    pushAnswer = 410;
    const test = await as<{ results: { kind: string; ok: boolean; reason?: string }[] }>(
      "POST",
      "/api/v1/me/notifications/test",
    );
    const push = test.body.results.find((r) => r.kind === "webpush");
    expect(push?.ok).toBe(false);
    expect(push?.reason).toMatch(/410.*removed/);
    const choices = await as<{ push: { devices: number } }>("GET", "/api/v1/me/notifications");
    expect(choices.body.push.devices).toBe(0);
    const gone = await as("DELETE", "/api/v1/push/subscriptions", { endpoint });
    expect(gone.status).toBe(404);
    pushAnswer = 201;
  });

  it("a 410 to an alert in the outbox removes the subscription and cancels its delivery instead of retrying", async () => {
    const tablet = `${pushBase}/push/bea-tablet`;
    const sub = await as("POST", "/api/v1/push/subscriptions", {
      endpoint: tablet,
      keys: { p256dh: browser.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") },
    });
    expect(sub.status).toBe(201);
    pushAnswer = 410;
    const { alertId } = await powerCut("Bea's garage freezer");
    const deliveries = await waitFor(async () => {
      const d = await as<{ deliveries: { channelKind: string; status: string; lastError: string | null }[] }>(
        "GET",
        `/api/v1/alerts/${alertId}`,
      );
      const ds = d.body.deliveries;
      return ds.some((x) => x.channelKind === "webpush" && x.status === "cancelled") &&
        ds.some((x) => x.channelKind === "email" && x.status === "delivered")
        ? ds
        : null;
    }, 20_000);
    expect(deliveries.filter((d) => d.channelKind === "webpush").map((d) => d.status)).toEqual(["cancelled"]);
    const choices = await as<{ push: { devices: number } }>("GET", "/api/v1/me/notifications");
    expect(choices.body.push.devices).toBe(0);
    // A cancelled delivery is never picked up again by the outbox (it retries pending and failed only).
    expect(pushed.filter((p) => p.path === "/push/bea-tablet").length).toBeGreaterThanOrEqual(1);
    pushAnswer = 201;
  });
});
