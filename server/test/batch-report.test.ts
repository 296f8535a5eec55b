import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printable } from "../src/exports/report-text.js";
import { ADMIN_TOKEN, connectProbe, startTestServer, type TestServer } from "./harness.js";
import { pdfPages } from "./read-exports.js";

/**
 * The batch report end to end: a real server, readings over MQTT into SQLite, a batch moved
 * between two units and reviewed, then the PDF fetched over HTTP and its text read back with
 * pdfjs-dist (Mozilla's PDF.js) to find what a milk bank files it for.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
async function pdfText(bytes: Uint8Array): Promise<{ pages: number; text: string }> {
  const pages = await pdfPages(bytes);
  return { pages: pages.length, text: pages.join(" ") };
}

async function report(id: string): Promise<Uint8Array> {
  const res = await fetch(`${s.httpUrl}/api/v1/batches/${id}/report.pdf`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect([res.status, res.headers.get("content-type")]).toEqual([200, "application/pdf"]);
  return new Uint8Array(await res.arrayBuffer());
}

let s: TestServer;
const clients: MqttClient[] = [];

async function unitWithReadings(name: string, sinceMs: number, tempC: (i: number) => number) {
  const u = await s.api<{ id: string }>("POST", "/api/v1/units", { name, kind: "freezer" });
  const p = await s.api<{ id: string; secret: string }>("POST", "/api/v1/probes", {});
  expect(
    (await s.api("PUT", `/api/v1/probes/${p.body.id}/unit`, { unitId: u.body.id, at: iso(sinceMs) })).status,
  ).toBe(200);
  const client = await connectProbe(s.mqttUrl, p.body.id, p.body.secret);
  clients.push(client);
  const readings = [];
  for (let t = sinceMs, i = 0; t < NOW; t += 5 * MIN, i++) readings.push({ ts: t, temp_c: tempC(i), seq: i });
  for (let i = 0; i < readings.length; i += 500) {
    await client.publishAsync(
      `coldtrail/v1/probes/${p.body.id}/readings`,
      JSON.stringify({ readings: readings.slice(i, i + 500) }),
      { qos: 1 },
    );
  }
  await s.parts.forwarder.drain();
  return u.body.id;
}

beforeAll(async () => {
  s = await startTestServer({ COLDTRAIL_TIME_ZONE: "Europe/London" });
});
afterAll(async () => {
  for (const c of clients) await c.endAsync();
  await s?.cleanup();
});

describe("the batch report PDF, read back as text", () => {
  it("holds the code, the verdict, a reason, every custody unit, a review and the audit trail", async () => {
    // Home freezer steady near −18.5 °C; the bank freezer runs warm (−8 °C) for the last hours.
    const home = await unitWithReadings(
      "Ada's kitchen freezer",
      NOW - 30 * HOUR,
      (i) => -18.5 + (i % 3) / 16,
    );
    const bank = await unitWithReadings(
      "Milk bank freezer, bay 3",
      NOW - 30 * HOUR,
      (i) => -8 + (i % 2) / 16,
    );
    const created = await s.api<{ id: string; code: string }>("POST", "/api/v1/batches", {
      unitId: home,
      expressedAt: iso(NOW - 26 * HOUR),
      at: iso(NOW - 25 * HOUR),
      state: "frozen",
      volumeMl: 150,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(
      (await s.api("POST", `/api/v1/batches/${id}/moves`, { unitId: bank, at: iso(NOW - 6 * HOUR) })).status,
    ).toBe(200);
    const review = await s.api("POST", `/api/v1/batches/${id}/reviews`, {
      decision: "hold",
      comment: "Bank freezer door found ajar; holding for the duty nurse",
    });
    expect(review.status).toBe(201);
    const detail = await s.api<{ verdict: string; reasons: { message: string }[] }>(
      "GET",
      `/api/v1/batches/${id}?tz=Europe/London`,
    );
    expect(detail.body.verdict).not.toBe("safe");
    const audit = await s.api<{ audit: { action: string }[] }>("GET", `/api/v1/batches/${id}/audit`);
    expect(audit.body.audit.length).toBeGreaterThan(0);

    const { pages, text } = await pdfText(await report(id));

    expect(text).toContain(`Batch ${created.body.code}`);
    expect(text).toContain(`coldtrail batch report · ${created.body.code}`);
    expect(text).toContain(`Page 1 of ${pages}`);
    const word = { safe: "SAFE", check: "CHECK", "do-not-use": "DO NOT USE" }[detail.body.verdict];
    expect(text).toContain(`Verdict: ${word}`);
    // Reasons in the words staff read, in COLDTRAIL_TIME_ZONE (the server's default here).
    const reason = printable(detail.body.reasons[0]?.message ?? "no reason").replace(/\s+/g, " ");
    expect(text).toContain(reason);
    expect(text).toContain("Times are in Europe/London.");
    expect(text).toContain("Ada's kitchen freezer");
    expect(text).toContain("Milk bank freezer, bay 3");
    expect(text).toContain("Bank freezer door found ajar; holding for the duty nurse");
    for (const a of new Set(audit.body.audit.map((x) => x.action))) expect(text).toContain(a);
    expect(text).toMatch(/Generated .* by bootstrap admin\./);
    expect(text).toContain("Dashed red: safe limit");
  });

  it("runs over pages fit for filing: the code in the header and 'page n of m' on every page", async () => {
    const unit = await s.api<{ id: string }>("POST", "/api/v1/units", {
      name: "Ward fridge",
      kind: "fridge",
    });
    const created = await s.api<{ id: string; code: string }>("POST", "/api/v1/batches", {
      unitId: unit.body.id,
      expressedAt: iso(NOW - 3 * HOUR),
      at: iso(NOW - 2 * HOUR),
      state: "fresh",
    });
    expect(created.status).toBe(201);
    // Enough reviews (and so audit entries) to need more than one A4 page.
    for (let i = 1; i <= 45; i++) {
      const r = await s.api("POST", `/api/v1/batches/${created.body.id}/reviews`, {
        decision: "hold",
        comment: `Check ${i}: temperature log compared with the ward's paper chart, held until the next round`,
      });
      expect(r.status).toBe(201);
    }
    const pages = await pdfPages(await report(created.body.id));
    expect(pages.length).toBeGreaterThan(1);
    pages.forEach((text, i) => {
      expect(text).toContain(`coldtrail batch report · ${created.body.code}`);
      expect(text).toContain(`Page ${i + 1} of ${pages.length}`);
    });
    expect(pages.join(" ")).toContain("Check 45: temperature log compared");
  });
});
