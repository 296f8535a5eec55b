import { createHmac } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, connectProbe, startTestServer, type TestServer, waitFor } from "./harness.js";
import { parseMail } from "./mail.js";
import { type SmtpInbox, startSmtpInbox } from "./smtp-inbox.js";

/**
 * Issue 4 end to end, through the public contract only: a power cut published over MQTT produces
 * excursion and probable-thaw alerts on every channel (webhook signed as DESIGN.md says, email
 * over a real SMTP server, Server-Sent Events), in that order; staff acknowledge them; the power
 * comes back and the excursion resolves; the alert's history shows each step.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const SECRET = "webhook-secret-0123456789";

type Alert = {
  id: string;
  kind: string;
  state: string;
  unitId: string;
  batchIds: string[];
  openedAt: string;
};
let s: TestServer;
let hook: Server;
let hookUrl: string;
const hooked: { body: Alert & { event?: string }; delivery: string; signatureOk: boolean }[] = [];
let smtp: SmtpInbox;
/** The raw text of each email received. */
const mails = () => smtp.mails.map((m) => m.raw);
const sse: string[] = [];
let sseReq: ReturnType<typeof request> | null = null;

beforeAll(async () => {
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const want = `sha256=${createHmac("sha256", SECRET).update(raw).digest("hex")}`;
      hooked.push({
        body: JSON.parse(raw.toString()),
        delivery: String(req.headers["x-coldtrail-delivery"]),
        signatureOk: req.headers["x-coldtrail-signature-256"] === want,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  smtp = await startSmtpInbox();
  // The webhook receiver listens on 127.0.0.1: private targets allowed for this server.
  s = await startTestServer({
    COLDTRAIL_SMTP_URL: smtp.url,
    COLDTRAIL_WEBHOOK_ALLOW_PRIVATE: "1",
  });
});
afterAll(async () => {
  sseReq?.destroy();
  await s?.cleanup();
  await new Promise<void>((r) => hook.close(() => r()));
  await smtp?.close();
});

function series(from: number, to: number, temp: (t: number) => number) {
  const out: { ts: number; temp_c: number }[] = [];
  for (let t = from; t < to; t += MIN) out.push({ ts: t, temp_c: Math.round(temp(t) * 16) / 16 });
  return out;
}
async function publish(c: MqttClient, probeId: string, readings: { ts: number; temp_c: number }[]) {
  for (let i = 0; i < readings.length; i += 500) {
    await c.publishAsync(
      `coldtrail/v1/probes/${probeId}/readings`,
      JSON.stringify({ readings: readings.slice(i, i + 500) }),
      { qos: 1 },
    );
  }
  await s.parts.forwarder.drain();
}

describe("alerts end to end", () => {
  it("a power cut: excursion then probable thaw on webhook, email and SSE; ack; recovery resolves; history", async () => {
    const now = Date.now();
    const start = now - 8 * HOUR;
    const unit = await s.api<{ id: string }>("POST", "/api/v1/units", {
      name: "Donor freezer",
      kind: "freezer",
    });
    const probe = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
    expect(
      (
        await s.api("PUT", `/api/v1/probes/${probe.body.id}/unit`, {
          unitId: unit.body.id,
          at: new Date(start).toISOString(),
        })
      ).status,
    ).toBe(200);
    const batch = await s.api<{ id: string }>("POST", "/api/v1/batches", {
      unitId: unit.body.id,
      expressedAt: new Date(start - HOUR).toISOString(),
      at: new Date(start).toISOString(),
      state: "frozen",
    });
    const wh = await s.api<{ id: string }>("POST", "/api/v1/channels", {
      kind: "webhook",
      target: hookUrl,
      secret: SECRET,
      minEscalation: 0,
    });
    expect(wh.status).toBe(201);
    const em = await s.api<{ id: string }>("POST", "/api/v1/channels", {
      kind: "email",
      target: "staff@bank.example",
      minEscalation: 0,
    });
    expect(em.status).toBe(201);

    const url = new URL(`${s.httpUrl}/api/v1/alerts/stream`);
    sseReq = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: "text/event-stream" },
      },
      (res) => {
        res.on("data", (d: Buffer) => sse.push(d.toString()));
      },
    );
    sseReq.end();

    const c = await connectProbe(s.mqttUrl, probe.body.id, probe.body.secret);
    const cut = start + 2 * HOUR;
    const back = cut + 3 * HOUR;
    // Power cut: the air warms to +5 °C within an hour and stays there until the power is back.
    await publish(
      c,
      probe.body.id,
      series(start, back, (t) => (t < cut ? -19 : Math.min(5, -19 + ((t - cut) / HOUR) * 24))),
    );

    const opened = await waitFor(async () => {
      const kinds = hooked.filter((h) => h.body.state === "open").map((h) => h.body.kind);
      return kinds.includes("excursion") && kinds.includes("probable-thaw") ? kinds : null;
    });
    expect(opened.indexOf("excursion")).toBeLessThan(opened.indexOf("probable-thaw"));
    expect(hooked.every((h) => h.signatureOk)).toBe(true);
    expect(new Set(hooked.map((h) => h.delivery)).size).toBe(hooked.length);
    const excursion = hooked.find((h) => h.body.kind === "excursion")?.body as Alert;
    expect(excursion.unitId).toBe(unit.body.id);
    expect(excursion.batchIds).toContain(batch.body.id);

    // Both alerts opened from one message: they may come as one grouped email listing both.
    const deliveriesIn = (raw: string) => (parseMail(raw).headers["x-coldtrail-delivery"] ?? "").split(", ");
    await waitFor(async () => mails().flatMap(deliveriesIn).length >= 2);
    const parsed = mails().map(parseMail);
    expect(parsed.map((m) => m.subject).join("\n")).toMatch(/Donor freezer/);
    expect(parsed.map((m) => m.body).join("\n")).toContain(`/units/${unit.body.id}`);
    await waitFor(async () => sse.join("").includes("probable-thaw"));
    const sseText = sse.join("");
    expect(sseText.indexOf('"excursion"')).toBeLessThan(sseText.indexOf('"probable-thaw"'));

    // Staff acknowledge both.
    const open = await s.api<{ alerts: Alert[] }>("GET", `/api/v1/alerts?state=open&unitId=${unit.body.id}`);
    expect(open.body.alerts.map((a) => a.kind).sort()).toEqual(["excursion", "probable-thaw"]);
    // API answers name each batch by its passport code too (stream and webhook bodies do not).
    const code = (await s.api<{ code: string }>("GET", `/api/v1/batches/${batch.body.id}`)).body.code;
    for (const a of open.body.alerts)
      expect((a as Alert & { batches?: unknown }).batches).toEqual([{ id: batch.body.id, code }]);
    expect(hooked[0]?.body).not.toHaveProperty("batches");
    for (const a of open.body.alerts) {
      const ack = await s.api<Alert>("POST", `/api/v1/alerts/${a.id}/ack`, {
        comment: "moving the milk to the bank freezer",
      });
      expect(ack.status).toBe(200);
      expect(ack.body.state).toBe("acknowledged");
    }

    // The power comes back: the excursion resolves by itself.
    await publish(
      c,
      probe.body.id,
      series(back, now, (t) => Math.max(-19, 5 - ((t - back) / HOUR) * 24)),
    );
    const resolved = await waitFor(async () => {
      const r = await s.api<{ alerts: Alert[] }>(
        "GET",
        `/api/v1/alerts?unitId=${unit.body.id}&kind=excursion`,
      );
      return r.body.alerts[0]?.state === "resolved" ? r.body.alerts[0] : null;
    });
    await waitFor(async () => hooked.some((h) => h.body.kind === "excursion" && h.body.state === "resolved"));
    const detail = await s.api<{
      history: { action: string; actor: string }[];
      deliveries: { status: string }[];
    }>("GET", `/api/v1/alerts/${resolved.id}`);
    const actions = detail.body.history.map((h) => h.action);
    expect(actions.indexOf("alert.opened")).toBeGreaterThanOrEqual(0);
    expect(actions.indexOf("alert.opened")).toBeLessThan(actions.indexOf("alert.acknowledged"));
    expect(actions.indexOf("alert.acknowledged")).toBeLessThan(actions.indexOf("alert.resolved"));
    // And the batch that was in the freezer is do-not-use: it thawed and was refrozen.
    const v = await s.api<{ verdict: string; reasons: { code: string }[] }>(
      "GET",
      `/api/v1/batches/${batch.body.id}`,
    );
    expect(v.body.verdict).toBe("do-not-use");
    await c.endAsync();
  });

  it("an empty cool bag at room temperature raises nothing; once packed with frozen milk, it is watched", async () => {
    const now = Date.now();
    const start = now - 6 * HOUR;
    const bag = await s.api<{ id: string }>("POST", "/api/v1/units", {
      name: "Trip cool bag",
      kind: "cool-bag",
    });
    const probe = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
    await s.api("PUT", `/api/v1/probes/${probe.body.id}/unit`, {
      unitId: bag.body.id,
      at: new Date(start).toISOString(),
    });
    const c = await connectProbe(s.mqttUrl, probe.body.id, probe.body.secret);
    const packed = start + 3 * HOUR;
    // Three hours empty on the table at 21 °C: not an excursion, there is no milk to protect.
    await publish(
      c,
      probe.body.id,
      series(start, packed, () => 21),
    );
    s.tickAlerts();
    const none = await s.api<{ alerts: Alert[] }>("GET", `/api/v1/alerts?unitId=${bag.body.id}`);
    expect(none.body.alerts).toEqual([]);
    // Packed with frozen milk and ice packs; the ice runs out and the bag warms past 0 °C.
    const f = await s.api<{ id: string }>("POST", "/api/v1/units", {
      name: "Donor freezer 2",
      kind: "freezer",
    });
    const b = await s.api<{ id: string }>("POST", "/api/v1/batches", {
      unitId: f.body.id,
      expressedAt: new Date(start - HOUR).toISOString(),
      at: new Date(start).toISOString(),
      state: "frozen",
    });
    expect(
      (
        await s.api("POST", `/api/v1/batches/${b.body.id}/moves`, {
          unitId: bag.body.id,
          at: new Date(packed).toISOString(),
        })
      ).status,
    ).toBe(200);
    await publish(
      c,
      probe.body.id,
      series(packed, now, (t) => Math.min(6, -15 + ((t - packed) / HOUR) * 12)),
    );
    const kinds = await waitFor(async () => {
      const r = await s.api<{ alerts: Alert[] }>("GET", `/api/v1/alerts?unitId=${bag.body.id}`);
      return r.body.alerts.length ? r.body.alerts.map((a) => a.kind) : null;
    });
    expect(kinds).toContain("excursion");
    const opened = await s.api<{ alerts: (Alert & { batchIds: string[] })[] }>(
      "GET",
      `/api/v1/alerts?unitId=${bag.body.id}&kind=excursion`,
    );
    expect(opened.body.alerts[0]?.batchIds).toEqual([b.body.id]);
    expect(Date.parse(opened.body.alerts[0]?.openedAt as string)).toBeGreaterThanOrEqual(packed);
    await c.endAsync();
  });
});
