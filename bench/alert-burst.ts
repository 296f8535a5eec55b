/**
 * Issue 12: a regional power cut. `excursions` freezers each send, in the same second, the
 * reading that completes an excursion; each alert goes to 3 email addresses and 3 webhook URLs.
 * Measured: from the publish to each alert reaching each receiver, per medium, with no background
 * load, so the figure is the delivery path itself (connections, order, grouping), not ingest.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { ADMIN } from "../server/src/registry/caller.js";
import { startSmtpInbox } from "../server/test/smtp-inbox.js";
import type { ChannelLatency } from "./alert-latency.js";
import { benchServer } from "./coldtrail.js";

const MIN = 60_000;
const RECEIVERS = 3;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};

/** The units an alert email names (one, or each section of a grouped one). */
function unitsInMail(raw: string): string[] {
  const [, ...rest] = raw
    .replace(/=\r?\n/g, "")
    .replace(/\r\n/g, "\n")
    .split("\n\n");
  return [...rest.join("\n\n").matchAll(/\/units\/(u_[a-z0-9]+)/g)].map((m) => m[1] as string);
}

export async function alertBurst(opts: {
  excursions: number;
  log: (m: string) => void;
}): Promise<{ channels: ChannelLatency[]; emails: number }> {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-alertburst-"));
  const arrived: Record<"webhook" | "email", number[]> = { webhook: [], email: [] };
  const seen = new Set<string>();
  const note = (medium: "webhook" | "email", receiver: string, unitId: string) => {
    const key = `${medium} ${receiver} ${unitId}`;
    if (seen.has(key)) return;
    seen.add(key);
    arrived[medium].push(performance.now());
  };
  const hooks = await Promise.all(
    Array.from({ length: RECEIVERS }, async (_, i) => {
      const hook = createServer((req, res) => {
        let body = "";
        req.on("data", (d: Buffer) => {
          body += d.toString();
        });
        req.on("end", () => {
          const a = JSON.parse(body) as { kind: string; unitId: string };
          if (a.kind === "excursion") note("webhook", String(i), a.unitId);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
      return hook;
    }),
  );
  const smtp = await startSmtpInbox({
    onMail({ to, raw }) {
      for (const unit of unitsInMail(raw)) note("email", to.join(","), unit);
      return undefined;
    },
  });

  const { app } = await benchServer(
    {
      COLDTRAIL_SMTP_URL: smtp.url,
      COLDTRAIL_WEBHOOK_ALLOW_PRIVATE: "1",
    },
    dir,
  );
  const { parts } = app;
  const api = (body: unknown) =>
    fetch(`${app.httpUrl}/api/v1/channels`, {
      method: "POST",
      headers: { authorization: `Bearer ${app.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  for (const [i, hook] of hooks.entries()) {
    await api({
      kind: "webhook",
      target: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`,
      minEscalation: 0,
    });
    await api({ kind: "email", target: `staff${i}@bank.example`, minEscalation: 0 });
  }

  // Each unit: an hour at −19 °C, then 29 min at −10 °C; the burst is one more warm reading each,
  // stamped a minute ahead (a slightly fast device clock), so the alert engine's own clock cannot
  // confirm the excursions while the units are being set up.
  const now = Date.now();
  const startMs = now + MIN - 30 * MIN;
  const units: { probeId: string; client: mqtt.MqttClient }[] = [];
  for (let i = 0; i < opts.excursions; i++) {
    const unit = await parts.units.create(ADMIN, { name: `burst ${i}`, kind: "freezer" }, now);
    const { probe, secret } = await parts.probes.create(ADMIN, {}, now);
    await parts.probes.attach(ADMIN, probe.id, unit.id, startMs - 120 * MIN, now);
    const client = await mqtt.connectAsync(app.mqttUrl, {
      username: probe.id,
      password: secret,
      clientId: `${probe.id}:burst-${i}`,
    });
    const readings = [];
    for (let m = 60; m > 0; m--) readings.push({ ts: startMs - m * MIN, temp_c: -19 });
    for (let m = 0; m < 30; m++) readings.push({ ts: startMs + m * MIN, temp_c: -10 });
    await client.publishAsync(`coldtrail/v1/probes/${probe.id}/readings`, JSON.stringify({ readings }), {
      qos: 1,
    });
    units.push({ probeId: probe.id, client });
  }
  await parts.forwarder.drain();

  const expected = opts.excursions * RECEIVERS;
  opts.log(
    `alert burst: ${opts.excursions} excursions at once → ${RECEIVERS} webhooks and ${RECEIVERS} email addresses`,
  );
  const t0 = performance.now();
  for (const u of units)
    u.client.publish(
      `coldtrail/v1/probes/${u.probeId}/readings`,
      JSON.stringify({ readings: [{ ts: startMs + 30 * MIN + 1000, temp_c: -10 }] }),
      { qos: 1 },
    );
  const until = performance.now() + 120_000;
  while ((arrived.webhook.length < expected || arrived.email.length < expected) && performance.now() < until)
    await new Promise((r) => setTimeout(r, 50));

  const channels: ChannelLatency[] = (["webhook", "email"] as const).map((channel) => {
    const lat = arrived[channel].map((t) => t - t0);
    if (lat.length < expected)
      opts.log(`alert burst: ${channel}: only ${lat.length} of ${expected} arrived in 120 s`);
    return { channel, p50Ms: pct(lat, 50), p99Ms: pct(lat, 99), maxMs: Math.max(...lat), n: lat.length };
  });
  for (const u of units) await u.client.endAsync();
  await app.stop();
  for (const hook of hooks) await new Promise<void>((r) => hook.close(() => r()));
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
  return { channels, emails: smtp.mails.length };
}
