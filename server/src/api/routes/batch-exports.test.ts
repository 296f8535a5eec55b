import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../../test/read-exports.js";
import { ADMIN, type Caller } from "../../registry/caller.js";
import { createTestApi, T0, TEST_TOKEN, type TestApi } from "../test-api.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestApi;
let home: { unitId: string; probeId: string };
let bank: { unitId: string; probeId: string };

async function unitWithProbe(name: string, offsetC = 0) {
  const unit = await t.registry.units.create(ADMIN, { name, kind: "freezer" }, T0 - 48 * HOUR);
  const { probe } = await t.registry.probes.create(ADMIN, { unitId: unit.id }, T0 - 48 * HOUR);
  if (offsetC !== 0) await t.registry.probes.setCalibration(ADMIN, probe.id, offsetC, T0 - 48 * HOUR);
  return { unitId: unit.id, probeId: probe.id };
}

beforeAll(async () => {
  t = await createTestApi();
  // A name a spreadsheet would run as a formula, with a comma and quotes to quote.
  home = await unitWithProbe('=HYPERLINK("http://evil.example"),"home"');
  bank = await unitWithProbe("Milk bank, freezer 2");
  // A reading every 10 minutes for the last day in each freezer.
  for (const [u, base] of [
    [home, -18.5],
    [bank, -20.25],
  ] as const) {
    await t.write(
      Array.from({ length: 24 * 6 }, (_, i) => ({
        probeId: u.probeId,
        tsMs: T0 - 24 * HOUR + i * 10 * MIN,
        tempC: base + (i % 3) / 8,
        seq: i,
        serverTimed: false,
      })),
    );
  }
});
afterAll(async () => t?.close());

/** A frozen batch 20 h ago in the home freezer, moved to the bank 8 h ago. */
async function movedBatch(): Promise<{ id: string; code: string }> {
  const r = await t.api<{ id: string; code: string }>("POST", "/api/v1/batches", {
    unitId: home.unitId,
    expressedAt: iso(T0 - 21 * HOUR),
    at: iso(T0 - 20 * HOUR),
    state: "frozen",
  });
  expect(r.status).toBe(201);
  const m = await t.api("POST", `/api/v1/batches/${r.body.id}/moves`, {
    unitId: bank.unitId,
    at: iso(T0 - 8 * HOUR),
  });
  expect(m.status).toBe(200);
  return r.body;
}

describe("GET /api/v1/batches/{id}/readings.csv", () => {
  it("lists the readings of each stay with the unit's name and probe id, as an attachment", async () => {
    const b = await movedBatch();
    const r = await t.api<string>("GET", `/api/v1/batches/${b.id}/readings.csv`);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(r.headers["content-disposition"]).toBe(`attachment; filename="batch-${b.code}-readings.csv"`);
    const [header, ...rows] = parseCsv(r.body);
    expect(header).toEqual(["ts", "temp_c", "unit", "probe"]);
    const stored = async (u: { probeId: string }, fromMs: number, toMs: number) =>
      (await t.store.range(u.probeId, fromMs, toMs)).map((x) => [iso(x.tsMs), String(x.tempC), u.probeId]);
    const homeRows = await stored(home, T0 - 20 * HOUR, T0 - 8 * HOUR);
    const bankRows = await stored(bank, T0 - 8 * HOUR, T0);
    expect(homeRows.length).toBe(72);
    expect(bankRows.length).toBe(48);
    expect(rows.map(([ts, temp, , probe]) => [ts, temp, probe])).toEqual([...homeRows, ...bankRows]);
    // The formula is defused with a leading apostrophe; commas and quotes survive quoting.
    expect(new Set(rows.map((x) => x[2]))).toEqual(
      new Set(['\'=HYPERLINK("http://evil.example"),"home"', "Milk bank, freezer 2"]),
    );
    expect(r.body).toContain('"\'=HYPERLINK(""http://evil.example""),""home"""');
    expect(r.body.split("\r\n")[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,-18\.5,/);
  });

  it("applies the probe's calibration offset, as the verdict does", async () => {
    const cal = await unitWithProbe("calibrated freezer", 0.3);
    await t.write([{ probeId: cal.probeId, tsMs: T0 - HOUR, tempC: -18.5, seq: 1, serverTimed: false }]);
    const b = await t.api<{ id: string }>("POST", "/api/v1/batches", {
      unitId: cal.unitId,
      expressedAt: iso(T0 - 3 * HOUR),
      at: iso(T0 - 2 * HOUR),
      state: "frozen",
    });
    const r = await t.api<string>("GET", `/api/v1/batches/${b.body.id}/readings.csv`);
    expect(parseCsv(r.body).slice(1)).toEqual([[iso(T0 - HOUR), "-18.2", "calibrated freezer", cal.probeId]]);
  });

  it("a batch that does not exist is a 404 in the API's error shape", async () => {
    const r = await t.api<{ error: { code: string } }>("GET", "/api/v1/batches/b_nope/readings.csv");
    expect([r.status, r.body.error.code]).toEqual([404, "CT_ERR_NOT_FOUND"]);
  });
});

describe("GET /api/v1/batches/{id}/report.pdf", () => {
  it("is a PDF attachment named for the batch", async () => {
    const b = await movedBatch();
    const res = await t.app.inject({
      method: "GET",
      url: `/api/v1/batches/${b.id}/report.pdf?tz=Europe/London`,
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/pdf");
    expect(res.headers["content-disposition"]).toBe(`attachment; filename="batch-${b.code}-report.pdf"`);
    expect(res.rawPayload.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(res.rawPayload.subarray(-6).toString("latin1")).toMatch(/%%EOF\n?$/);
  });

  it("refuses a time zone that is not one", async () => {
    const b = await movedBatch();
    const r = await t.api<{ error: { code: string } }>(
      "GET",
      `/api/v1/batches/${b.id}/report.pdf?tz=Mars/Olympus`,
    );
    expect([r.status, r.body.error.code]).toEqual([400, "CT_ERR_VALIDATION"]);
  });
});

describe("another tenant's batch", () => {
  it("answers 404 to both exports, exactly as a missing batch", async () => {
    const b = await movedBatch();
    const siteId = (await t.accounts.createSite(ADMIN, "Another milk bank")).id;
    const { account } = await t.accounts.invite(ADMIN, {
      email: "other.staff@example.org",
      name: "Other staff",
      role: "staff",
      siteId,
    });
    const { inviteToken } = await t.accounts.reinvite(ADMIN, account.id);
    const accepted = await t.accounts.acceptInvitation(inviteToken, "correct horse battery staple");
    expect(accepted.ok).toBe(true);
    const caller: Caller = { accountId: account.id, role: "staff", siteId, name: account.name };
    const token = (await t.accounts.createToken(caller, "exports")).token;
    for (const path of ["readings.csv", "report.pdf"]) {
      const res = await t.app.inject({
        method: "GET",
        url: `/api/v1/batches/${b.id}/${path}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect([path, res.statusCode, res.json().error.code]).toEqual([path, 404, "CT_ERR_NOT_FOUND"]);
      expect(res.body).not.toContain("%PDF");
    }
  });
});
